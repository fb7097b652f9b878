/** The response shapes the console reads. Where docs/openapi.json types a response, the type here is
 * the generated one; the rest are written down until the document types them. */
import type { components } from "./schema";

export type Schemas = components["schemas"];
export type ManualStatus = Schemas["StatusRequest"]["status"];
export type Status = "AWAY" | "AVAILABLE" | "ACTIVE" | "WRAP_UP" | "OFFLINE_WORK" | "UNAVAILABLE";
export const STATUSES: Status[] = ["AVAILABLE", "ACTIVE", "WRAP_UP", "UNAVAILABLE", "OFFLINE_WORK", "AWAY"];

export interface Reason {
  code: string;
  label: string;
  needsDescription?: boolean;
}

export interface WorkItem {
  itemId: string;
  channel: string;
  state: string;
  reference: string | null;
  queueId: string | null;
  since: string | null;
}

export interface AgentState {
  agentId: string;
  displayName: string;
  units: string[];
  assignedQueues: string[];
  status: Status;
  since: string | null;
  reason: string | null;
  note: string | null;
  unitId: string | null;
  platform: string | null;
  queues: string[];
  workItems: WorkItem[];
  stopNew: boolean;
  autoAssignment: boolean;
  nextStatus: { status: Status; reason: string | null; description?: string | null } | Status | null;
  wrapUpEndsAt: string | null;
  sequence: number;
  allowedStatuses: Status[];
  reasons?: { unavailable: Reason[]; clockOut: Reason[] };
}

export interface Change {
  sequence: number;
  at: string;
  kind: string;
  fromStatus: Status | null;
  toStatus: Status;
  reason: string | null;
  note: string | null;
  actorKind: string;
  actorId: string;
  platform: string | null;
  unitId: string | null;
}

export interface Changed {
  agent: AgentState;
  changes: Change[];
}

export interface DashboardRow {
  agentId: string;
  displayName: string;
  status: Status;
  reason: string | null;
  note: string | null;
  since: string | null;
  unitId: string | null;
  units: string[];
  queues: string[];
  workItems: WorkItem[];
  platform: string | null;
  autoAssignment: boolean;
  stopNew: boolean;
  nextStatus: string | null;
  wrapUpEndsAt: string | null;
  sequence: number;
  today?: {
    connectedSeconds?: number;
    lastLogin?: string | null;
    lastLogout?: string | null;
    secondsPerStatus?: Record<string, number>;
    pauseSecondsPerReason?: Record<string, number>;
  };
}

export interface DashboardPage {
  agents: DashboardRow[];
  countsPerStatus: Record<string, number>;
  nextCursor: string | null;
}

export type AssignmentState = Schemas["AssignmentState"];
export type AssignmentType = Schemas["AssignmentType"];

export interface AssignmentCopy {
  assignmentId: string;
  type: AssignmentType;
  title: string;
  instructions?: string;
  contentLink?: string | null;
  confirmationStatement?: string | null;
  hasConfirmation?: boolean;
  commentsAllowed: boolean;
  dueAt: string | null;
  state: AssignmentState;
  confirmed: boolean;
  comments?: string | null;
  version: number;
  savedAt: string | null;
  overdue: boolean;
}

export interface AssignmentCounts {
  total: number;
  byState: Record<string, number>;
  byType: Record<string, Record<string, number>>;
  overdue: number;
}

export interface MyAssignments {
  types: AssignmentType[];
  counts: AssignmentCounts;
  assignments: AssignmentCopy[];
  nextCursor: string | null;
}

export interface ReportFile {
  name: string;
  url: string;
  bytes?: number;
}

export interface ReportDay {
  date: string;
  files: ReportFile[];
}

export interface ReportFiles {
  period: { from: string; to: string };
  timeZone: string;
  expiresInSeconds: number;
  days: ReportDay[];
}

export interface ReportJob {
  jobId: string;
  state: "queued" | "running" | "done" | "failed" | string;
  period: { from: string; to: string };
  unitIds: string[] | null;
  progress?: { agentsDone: number; agentsTotal: number; percent: number };
  files?: ReportFile[];
  error?: string | null;
}

/** What the WebSocket pushes (docs/asyncapi.yaml once it is written). */
export type Push =
  | { type: "agent.changed"; agentId: string; sequence: number; change: Change; agent: Partial<AgentState> | null }
  | { type: "agent.message"; agentId: string; messageId: string; at: string; fromId: string; fromName: string; text: string }
  | { type: "assignment.changed" | "assignment.progress"; agentId?: string; assignment: { assignmentId: string; state: string } }
  | { type: "subscribed" | "unsubscribed"; requestId: string | null; channels: string[] }
  | { type: "caughtup"; requestId: string | null }
  | { type: "catchup.continue"; requestId: string | null; since: Record<string, number> } // ask again from `since`
  | { type: "session.ended"; reason: "token_expired" | "person_retired" | "roles_changed" } // then closed
  | { type: "pong" }
  | { type: "error"; error: { code: string; message?: string; field?: string; rule?: string } };
