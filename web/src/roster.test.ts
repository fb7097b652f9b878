import { describe, expect, it } from "vitest";
import type { Change, DashboardRow } from "./api/shapes";
import { elapsed, level, Roster, visibleRows } from "./roster";

function row(agentId: string, sequence: number, extra: Partial<DashboardRow> = {}): DashboardRow {
  return {
    agentId, displayName: agentId, status: "AVAILABLE", reason: null, note: null, since: "2026-01-01T09:00:00.000+00:00",
    unitId: "sales", units: ["sales"], queues: [], workItems: [], platform: "web", autoAssignment: true, stopNew: false,
    nextStatus: null, wrapUpEndsAt: null, sequence, ...extra,
  };
}

function change(sequence: number, toStatus: Change["toStatus"], reason: string | null = null): Change {
  return { sequence, at: "2026-01-01T09:05:00.000+00:00", kind: "status", fromStatus: null, toStatus, reason, note: null, actorKind: "agent", actorId: "a", platform: "web", unitId: "sales" };
}

describe("Roster", () => {
  it("applies the next sequence and ignores what it already holds", () => {
    const roster = new Roster();
    roster.load([row("a", 4)]);
    const pushed = { agentId: "a", sequence: 5, change: change(5, "UNAVAILABLE", "BREAK"), agent: { status: "UNAVAILABLE" as const, reason: "BREAK", since: "2026-01-01T09:05:00.000+00:00", queues: ["q"] } };
    expect(roster.apply(pushed).kind).toBe("applied");
    expect(roster.rows.get("a")).toMatchObject({ status: "UNAVAILABLE", reason: "BREAK", sequence: 5, queues: ["q"] });
    expect(roster.apply(pushed).kind).toBe("stale");
    expect(roster.apply({ ...pushed, sequence: 3 }).kind).toBe("stale");
    expect(roster.counts().UNAVAILABLE).toBe(1);
  });

  it("applies a later state at once and reports the gap to catch up", () => {
    const roster = new Roster();
    roster.load([row("a", 1)]);
    const result = roster.apply({ agentId: "a", sequence: 4, change: change(4, "AWAY", "END_OF_SHIFT"), agent: { status: "AWAY", reason: "END_OF_SHIFT" } });
    expect(result).toMatchObject({ kind: "gap", after: 1 });
    expect(roster.held("a")).toBe(4);
    // The caught-up changes 2 and 3 are older than what is held: they change nothing.
    expect(roster.apply({ agentId: "a", sequence: 2, change: change(2, "UNAVAILABLE"), agent: { status: "UNAVAILABLE" } }).kind).toBe("stale");
    expect(roster.rows.get("a")?.status).toBe("AWAY");
  });

  it("leaves absent fields of a pushed state empty, and falls back to the change without a state", () => {
    const roster = new Roster();
    roster.load([row("a", 1, { reason: "BREAK", nextStatus: "AWAY" })]);
    roster.apply({ agentId: "a", sequence: 2, change: change(2, "AVAILABLE"), agent: { status: "AVAILABLE" } });
    expect(roster.rows.get("a")).toMatchObject({ reason: null, nextStatus: null });
    roster.apply({ agentId: "a", sequence: 3, change: change(3, "UNAVAILABLE", "MEETING"), agent: null });
    expect(roster.rows.get("a")).toMatchObject({ status: "UNAVAILABLE", reason: "MEETING", since: "2026-01-01T09:05:00.000+00:00" });
  });

  it("ignores agents it does not show, and splits catch-up requests at 200 agents", () => {
    const roster = new Roster();
    roster.load(Array.from({ length: 450 }, (_, i) => row(`a${i}`, i)));
    expect(roster.apply({ agentId: "zz", sequence: 1, change: change(1, "AWAY"), agent: null }).kind).toBe("unknown");
    const chunks = roster.since();
    expect(chunks.map((c) => Object.keys(c).length)).toEqual([200, 200, 50]);
    expect(chunks[2]!["a449"]).toBe(449);
  });
});

describe("views of the roster", () => {
  it("filters by status, name and queue, and sorts", () => {
    const rows = [row("b", 1, { displayName: "Bea", status: "UNAVAILABLE", queues: ["q1"] }), row("a", 1, { displayName: "Al" }), row("c", 1, { displayName: "Cy", queues: ["q1"] })];
    expect(visibleRows(rows, { status: "", text: "", queue: "" }, "name").map((r) => r.agentId)).toEqual(["a", "b", "c"]);
    expect(visibleRows(rows, { status: "UNAVAILABLE", text: "", queue: "" }, "name").map((r) => r.agentId)).toEqual(["b"]);
    expect(visibleRows(rows, { status: "", text: "c", queue: "q1" }, "name").map((r) => r.agentId)).toEqual(["c"]);
    expect(visibleRows(rows, { status: "", text: "", queue: "" }, "status").map((r) => r.agentId)).toEqual(["a", "c", "b"]);
  });

  it("tells time in status and its threshold", () => {
    const since = "2026-01-01T09:00:00.000Z";
    expect(elapsed(since, Date.parse(since) + 65_000)).toBe("01:05");
    expect(elapsed(since, Date.parse(since) + 3_725_000)).toBe("1:02:05");
    expect(elapsed(null, 0)).toBe("—");
    expect(level("WRAP_UP", 30)).toBe("");
    expect(level("WRAP_UP", 90)).toBe("warn");
    expect(level("WRAP_UP", 200)).toBe("alert");
    expect(level("AWAY", 99999)).toBe("");
  });
});
