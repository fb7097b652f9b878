/** The agent's own console: status, clock in and out, status menu, next status, work, queues, and
 * what supervisors push. */
import { useEffect, useRef, useState } from "preact/hooks";
import { ok } from "../api/client";
import type { AgentState, Changed, ManualStatus, Push, Reason, Status } from "../api/shapes";
import type { LinkState } from "../live";
import { elapsed } from "../roster";
import { openLive, useServices } from "../services";
import { Feedback, LinkIndicator, Section, STATUS_LABEL, StatusBadge, useActions, useNow } from "../ui/common";

interface Pushed {
  id: string;
  at: string;
  text: string;
  kind: "message" | "forced";
}

const MANUAL: ManualStatus[] = ["AVAILABLE", "UNAVAILABLE", "OFFLINE_WORK", "AWAY"];

export function AgentView() {
  const services = useServices();
  const { api } = services;
  const [state, setState] = useState<AgentState | null>(null);
  const [pushed, setPushed] = useState<Pushed[]>([]);
  const [link, setLink] = useState<{ state: LinkState; detail: string }>({ state: "connecting", detail: "" });
  const actions = useActions();
  const now = useNow();
  const refreshing = useRef<Promise<void> | null>(null);

  async function refresh(): Promise<void> {
    if (refreshing.current) return refreshing.current;
    refreshing.current = (async () => {
      try {
        setState((await ok(api.GET("/me/state"))) as unknown as AgentState);
      } catch (error) {
        actions.setNotice({ kind: "error", text: `Your state could not be read: ${String((error as Error).message)}`, at: Date.now() });
      } finally {
        refreshing.current = null;
      }
    })();
    return refreshing.current;
  }

  useEffect(() => {
    void refresh();
    const live = openLive(services, {
      onOpen: (_live, reconnected) => {
        if (reconnected) void refresh(); // what changed while the connection was down
      },
      onPush: (push: Push) => {
        if (push.type === "agent.changed" && push.agentId === services.identity.userId) {
          const change = push.change;
          if (change.actorKind !== "agent") {
            const who = change.actorKind === "supervisor" ? `Supervisor ${change.actorId}` : `The ${change.actorKind}`;
            const reason = change.reason ? ` (${change.reason})` : "";
            addPushed({ id: `c${push.sequence}`, at: change.at, kind: "forced", text: `${who} set your status to ${STATUS_LABEL[change.toStatus]}${reason}` });
          }
          void refresh();
        } else if (push.type === "agent.message") {
          addPushed({ id: push.messageId, at: push.at, kind: "message", text: `${push.fromName}: ${push.text}` });
        }
      },
      onState: (linkState, detail) => setLink({ state: linkState, detail }),
    });
    return () => live.stop();
  }, []);

  function addPushed(entry: Pushed) {
    setPushed((list) => (list.some((e) => e.id === entry.id) ? list : [entry, ...list].slice(0, 50)));
  }

  async function change(done: string, call: () => Promise<unknown>) {
    await actions.run(done, async () => {
      const changed = (await call()) as Changed;
      if (changed?.agent) setState((current) => ({ ...(current ?? {}), ...changed.agent }) as AgentState);
    });
  }

  if (!state) {
    return (
      <main id="main" class="agent">
        <h1>My status</h1>
        <p>Loading…</p>
        <Feedback notice={actions.notice} />
      </main>
    );
  }
  const reasons = state.reasons ?? { unavailable: [], clockOut: [] };
  const away = state.status === "AWAY";
  const handling = state.status === "ACTIVE" || state.status === "WRAP_UP";
  const next = typeof state.nextStatus === "string" ? { status: state.nextStatus, reason: null } : state.nextStatus;

  return (
    <main id="main" class="agent">
      <div class="headline">
        <h1>My status</h1>
        <LinkIndicator state={link.state} detail={link.detail} />
      </div>
      <div class="card now" data-testid="my-status">
        <StatusBadge status={state.status} reason={state.reason} />
        <span class="since">
          {state.since ? ` for ${elapsed(state.since, now)}` : ""}
        </span>
        {state.unitId ? <span class="unit"> · unit {state.unitId}</span> : null}
        {state.note ? <p class="note">{state.note}</p> : null}
        {next ? (
          <p data-testid="next-status">
            Next: <StatusBadge status={next.status} reason={next.reason} />
          </p>
        ) : null}
      </div>
      <Feedback notice={actions.notice} />

      {away ? (
        <ClockIn units={state.units} busy={actions.busy} onClockIn={(unitId) =>
          change("Clocked in", () => ok(api.POST("/me/clock-in", { body: { platform: "web", unitId: unitId ?? null } })))
        } />
      ) : (
        <StatusMenu
          allowed={state.allowedStatuses.filter((s) => s !== "AWAY" && s !== state.status)}
          reasons={reasons.unavailable}
          busy={actions.busy}
          onChoose={(status, reason, description) =>
            change(`Status set to ${STATUS_LABEL[status]}`, () =>
              ok(api.PUT("/me/status", { body: { status: status as ManualStatus, reason, description } })),
            )
          }
        />
      )}

      {handling || next ? (
        <Section title="Next status">
          <p>{next ? <>After this work: <strong>{STATUS_LABEL[next.status]}</strong>{next.reason ? ` (${next.reason})` : ""}</> : "None set: you stay available for work."}</p>
          <StatusForm
            label={next ? "Replace next status" : "Set next status"}
            statuses={MANUAL}
            reasons={reasons.unavailable}
            clockOutReasons={reasons.clockOut}
            busy={actions.busy}
            idPrefix="next"
            onSubmit={(status, reason, description) =>
              change("Next status set", () => ok(api.PUT("/me/next-status", { body: { status: status as ManualStatus, reason, description } })))
            }
          />
          {next ? (
            <button type="button" disabled={actions.busy} onClick={() => change("Next status cancelled", () => ok(api.DELETE("/me/next-status")))}>
              Cancel next status
            </button>
          ) : null}
        </Section>
      ) : null}

      {!away ? (
        <Section title="Work">
          <div class="row">
            {state.stopNew ? (
              <button type="button" disabled={actions.busy} onClick={() => change("New work resumed", () => ok(api.POST("/me/resume")))}>
                Resume new work
              </button>
            ) : (
              <button type="button" disabled={actions.busy} onClick={() => change("No new work will be offered", () => ok(api.POST("/me/stop-new")))}>
                Stop new work
              </button>
            )}
            {state.status === "WRAP_UP" ? (
              <button type="button" disabled={actions.busy} onClick={() => change("Wrap-up ended", () => ok(api.POST("/me/wrap-up/end")))}>
                End wrap-up{state.wrapUpEndsAt ? ` (ends by itself in ${Math.max(0, Math.ceil((Date.parse(state.wrapUpEndsAt) - now) / 1000))} s)` : ""}
              </button>
            ) : null}
          </div>
          {state.workItems.length ? (
            <ul class="items" aria-label="work in hand">
              {state.workItems.map((item) => (
                <li key={item.itemId}>
                  {item.channel} · {item.state} · {reference(item.reference ?? item.itemId)}
                  {item.queueId ? ` · ${item.queueId}` : ""}
                </li>
              ))}
            </ul>
          ) : (
            <p>No work in hand.</p>
          )}
        </Section>
      ) : null}

      {!away && (state.assignedQueues.length || state.queues.length) ? (
        <Section title="Queues">
          <ul class="queues">
            {[...new Set([...state.assignedQueues, ...state.queues])].map((queue) => {
              const inIt = state.queues.includes(queue);
              return (
                <li key={queue}>
                  <span>{queue}: {inIt ? "logged in" : "logged out"}</span>{" "}
                  <button type="button" disabled={actions.busy} onClick={() =>
                    change(inIt ? `Logged out of ${queue}` : `Logged into ${queue}`, () =>
                      inIt
                        ? ok(api.POST("/me/queues/{queueId}/logout", { params: { path: { queueId: queue } } }))
                        : ok(api.POST("/me/queues/{queueId}/login", { params: { path: { queueId: queue } } })),
                    )
                  }>
                    {inIt ? "Log out" : "Log in"}
                  </button>
                </li>
              );
            })}
          </ul>
        </Section>
      ) : null}

      {!away ? (
        <ClockOut reasons={reasons.clockOut} busy={actions.busy} onClockOut={(reason, description) =>
          change("Clocked out", () => ok(api.POST("/me/clock-out", { body: { reason, description } })))
        } />
      ) : null}

      <Section title="From your supervisors">
        <ul class="pushed" aria-live="polite" data-testid="pushed">
          {pushed.length ? pushed.map((entry) => (
            <li key={entry.id} class={entry.kind}>
              <time dateTime={entry.at}>{new Date(entry.at).toLocaleTimeString()}</time> {entry.text}
            </li>
          )) : <li class="empty">Nothing yet.</li>}
        </ul>
      </Section>
    </main>
  );
}

