/** The supervisor's dashboard: a unit's (or queue's) snapshot, kept current by pushes with each
 * agent's sequence checked; after a gap or a reconnect only the missed changes are asked for. */
import { memo } from "preact/compat";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ok } from "../api/client";
import type { DashboardPage, DashboardRow, ManualStatus, Push, Reason, Status } from "../api/shapes";
import { STATUSES } from "../api/shapes";
import type { Live, LinkState } from "../live";
import { type AgentChanged, elapsed, type Filter, level, Roster, type SortKey, visibleRows } from "../roster";
import { openLive, useServices } from "../services";
import { describe, Feedback, LinkIndicator, type Notice, STATUS_LABEL, StatusBadge } from "../ui/common";

type Scope = { kind: "unit" | "queue"; id: string };
const DEFAULT_REASONS = {
  unavailable: [
    { code: "BREAK", label: "On a break" },
    { code: "MEETING", label: "In a meeting" },
    { code: "BACK_OFFICE", label: "Back-office work" },
    { code: "OTHER", label: "Other", needsDescription: true },
  ] as Reason[],
  clockOut: [
    { code: "END_OF_SHIFT", label: "End of shift" },
    { code: "SICK", label: "Sick" },
    { code: "OTHER", label: "Other", needsDescription: true },
  ] as Reason[],
};

interface Metrics {
  pushToPaint: number[];
  applied: number;
  gaps: number;
  catchups: number;
  snapshots: number;
}

declare global {
  interface Window {
    __consoleMetrics?: Metrics;
  }
}

