/** The WebSocket client: connects with the current ID token, says what happened to its connection,
 * reconnects by itself (backing off), reconnects with a fresh token before the old one expires, and
 * pings so that a dead connection is noticed. */
import type { Push } from "./api/shapes";

export type LinkState = "connecting" | "open" | "retrying" | "stopped";

export interface LiveOptions {
  url: string;
  token: () => Promise<string>;
  tokenExpiresAt: () => number; // epoch seconds
  onOpen: (live: Live, reconnected: boolean) => void;
  onPush: (push: Push, receivedAt: number) => void;
  onState?: (state: LinkState, detail: string) => void;
}

const PING_SECONDS = 60; // API Gateway closes a connection idle for 10 minutes
const PONG_SECONDS = 10;
const RENEW_BEFORE_SECONDS = 90;

export class Live {
  private socket: WebSocket | null = null;
  private attempts = 0;
  private opened = false;
  private stopped = false;
  private timers: number[] = [];
  private pongDue = 0;
  state: LinkState = "connecting";

  constructor(private readonly options: LiveOptions) {}

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.socket?.close(1000, "signed out");
    this.socket = null;
    this.setState("stopped", "");
  }

  send(message: Record<string, unknown>): boolean {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  private async connect(): Promise<void> {
    this.clearTimers();
    this.setState(this.attempts ? "retrying" : "connecting", this.attempts ? `attempt ${this.attempts + 1}` : "");
    let token: string;
    try {
      token = await this.options.token();
    } catch {
      this.setState("stopped", "signed out");
      return;
    }
    if (this.stopped) return;
    const socket = new WebSocket(`${this.options.url}?token=${encodeURIComponent(token)}`);
    this.socket = socket;
    socket.onopen = () => {
      const reconnected = this.opened;
      this.opened = true;
      this.attempts = 0;
      this.setState("open", "");
      this.schedule();
      this.options.onOpen(this, reconnected);
    };
    socket.onmessage = (event) => {
      const receivedAt = performance.now();
      this.pongDue = 0;
      let push: Push;
      try {
        push = JSON.parse(String(event.data)) as Push;
      } catch {
        return;
      }
      this.options.onPush(push, receivedAt);
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return; // replaced on purpose
      this.socket = null;
      this.clearTimers();
      if (this.stopped) return;
      this.attempts++;
      const delay = Math.min(10_000, 500 * 2 ** Math.min(this.attempts - 1, 5)) * (0.75 + Math.random() * 0.5);
      this.setState("retrying", `connection lost (${event.code || "no code"}); retrying in ${Math.ceil(delay / 1000)} s`);
      this.timers.push(window.setTimeout(() => void this.connect(), delay));
    };
  }

  /** Pings, and a reconnect with a fresh token before this one expires (API Gateway checks it only
   * at connection time, but a connection outliving its token would outlive a revoked sign-in too). */
  private schedule(): void {
    this.timers.push(
      window.setInterval(() => {
        if (this.pongDue && Date.now() > this.pongDue) {
          this.socket?.close(4000, "no answer to ping");
          return;
        }
        if (this.send({ action: "ping" })) this.pongDue = Date.now() + PONG_SECONDS * 1000;
      }, PING_SECONDS * 1000),
    );
    const renewIn = (this.options.tokenExpiresAt() - RENEW_BEFORE_SECONDS) * 1000 - Date.now();
    if (renewIn > 0 && renewIn < 2 ** 31 - 1) {
      this.timers.push(window.setTimeout(() => this.renew(), renewIn));
    }
  }

  private renew(): void {
    const old = this.socket;
    this.socket = null; // its close is not a loss
    old?.close(1000, "renewing the token");
    void this.connect();
  }

  private clearTimers(): void {
    for (const timer of this.timers) {
      window.clearTimeout(timer);
      window.clearInterval(timer);
    }
    this.timers = [];
  }

  private setState(state: LinkState, detail: string): void {
    this.state = state;
    this.options.onState?.(state, detail);
  }
}
