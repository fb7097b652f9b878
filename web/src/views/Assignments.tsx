/** My Assignments: counts by state and type, the list, one opened to read, Save (with its
 * confirmation and comments where allowed) and Close; completed ones are read-only. */
import { useEffect, useState } from "preact/hooks";
import { ok } from "../api/client";
import type { AssignmentCopy, AssignmentState, AssignmentType, MyAssignments } from "../api/shapes";
import { useServices } from "../services";
import { Feedback, Section, useActions } from "../ui/common";

const STATE_LABEL: Record<string, string> = { NEW: "New", STARTED: "Started", COMPLETED: "Completed" };
const TYPE_LABEL: Record<string, string> = { evaluation: "Evaluation", coaching: "Coaching", elearning: "E-learning" };

export function AssignmentsView() {
  const { api } = useServices();
  const [mine, setMine] = useState<MyAssignments | null>(null);
  const [type, setType] = useState<AssignmentType | "">("");
  const [state, setState] = useState<AssignmentState | "">("");
  const [opened, setOpened] = useState<AssignmentCopy | null>(null);
  const actions = useActions();

  async function reload() {
    const query = { type: type || null, state: state || null, limit: 100 };
    setMine((await ok(api.GET("/me/assignments", { params: { query } }))) as unknown as MyAssignments);
  }

  useEffect(() => {
    reload().catch((error) => actions.setNotice({ kind: "error", text: String(error.message ?? error), at: Date.now() }));
  }, [type, state]);

  async function openOne(id: string) {
    await actions.run("Assignment opened", async () => {
      const body = (await ok(api.GET("/me/assignments/{assignmentId}", { params: { path: { assignmentId: id } } }))) as unknown as { assignment: AssignmentCopy };
      setOpened(body.assignment);
    });
  }

  if (!mine) {
    return (
      <main id="main"><h1>My assignments</h1><p>Loading…</p><Feedback notice={actions.notice} /></main>
    );
  }
  return (
    <main id="main" class="assignments">
      <h1>My assignments</h1>
      <Feedback notice={actions.notice} />
      <Section title="Counts">
        <table class="compact" data-testid="assignment-counts">
          <caption class="visually-hidden">Assignments by type and state</caption>
          <thead>
            <tr><th scope="col">Type</th>{["NEW", "STARTED", "COMPLETED"].map((s) => <th scope="col" key={s}>{STATE_LABEL[s]}</th>)}</tr>
          </thead>
          <tbody>
            {mine.types.map((t) => (
              <tr key={t}>
                <th scope="row">{TYPE_LABEL[t] ?? t}</th>
                {["NEW", "STARTED", "COMPLETED"].map((s) => <td key={s}>{mine.counts.byType[t]?.[s] ?? 0}</td>)}
              </tr>
            ))}
          </tbody>
        </table>
        <p>{mine.counts.total} in all{mine.counts.overdue ? `, ${mine.counts.overdue} overdue` : ""}.</p>
      </Section>
      <Section title="List">
        <div class="row">
          <label>
            Type{" "}
            <select aria-label="Type" value={type} onChange={(e) => setType(e.currentTarget.value as AssignmentType | "")}>
              <option value="">all</option>
              {mine.types.map((t) => <option key={t} value={t}>{TYPE_LABEL[t] ?? t}</option>)}
            </select>
          </label>
          <label>
            State{" "}
            <select aria-label="State" value={state} onChange={(e) => setState(e.currentTarget.value as AssignmentState | "")}>
              <option value="">all</option>
              {["NEW", "STARTED", "COMPLETED"].map((s) => <option key={s} value={s}>{STATE_LABEL[s]}</option>)}
            </select>
          </label>
        </div>
        {mine.assignments.length ? (
          <ul class="list" data-testid="assignment-list">
            {mine.assignments.map((a) => (
              <li key={a.assignmentId} data-assignment={a.assignmentId} data-state={a.state}>
                <button type="button" class="link-button" onClick={() => openOne(a.assignmentId)}>{a.title}</button>{" "}
                <span>{TYPE_LABEL[a.type] ?? a.type} · {STATE_LABEL[a.state] ?? a.state}{a.overdue ? " · overdue" : ""}{a.dueAt ? ` · due ${new Date(a.dueAt).toLocaleString()}` : ""}</span>
              </li>
            ))}
          </ul>
        ) : <p>No assignments.</p>}
      </Section>
      {opened ? (
        <Opened
          key={`${opened.assignmentId}:${opened.version}`}
          copy={opened}
          busy={actions.busy}
          onSave={(confirmed, comments) =>
            actions.run(confirmed ? "Saved and completed" : "Saved", async () => {
              const body = (await ok(api.POST("/me/assignments/{assignmentId}/save", { params: { path: { assignmentId: opened.assignmentId } }, body: { version: opened.version, confirmed, comments } }))) as unknown as { assignment: AssignmentCopy };
              setOpened({ ...opened, ...body.assignment }); // the answer may leave out the content
              await reload();
            })
          }
          onClose={() =>
            actions.run("Closed", async () => {
              await ok(api.POST("/me/assignments/{assignmentId}/close", { params: { path: { assignmentId: opened.assignmentId } } }));
              setOpened(null);
              await reload();
            })
          }
        />
      ) : null}
    </main>
  );
}

function Opened({ copy, busy, onSave, onClose }: { copy: AssignmentCopy; busy: boolean; onSave: (confirmed: boolean, comments: string | null) => void; onClose: () => void }) {
  const [confirmed, setConfirmed] = useState(copy.confirmed);
  const [comments, setComments] = useState(copy.comments ?? "");
  const done = copy.state === "COMPLETED";
  return (
    <Section title={copy.title} id="opened">
      <p data-testid="opened-state">{TYPE_LABEL[copy.type] ?? copy.type} · {STATE_LABEL[copy.state] ?? copy.state}{done ? " (read-only)" : ""}</p>
      {copy.instructions ? <p class="instructions">{copy.instructions}</p> : null}
      {copy.contentLink ? <p><a href={copy.contentLink} target="_blank" rel="noopener noreferrer">Open the content</a></p> : null}
      <form onSubmit={(e) => { e.preventDefault(); onSave(confirmed, copy.commentsAllowed ? comments || null : null); }}>
        {copy.confirmationStatement || copy.hasConfirmation ? (
          <label class="check">
            <input type="checkbox" name="confirmed" checked={confirmed} disabled={done} onChange={(e) => setConfirmed(e.currentTarget.checked)} /> {copy.confirmationStatement ?? "I confirm"}
          </label>
        ) : null}
        {copy.commentsAllowed ? (
          <label class="block">
            Comments
            <textarea name="comments" rows={3} value={comments} readOnly={done} onInput={(e) => setComments(e.currentTarget.value)} />
          </label>
        ) : null}
        <div class="row">
          {!done ? <button type="submit" class="primary" disabled={busy}>Save</button> : null}
          <button type="button" disabled={busy} onClick={onClose}>Close</button>
        </div>
      </form>
    </Section>
  );
}
