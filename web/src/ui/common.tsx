import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../api/client";
import type { Status } from "../api/shapes";
import type { LinkState } from "../live";

export const STATUS_LABEL: Record<Status, string> = {
  AVAILABLE: "Available",
  ACTIVE: "Active",
  WRAP_UP: "Wrap-up",
  UNAVAILABLE: "Unavailable",
  OFFLINE_WORK: "Offline work",
  AWAY: "Away",
};

// A symbol beside every label: status is never told by colour alone.
const STATUS_SYMBOL: Record<Status, string> = {
  AVAILABLE: "●",
  ACTIVE: "▶",
  WRAP_UP: "✎",
  UNAVAILABLE: "‖",
  OFFLINE_WORK: "◐",
  AWAY: "○",
};

export function StatusBadge({ status, reason }: { status: Status; reason?: string | null }) {
  return (
    <span class={`badge status-${status}`} data-status={status}>
      <span aria-hidden="true">{STATUS_SYMBOL[status] ?? "?"}</span> {STATUS_LABEL[status] ?? status}
      {reason ? <span class="badge-reason"> · {reason}</span> : null}
    </span>
  );
}

export type Notice = { kind: "ok" | "error" | "info"; text: string; at: number };

/** Every action says how it went: a polite live region for success, an alert for errors. */
export function Feedback({ notice }: { notice: Notice | null }) {
  return (
    <div class="feedback-area">
      <div role="status" aria-live="polite" class="feedback ok" data-testid="feedback">
        {notice && notice.kind !== "error" ? notice.text : ""}
      </div>
      <div role="alert" class="feedback error" data-testid="error">
        {notice?.kind === "error" ? notice.text : ""}
      </div>
    </div>
  );
}

export function describe(error: unknown): string {
  if (error instanceof ApiError) return error.describe();
  return error instanceof Error ? error.message : String(error);
}

/** Runs an action with a notice for its outcome; returns whether it succeeded. */
export function useActions() {
  const [notice, setNotice] = useState<Notice | null>(null);
  const [busy, setBusy] = useState(false);
  async function run(done: string, action: () => Promise<unknown>): Promise<boolean> {
    setBusy(true);
    try {
      await action();
      setNotice({ kind: "ok", text: done, at: Date.now() });
      return true;
    } catch (error) {
      setNotice({ kind: "error", text: describe(error), at: Date.now() });
      return false;
    } finally {
      setBusy(false);
    }
  }
  return { notice, setNotice, busy, run };
}

const LINK_TEXT: Record<LinkState, string> = {
  connecting: "Connecting…",
  open: "Live",
  retrying: "Reconnecting…",
  stopped: "Not connected",
};

export function LinkIndicator({ state, detail }: { state: LinkState; detail: string }) {
  return (
    <span class={`link link-${state}`} role="status" aria-live="polite" data-testid="link" data-state={state}>
      <span aria-hidden="true">{state === "open" ? "⬤" : "◌"}</span> {LINK_TEXT[state]}
      {detail && state !== "open" ? <span class="link-detail"> — {detail}</span> : null}
    </span>
  );
}

/** The current time, once a second, for clocks that tick. */
export function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, []);
  return now;
}

export function Section({ title, children, id }: { title: string; children: ComponentChildren; id?: string }) {
  const headingId = `${id ?? title.toLowerCase().replace(/\W+/g, "-")}-heading`;
  return (
    <section class="card" aria-labelledby={headingId}>
      <h2 id={headingId}>{title}</h2>
      {children}
    </section>
  );
}