function reference(text: string) {
  return /^https?:\/\//.test(text) ? (
    <a href={text} target="_blank" rel="noopener noreferrer">{text}</a>
  ) : (
    <span>{text}</span>
  );
}

function ClockIn({ units, busy, onClockIn }: { units: string[]; busy: boolean; onClockIn: (unitId: string | undefined) => void }) {
  const [unit, setUnit] = useState(units[0] ?? "");
  return (
    <Section title="Clock in">
      <form class="row" onSubmit={(e) => { e.preventDefault(); onClockIn(units.length > 1 ? unit : undefined); }}>
        {units.length > 1 ? (
          <label>
            Unit{" "}
            <select aria-label="Unit" name="unit" value={unit} onChange={(e) => setUnit(e.currentTarget.value)}>
              {units.map((u) => <option key={u} value={u}>{u}</option>)}
            </select>
          </label>
        ) : units.length === 1 ? <span>Unit {units[0]}</span> : null}
        <button type="submit" class="primary" disabled={busy}>Clock in</button>
      </form>
    </Section>
  );
}

function StatusMenu(props: { allowed: Status[]; reasons: Reason[]; busy: boolean; onChoose: (s: Status, reason: string | null, description: string | null) => void }) {
  if (!props.allowed.length) {
    return (
      <Section title="Change status">
        <p>The policy allows no change of status now.</p>
      </Section>
    );
  }
  return (
    <Section title="Change status">
      <StatusForm label="Change status" statuses={props.allowed} reasons={props.reasons} clockOutReasons={[]} busy={props.busy} idPrefix="status" onSubmit={props.onChoose} />
    </Section>
  );
}