export function SupervisorView() {
  const services = useServices();
  const { api } = services;
  const stored = localStorage.getItem("console.scope");
  const [scope, setScope] = useState<Scope | null>(stored ? (JSON.parse(stored) as Scope) : null);
  const [draft, setDraft] = useState<Scope>(scope ?? { kind: "unit", id: "" });
  const [, setVersion] = useState(0);
  const [link, setLink] = useState<{ state: LinkState; detail: string }>({ state: "connecting", detail: "" });
  const [notice, setNotice] = useState<Notice | null>(null);
  const [loading, setLoading] = useState(false);
  const [filter, setFilter] = useState<Filter>({ status: "", text: "", queue: "" });
  const [sort, setSort] = useState<SortKey>("name");
  const [open, setOpen] = useState<string | null>(null);
  const [reasons, setReasons] = useState(DEFAULT_REASONS);
  const roster = useRef(new Roster()).current;
  const liveRef = useRef<Live | null>(null);
  const scopeRef = useRef<Scope | null>(scope);
  const pending = useRef<{ pushes: AgentChanged[]; loading: boolean }>({ pushes: [], loading: false });
  const frame = useRef<{ scheduled: boolean; received: number[] }>({ scheduled: false, received: [] });
  const gaps = useRef<{ since: Record<string, number>; timer: number }>({ since: {}, timer: 0 });
  const metrics = useRef<Metrics>({ pushToPaint: [], applied: 0, gaps: 0, catchups: 0, snapshots: 0 }).current;
  window.__consoleMetrics = metrics;

  function redraw(receivedAt?: number) {
    if (receivedAt !== undefined) frame.current.received.push(receivedAt);
    if (frame.current.scheduled) return;
    frame.current.scheduled = true;
    requestAnimationFrame(() => {
      frame.current.scheduled = false;
      const received = frame.current.received;
      frame.current.received = [];
      setVersion(roster.version);
      if (received.length) {
        // A message posted now runs after this frame is painted.
        const channel = new MessageChannel();
        channel.port1.onmessage = () => {
          const painted = performance.now();
          for (const at of received) metrics.pushToPaint.push(painted - at);
        };
        channel.port2.postMessage(null);
      }
    });
  }

  function askCatchUp(since: Record<string, number>) {
    metrics.catchups++;
    liveRef.current?.send({ action: "catchup", since, requestId: `c${Date.now()}` });
  }

  function onChanged(push: AgentChanged, receivedAt: number) {
    if (pending.current.loading) {
      pending.current.pushes.push(push);
      return;
    }
    const result = roster.apply(push);
    if (result.kind === "gap") {
      metrics.gaps++;
      const g = gaps.current;
      g.since[push.agentId] = Math.min(g.since[push.agentId] ?? Infinity, result.after);
      if (!g.timer) {
        g.timer = window.setTimeout(() => {
          const since = g.since;
          g.since = {};
          g.timer = 0;
          askCatchUp(since);
        }, 50);
      }
    }
    if (result.kind === "applied" || result.kind === "gap") {
      metrics.applied++;
      redraw(receivedAt);
    }
  }

  async function load(target: Scope) {
    setLoading(true);
    pending.current = { pushes: [], loading: true };
    roster.clear();
    liveRef.current?.send({ action: "subscribe", [target.kind === "unit" ? "units" : "queues"]: [target.id] });
    try {
      let cursor: string | null = null;
      do {
        const page: DashboardPage = (target.kind === "unit"
          ? await ok(api.GET("/units/{unitId}/dashboard", { params: { path: { unitId: target.id }, query: { limit: 200, cursor } } }))
          : await ok(api.GET("/queues/{queueId}/dashboard", { params: { path: { queueId: target.id }, query: { limit: 200, cursor } } }))) as unknown as DashboardPage;
        roster.load(page.agents);
        const extra = page as unknown as { reasons?: typeof DEFAULT_REASONS };
        if (extra.reasons) setReasons(extra.reasons);
        cursor = page.nextCursor;
      } while (cursor);
      metrics.snapshots++;
      setNotice({ kind: "info", text: `Watching ${target.kind} ${target.id}: ${roster.rows.size} agents`, at: Date.now() });
    } catch (error) {
      setNotice({ kind: "error", text: describe(error), at: Date.now() });
    } finally {
      const queued = pending.current.pushes;
      pending.current = { pushes: [], loading: false };
      for (const push of queued) onChanged(push, performance.now());
      setLoading(false);
      redraw();
    }
  }

  useEffect(() => {
    const live = openLive(services, {
      onOpen: (socket, reconnected) => {
        const current = scopeRef.current;
        if (!current) return;
        socket.send({ action: "subscribe", [current.kind === "unit" ? "units" : "queues"]: [current.id], requestId: "watch" });
        if (reconnected) for (const since of roster.since()) askCatchUp(since); // exactly what was missed
      },
      onPush: (push: Push, receivedAt) => {
        if (push.type === "agent.changed") onChanged(push, receivedAt);
        else if (push.type === "catchup.continue") askCatchUp(push.since); // one request's bound reached
        else if (push.type === "error") setNotice({ kind: "error", text: errorText(push.error), at: Date.now() });
      },
      onState: (state, detail) => setLink({ state, detail }),
    });
    liveRef.current = live;
    if (scope) void load(scope);
    return () => live.stop();
  }, []);

  // Time in status ticks in place: one pass over the cells each second, no re-render of the rows.
  useEffect(() => {
    const timer = window.setInterval(() => {
      const now = Date.now();
      for (const cell of document.querySelectorAll<HTMLElement>("[data-since]")) {
        const since = cell.dataset.since ?? "";
        cell.textContent = elapsed(since, now);
        const seconds = (now - Date.parse(since)) / 1000;
        cell.dataset.level = level(cell.dataset.status as Status, seconds);
      }
    }, 1000);
    return () => window.clearInterval(timer);
  }, []);

  function watch(event: Event) {
    event.preventDefault();
    const target = { kind: draft.kind, id: draft.id.trim() };
    if (!target.id) {
      setNotice({ kind: "error", text: `Name a ${target.kind} to watch (field ${target.kind}Id)`, at: Date.now() });
      return;
    }
    if (scopeRef.current) {
      const old = scopeRef.current;
      liveRef.current?.send({ action: "unsubscribe", [old.kind === "unit" ? "units" : "queues"]: [old.id] });
    }
    localStorage.setItem("console.scope", JSON.stringify(target));
    scopeRef.current = target;
    setScope(target);
    void load(target);
  }

  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  const counts = roster.counts();
  const rows = useMemo(() => visibleRows(roster.rows.values(), filter, sort), [roster.version, filter, sort]);
  const queues = useMemo(() => [...new Set([...roster.rows.values()].flatMap((r) => r.queues))].sort(), [roster.version]);

  return (
    <main id="main" class="supervisor">
      <div class="headline">
        <h1>Agents status</h1>
        <LinkIndicator state={link.state} detail={link.detail} />
      </div>
      <form class="row card" onSubmit={watch} aria-label="what to watch">
        <label>
          Watch{" "}
          <select aria-label="Watch" value={draft.kind} onChange={(e) => setDraft({ ...draft, kind: e.currentTarget.value as Scope["kind"] })}>
            <option value="unit">unit</option>
            <option value="queue">queue</option>
          </select>
        </label>
        <label>
          {draft.kind === "unit" ? "Unit" : "Queue"}{" "}
          <input name="scope" value={draft.id} onInput={(e) => setDraft({ ...draft, id: e.currentTarget.value })} placeholder={draft.kind === "unit" ? "sales" : "sales-line"} />
        </label>
        <button type="submit" class="primary" disabled={loading}>{loading ? "Loading…" : "Show"}</button>
      </form>
      <Feedback notice={notice} />
      {scope ? (
        <>
          <ul class="counts" aria-label="agents per status" data-testid="counts">
            {STATUSES.map((s) => (
              <li key={s} data-status={s}>
                <StatusBadge status={s} /> <strong data-testid={`count-${s}`}>{counts[s]}</strong>
              </li>
            ))}
          </ul>
          <div class="row filters" role="search" aria-label="filter agents">
            <label>
              Status{" "}
              <select aria-label="Status filter" value={filter.status} onChange={(e) => setFilter({ ...filter, status: e.currentTarget.value as Status | "" })}>
                <option value="">all</option>
                {STATUSES.map((s) => <option key={s} value={s}>{STATUS_LABEL[s]}</option>)}
              </select>
            </label>
            <label>
              Name <input type="search" value={filter.text} onInput={(e) => setFilter({ ...filter, text: e.currentTarget.value })} />
            </label>
            <label>
              Queue{" "}
              <select aria-label="Queue filter" value={filter.queue} onChange={(e) => setFilter({ ...filter, queue: e.currentTarget.value })}>
                <option value="">all</option>
                {queues.map((q) => <option key={q} value={q}>{q}</option>)}
              </select>
            </label>
            <label>
              Sort by{" "}
              <select aria-label="Sort by" value={sort} onChange={(e) => setSort(e.currentTarget.value as SortKey)}>
                <option value="name">name</option>
                <option value="status">status</option>
                <option value="time">time in status</option>
              </select>
            </label>
            <span data-testid="shown" data-count={rows.length}>{rows.length} shown</span>
          </div>
          <div
            class="table-wrap agents-wrap"
            onScroll={(e) => {
              const target = e.currentTarget;
              requestAnimationFrame(() => {
                setScrollTop(target.scrollTop);
                setViewport(target.clientHeight);
              });
            }}
          >
            <table class="agents" data-testid="agents" aria-rowcount={rows.length + 1}>
              <caption class="visually-hidden">Agents of {scope.kind} {scope.id}</caption>
              <thead>
                <tr>
                  <th scope="col">Agent</th>
                  <th scope="col">Status</th>
                  <th scope="col">Time in status</th>
                  <th scope="col">Unit</th>
                  <th scope="col">Queues</th>
                  <th scope="col">Work</th>
                  <th scope="col">Next</th>
                  <th scope="col">Routing</th>
                  <th scope="col">Seq.</th>
                  <th scope="col"><span class="visually-hidden">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {(() => {
                  // Only the rows in view (and a margin) are in the page: a thousand agents cost what forty do.
                  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
                  const last = Math.min(rows.length, Math.ceil((scrollTop + viewport) / ROW_HEIGHT) + OVERSCAN);
                  return (
                    <>
                      {first > 0 ? <tr aria-hidden="true" style={{ height: `${first * ROW_HEIGHT}px` }} /> : null}
                      {rows.slice(first, last).map((row, i) => (
                        <AgentRow key={row.agentId} index={first + i + 2} row={row} open={open === row.agentId} onToggle={() => setOpen((o) => (o === row.agentId ? null : row.agentId))} />
                      ))}
                      {last < rows.length ? <tr aria-hidden="true" style={{ height: `${(rows.length - last) * ROW_HEIGHT}px` }} /> : null}
                    </>
                  );
                })()}
              </tbody>
            </table>
          </div>
          {open && roster.rows.get(open) ? (
            <RowActions row={roster.rows.get(open)!} reasons={reasons} onClose={() => setOpen(null)} onNotice={setNotice} />
          ) : null}
        </>
      ) : (
        <p>Choose a unit or a queue to watch.</p>
      )}
    </main>
  );
}

