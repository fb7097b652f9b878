/** Sign-in with the authorization-code flow and PKCE (oidc-client-ts), silent renewal with the
 * refresh token, sign-out. The API takes the ID token as its bearer (Cognito's JWT authorizer checks
 * the ID token's audience: the app client). */
import { User, UserManager, WebStorageStateStore } from "oidc-client-ts";
import type { ConsoleConfig } from "./config";

export type Role = "AGENT" | "SUPERVISOR" | "UNIT_MANAGER" | "ADMIN" | "FINANCE" | string;

export interface Identity {
  userId: string;
  name: string;
  roles: Role[];
  idToken: string;
  expiresAt: number; // epoch seconds
}

type Listener = (identity: Identity | null) => void;

export class Auth {
  readonly manager: UserManager;
  private listeners = new Set<Listener>();
  private current: Identity | null = null;

  constructor(private readonly config: ConsoleConfig) {
    const here = `${window.location.origin}/`;
    this.manager = new UserManager({
      authority: config.authority,
      client_id: config.clientId,
      redirect_uri: config.redirectUri ?? here,
      post_logout_redirect_uri: config.postLogoutRedirectUri ?? here,
      response_type: "code",
      scope: config.scope ?? "openid email profile",
      automaticSilentRenew: true, // with a refresh token: no iframe
      accessTokenExpiringNotificationTimeInSeconds: 120,
      // Tabs of one browser share nothing but survive a reload: the session lives in sessionStorage.
      userStore: new WebStorageStateStore({ store: window.sessionStorage }),
      loadUserInfo: false,
    });
    this.manager.events.addUserLoaded((user) => this.set(user));
    this.manager.events.addUserUnloaded(() => this.set(null));
    this.manager.events.addSilentRenewError(() => this.set(null));
  }

  /** Completes a sign-in redirect if this page is one, else restores the stored session. */
  async start(): Promise<Identity | null> {
    const url = new URL(window.location.href);
    if (url.searchParams.has("code") && url.searchParams.has("state")) {
      const user = await this.manager.signinRedirectCallback();
      const route = typeof user.state === "string" ? user.state : "";
      window.history.replaceState(null, "", `${url.pathname}${route}`);
      this.set(user);
      return this.current;
    }
    if (url.searchParams.has("error")) {
      const message = url.searchParams.get("error_description") ?? url.searchParams.get("error") ?? "sign-in failed";
      window.history.replaceState(null, "", url.pathname);
      throw new Error(message);
    }
    const user = await this.manager.getUser();
    if (user && !user.expired) this.set(user);
    else if (user?.refresh_token) {
      try {
        this.set(await this.manager.signinSilent());
      } catch {
        await this.manager.removeUser();
      }
    }
    return this.current;
  }

  signIn(): Promise<void> {
    return this.manager.signinRedirect({ state: window.location.hash });
  }

  /** Forgets the session here, then ends the issuer's: Cognito's logout endpoint (and the local
   * issuer's) takes client_id and logout_uri rather than OpenID Connect's end-session parameters. */
  async signOut(): Promise<void> {
    const refresh = (await this.manager.getUser())?.refresh_token;
    if (refresh) await this.manager.revokeTokens(["refresh_token"]).catch(() => undefined);
    await this.manager.removeUser();
    const back = this.config.postLogoutRedirectUri ?? `${window.location.origin}/`;
    if (!this.config.logoutUrl) {
      window.location.assign(back);
      return;
    }
    const url = new URL(this.config.logoutUrl);
    url.searchParams.set("client_id", this.config.clientId);
    url.searchParams.set("logout_uri", back);
    window.location.assign(url.toString());
  }

  get identity(): Identity | null {
    return this.current;
  }

  /** The bearer for the next call: renewed first when it is about to expire. */
  async token(): Promise<string> {
    if (this.current && this.current.expiresAt - Date.now() / 1000 < 120) {
      try {
        this.set(await this.manager.signinSilent());
      } catch {
        this.set(null);
      }
    }
    if (!this.current) throw new Error("signed out");
    return this.current.idToken;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private set(user: User | null): void {
    this.current = user?.id_token ? identityOf(user.id_token) : null;
    for (const listener of this.listeners) listener(this.current);
  }
}

/** The claims the console shows or decides by (authorization itself is the backend's). */
export function identityOf(idToken: string): Identity {
  const payload = JSON.parse(base64UrlDecode(idToken.split(".")[1] ?? "")) as Record<string, unknown>;
  const groups = payload["cognito:groups"];
  return {
    userId: String(payload.sub ?? ""),
    name: String(payload.name ?? payload["cognito:username"] ?? payload.email ?? ""),
    roles: Array.isArray(groups) ? groups.map(String) : [],
    idToken,
    expiresAt: Number(payload.exp ?? 0),
  };
}

function base64UrlDecode(text: string): string {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}