/** A status with the reason it needs (and a description for reasons that ask for one). */
function StatusForm(props: {
  label: string;
  statuses: Status[];
  reasons: Reason[];
  clockOutReasons: Reason[];
  busy: boolean;
  idPrefix: string;
  onSubmit: (status: Status, reason: string | null, description: string | null) => void;
}) {
  const [status, setStatus] = useState<Status>(props.statuses[0] ?? "AVAILABLE");
  const chosen = props.statuses.includes(status) ? status : props.statuses[0] ?? "AVAILABLE";
  const reasons = chosen === "UNAVAILABLE" ? props.reasons : chosen === "AWAY" ? props.clockOutReasons : [];
  const [reason, setReason] = useState("");
  const [description, setDescription] = useState("");
  const picked = reasons.find((r) => r.code === reason) ?? reasons[0];
  const needsDescription = Boolean(picked?.needsDescription);
  return (
    <form
      class="row"
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit(chosen, picked ? picked.code : null, needsDescription || description ? description || null : null);
      }}
    >
      <label>
        Status{" "}
        <select aria-label={props.idPrefix === "next" ? "Next status" : "Status"} name={`${props.idPrefix}-status`} value={chosen} onChange={(e) => setStatus(e.currentTarget.value as Status)}>
          {props.statuses.map((s) => <option key={s} value={s}>{STATUS_LABEL[s]}</option>)}
        </select>
      </label>
      {reasons.length ? (
        <label>
          Reason{" "}
          <select aria-label={props.idPrefix === "next" ? "Next status reason" : "Reason"} name={`${props.idPrefix}-reason`} value={picked?.code ?? ""} onChange={(e) => setReason(e.currentTarget.value)}>
            {reasons.map((r) => <option key={r.code} value={r.code}>{r.label}</option>)}
          </select>
        </label>
      ) : null}
      {needsDescription ? (
        <label>
          Description{" "}
          <input aria-label={props.idPrefix === "next" ? "Next status description" : "Description"} name={`${props.idPrefix}-description`} required maxLength={500} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </label>
      ) : null}
      <button type="submit" disabled={props.busy}>{props.label}</button>
    </form>
  );
}

function ClockOut({ reasons, busy, onClockOut }: { reasons: Reason[]; busy: boolean; onClockOut: (reason: string, description: string | null) => void }) {
  const [reason, setReason] = useState(reasons[0]?.code ?? "");
  const [description, setDescription] = useState("");
  const picked = reasons.find((r) => r.code === reason) ?? reasons[0];
  return (
    <Section title="Clock out">
      <form class="row" onSubmit={(e) => { e.preventDefault(); onClockOut(picked?.code ?? reason, description || null); }}>
        {reasons.length ? (
          <label>
            Reason{" "}
            <select aria-label="Clock-out reason" name="clock-out-reason" value={picked?.code} onChange={(e) => setReason(e.currentTarget.value)}>
              {reasons.map((r) => <option key={r.code} value={r.code}>{r.label}</option>)}
            </select>
          </label>
        ) : (
          <label>
            Reason <input aria-label="Clock-out reason" name="clock-out-reason" required value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          </label>
        )}
        {picked?.needsDescription ? (
          <label>
            Description <input aria-label="Clock-out description" name="clock-out-description" required maxLength={500} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
          </label>
        ) : null}
        <button type="submit" disabled={busy}>Clock out</button>
      </form>
    </Section>
  );
}