function errorText(error: { message?: string; field?: string; rule?: string }): string {
  return [error.message ?? "refused", error.field && `(field ${error.field}${error.rule ? `, rule ${error.rule}` : ""})`].filter(Boolean).join(" ");
}

const ROW_HEIGHT = 40; // px, as .agents tr sets it
const OVERSCAN = 15;

const AgentRow = memo(
  function AgentRow({ row, open, onToggle, index }: { row: DashboardRow; open: boolean; onToggle: () => void; index: number }) {
    const now = Date.now();
    const seconds = row.since ? (now - Date.parse(row.since)) / 1000 : 0;
    return (
      <tr data-agent={row.agentId} data-status={row.status} data-sequence={row.sequence} aria-rowindex={index}>
        <th scope="row">{row.displayName}</th>
        <td><StatusBadge status={row.status} reason={row.reason} /></td>
        <td class="time" data-since={row.since ?? undefined} data-status={row.status} data-level={level(row.status, seconds)}>
          {elapsed(row.since, now)}
        </td>
        <td>{row.unitId ?? "—"}</td>
        <td>{row.queues.join(", ") || "—"}</td>
        <td>
          {row.workItems.length
            ? row.workItems.map((item) => (
                <span key={item.itemId} class="item">
                  {item.channel}{" "}
                  {item.reference && /^https?:\/\//.test(item.reference) ? (
                    <a href={item.reference} target="_blank" rel="noopener noreferrer">ticket</a>
                  ) : (item.reference ?? item.itemId)}
                </span>
              ))
            : "—"}
        </td>
        <td>{row.nextStatus ? STATUS_LABEL[row.nextStatus as Status] ?? row.nextStatus : "—"}</td>
        <td>{row.autoAssignment ? "auto" : "off"}{row.stopNew ? ", stop new" : ""}</td>
        <td>{row.sequence}</td>
        <td>
          <button type="button" aria-expanded={open} onClick={onToggle} aria-label={`Actions for ${row.displayName}`}>
            Actions
          </button>
        </td>
      </tr>
    );
  },
  (a, b) => a.row === b.row && a.open === b.open && a.index === b.index,
);

