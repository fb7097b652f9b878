/** The supervisor's roster: the dashboard snapshot, kept current by pushes (pure, no DOM).
 *
 * Each agent's changes carry a sequence number, one more per change. A push at or below the sequence
 * held is already known and ignored; one above it carries the agent's whole state, so it is applied
 * at once, and when it skips numbers the missed changes are asked for (catch-up), never the snapshot. */
import type { AgentState, Change, DashboardRow, Status, WorkItem } from "./api/shapes";
import { STATUSES } from "./api/shapes";

export interface AgentChanged {
  agentId: string;
  sequence: number;
  change: Change;
  agent: Partial<AgentState> | null;
}

export type Applied =
  | { kind: "applied"; row: DashboardRow }
  | { kind: "gap"; row: DashboardRow; after: number } // changes after `after` and before this one were missed
  | { kind: "stale" }
  | { kind: "unknown" }; // an agent not on this roster (another page, or not in the unit)

export class Roster {
  readonly rows = new Map<string, DashboardRow>();
  /** Bumped on every change: views compare it to know when to redraw. */
  version = 0;

  load(rows: DashboardRow[]): void {
    for (const row of rows) this.rows.set(row.agentId, row);
    this.version++;
  }

  clear(): void {
    this.rows.clear();
    this.version++;
  }

  held(agentId: string): number | undefined {
    return this.rows.get(agentId)?.sequence;
  }

  apply(push: AgentChanged): Applied {
    const previous = this.rows.get(push.agentId);
    if (!previous) return { kind: "unknown" };
    if (push.sequence <= previous.sequence) return { kind: "stale" };
    const row = rowAfter(previous, push);
    this.rows.set(row.agentId, row);
    this.version++;
    if (push.sequence > previous.sequence + 1) return { kind: "gap", row, after: previous.sequence };
    return { kind: "applied", row };
  }

  /** The last sequence held per agent, in messages of at most `size` agents (the catchup limit). */
  since(size = 200): Record<string, number>[] {
    const chunks: Record<string, number>[] = [];
    let chunk: Record<string, number> = {};
    for (const row of this.rows.values()) {
      chunk[row.agentId] = row.sequence;
      if (Object.keys(chunk).length === size) {
        chunks.push(chunk);
        chunk = {};
      }
    }
    if (Object.keys(chunk).length) chunks.push(chunk);
    return chunks;
  }

  counts(): Record<Status, number> {
    const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>;
    for (const row of this.rows.values()) counts[row.status] = (counts[row.status] ?? 0) + 1;
    return counts;
  }
}

/** The row after a change: from the pushed state when it is there, else from the change alone. */
export function rowAfter(previous: DashboardRow, push: AgentChanged): DashboardRow {
  const agent = push.agent;
  const change = push.change;
  if (!agent) {
    return {
      ...previous,
      status: change.toStatus,
      reason: change.reason,
      note: change.note,
      since: change.at,
      unitId: change.unitId ?? previous.unitId,
      sequence: push.sequence,
    };
  }
  // Stored states leave empty fields out: absent means none.
  const next = agent.nextStatus;
  return {
    ...previous,
    displayName: agent.displayName ?? previous.displayName,
    status: (agent.status ?? change.toStatus) as Status,
    reason: agent.reason ?? null,
    note: agent.note ?? null,
    since: agent.since ?? change.at,
    unitId: agent.unitId ?? null,
    units: agent.units ?? previous.units,
    queues: agent.queues ?? [],
    workItems: (agent.workItems ?? []) as WorkItem[],
    platform: agent.platform ?? null,
    autoAssignment: agent.autoAssignment ?? true,
    stopNew: agent.stopNew ?? false,
    nextStatus: next == null ? null : typeof next === "string" ? next : next.status,
    wrapUpEndsAt: agent.wrapUpEndsAt ?? null,
    sequence: push.sequence,
  };
}

const COLLATOR = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });

export type SortKey = "name" | "status" | "time";

export interface Filter {
  status: Status | "";
  text: string;
  queue: string;
}

export function visibleRows(rows: Iterable<DashboardRow>, filter: Filter, sort: SortKey): DashboardRow[] {
  const text = filter.text.trim().toLowerCase();
  const chosen: DashboardRow[] = [];
  for (const row of rows) {
    if (filter.status && row.status !== filter.status) continue;
    if (filter.queue && !row.queues.includes(filter.queue)) continue;
    if (text && !row.displayName.toLowerCase().includes(text) && !row.agentId.toLowerCase().includes(text)) continue;
    chosen.push(row);
  }
  const order = new Map(STATUSES.map((s, i) => [s, i]));
  const byName = (a: DashboardRow, b: DashboardRow) => COLLATOR.compare(a.displayName, b.displayName);
  if (sort === "name") chosen.sort(byName);
  else if (sort === "status") chosen.sort((a, b) => (order.get(a.status) ?? 9) - (order.get(b.status) ?? 9) || byName(a, b));
  else chosen.sort((a, b) => (a.since ?? "9").localeCompare(b.since ?? "9") || byName(a, b));
  return chosen;
}

/** Seconds past a threshold per status turn a row's time amber, then red (the spec's colour rule). */
export const THRESHOLDS: Partial<Record<Status, [number, number]>> = {
  UNAVAILABLE: [15 * 60, 30 * 60],
  WRAP_UP: [60, 180],
  ACTIVE: [10 * 60, 20 * 60],
  OFFLINE_WORK: [30 * 60, 60 * 60],
  AVAILABLE: [10 * 60, 30 * 60],
};

export function level(status: Status, seconds: number): "" | "warn" | "alert" {
  const limits = THRESHOLDS[status];
  if (!limits) return "";
  if (seconds >= limits[1]) return "alert";
  if (seconds >= limits[0]) return "warn";
  return "";
}

export function elapsed(since: string | null, now: number): string {
  if (!since) return "—";
  const total = Math.max(0, Math.floor((now - Date.parse(since)) / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = String(m).padStart(2, "0");
  const ss = String(s).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}
