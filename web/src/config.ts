/** The runtime configuration, served beside the console as /config.json: written by the local
 * gateway from its own URLs, and by the CDK deployment from the stack's outputs. */
export interface ConsoleConfig {
  apiUrl: string;
  wsUrl: string;
  /** The OpenID Connect issuer (Cognito's user pool, or the local issuer). */
  authority: string;
  clientId: string;
  /** Where the sign-in returns; defaults to the console's own address. */
  redirectUri?: string;
  /** Where sign-out returns; defaults to the console's own address. */
  postLogoutRedirectUri?: string;
  scope?: string;
  /** Cognito's logout endpoint does not follow the discovery document's end_session_endpoint. */
  logoutUrl?: string;
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch("/config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`the console's configuration could not be read (${response.status})`);
  const config = (await response.json()) as ConsoleConfig;
  for (const key of ["apiUrl", "wsUrl", "authority", "clientId"] as const) {
    if (typeof config[key] !== "string" || !config[key]) throw new Error(`config.json lacks ${key}`);
  }
  return config;
}