function RowActions({ row, reasons, onClose, onNotice }: { row: DashboardRow; reasons: typeof DEFAULT_REASONS; onClose: () => void; onNotice: (n: Notice) => void }) {
  const { api } = useServices();
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<ManualStatus>("AVAILABLE");
  const [reason, setReason] = useState("");
  const [description, setDescription] = useState("");
  const [pauseReason, setPauseReason] = useState(reasons.unavailable[0]?.code ?? "BREAK");
  const [message, setMessage] = useState("");
  const [queue, setQueue] = useState("");
  const path = { params: { path: { agentId: row.agentId } } };
  const statusReasons = status === "UNAVAILABLE" ? reasons.unavailable : status === "AWAY" ? reasons.clockOut : [];
  const chosenReason = statusReasons.find((r) => r.code === reason) ?? statusReasons[0];
  const pauseChosen = reasons.unavailable.find((r) => r.code === pauseReason);

  async function act(done: string, call: () => Promise<unknown>) {
    setBusy(true);
    try {
      await call();
      onNotice({ kind: "ok", text: `${row.displayName}: ${done}`, at: Date.now() });
    } catch (error) {
      onNotice({ kind: "error", text: `${row.displayName}: ${describe(error)}`, at: Date.now() });
    } finally {
      setBusy(false);
    }
  }

  const voice = row.workItems.some((i) => i.channel === "voice");
  return (
    <section class="card actions" aria-labelledby="row-actions-heading" data-testid="row-actions">
      <div class="headline">
        <h2 id="row-actions-heading">Act on {row.displayName}</h2>
        <button type="button" onClick={onClose}>Close</button>
      </div>
      <form class="row" onSubmit={(e) => { e.preventDefault(); void act(`status forced to ${STATUS_LABEL[status]}`, () => ok(api.POST("/agents/{agentId}/status", { ...path, body: { status, reason: chosenReason?.code ?? null, description: description || null } }))); }}>
        <label>
          Force status{" "}
          <select aria-label="Force status" name="force-status" value={status} onChange={(e) => setStatus(e.currentTarget.value as ManualStatus)}>
            {(["AVAILABLE", "UNAVAILABLE", "OFFLINE_WORK", "AWAY"] as ManualStatus[]).map((s) => <option key={s} value={s}>{STATUS_LABEL[s]}</option>)}
          </select>
        </label>
        {statusReasons.length ? (
          <label>
            Reason{" "}
            <select aria-label="Reason" name="force-reason" value={chosenReason?.code} onChange={(e) => setReason(e.currentTarget.value)}>
              {statusReasons.map((r) => <option key={r.code} value={r.code}>{r.label}</option>)}
            </select>
          </label>
        ) : null}
        {chosenReason?.needsDescription ? (
          <label>Description <input name="force-description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} /></label>
        ) : null}
        <button type="submit" disabled={busy}>Force</button>
      </form>
      <form class="row" onSubmit={(e) => { e.preventDefault(); void act("paused", () => ok(api.POST("/agents/{agentId}/pause", { ...path, body: { reason: pauseReason, description: description || null } }))); }}>
        <label>
          Pause with reason{" "}
          <select aria-label="Pause with reason" name="pause-reason" value={pauseReason} onChange={(e) => setPauseReason(e.currentTarget.value)}>
            {reasons.unavailable.map((r) => <option key={r.code} value={r.code}>{r.label}</option>)}
          </select>
        </label>
        {pauseChosen?.needsDescription ? (
          <label>Description <input name="pause-description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} /></label>
        ) : null}
        <button type="submit" disabled={busy}>Pause</button>
      </form>
      <form class="row" onSubmit={(e) => { e.preventDefault(); void act("message sent", async () => { await ok(api.POST("/agents/{agentId}/messages", { ...path, body: { text: message } })); setMessage(""); }); }}>
        <label>
          Message <input name="message" value={message} maxLength={2000} onInput={(e) => setMessage(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={busy}>Send</button>
      </form>
      <div class="row">
        {row.status === "WRAP_UP" ? (
          <button type="button" disabled={busy} onClick={() => act("wrap-up ended", () => ok(api.POST("/agents/{agentId}/wrap-up/end", path)))}>End wrap-up</button>
        ) : null}
        <button type="button" disabled={busy} onClick={() => act(`automatic assignment ${row.autoAssignment ? "off" : "on"}`, () => ok(api.PUT("/agents/{agentId}/auto-assignment", { ...path, body: { enabled: !row.autoAssignment } })))}>
          Automatic assignment {row.autoAssignment ? "off" : "on"}
        </button>
        {voice
          ? (["listen", "whisper", "barge"] as const).map((mode) => (
              <button key={mode} type="button" disabled={busy} onClick={() => act(`monitoring (${mode}) started`, () => ok(api.POST("/agents/{agentId}/monitoring", { ...path, body: { mode } })))}>
                {mode[0]!.toUpperCase() + mode.slice(1)}
              </button>
            ))
          : null}
      </div>
      <form class="row" onSubmit={(e) => e.preventDefault()}>
        <label>
          Queue <input name="queue" value={queue} onInput={(e) => setQueue(e.currentTarget.value)} />
        </label>
        <button type="button" disabled={busy || !queue} onClick={() => act(`logged into ${queue}`, () => ok(api.POST("/agents/{agentId}/queues/{queueId}/login", { params: { path: { agentId: row.agentId, queueId: queue } } })))}>Log into queue</button>
        <button type="button" disabled={busy || !queue} onClick={() => act(`logged out of ${queue}`, () => ok(api.POST("/agents/{agentId}/queues/{queueId}/logout", { params: { path: { agentId: row.agentId, queueId: queue } } })))}>Log out of queue</button>
      </form>
    </section>
  );
}
