/** The typed HTTP client: paths and bodies come from docs/openapi.json (openapi-typescript), so a
 * change to the API that breaks the console fails `tsc`. */
import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./schema";

export type Api = ReturnType<typeof createClient<paths>>;

export interface Problem {
  field?: string;
  rule?: string;
  message: string;
}

/** An error as the API tells it: its message, and the field and rule it names. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    readonly field?: string,
    readonly rule?: string,
    readonly problems: Problem[] = [],
  ) {
    super(message);
  }

  /** One line for a person: the API's message, then the field it names. */
  describe(): string {
    const parts = [this.message];
    const fields = this.problems.length ? this.problems : this.field ? [{ field: this.field, rule: this.rule, message: "" }] : [];
    for (const problem of fields) {
      const detail = [problem.field && `field ${problem.field}`, problem.rule && `rule ${problem.rule}`]
        .filter(Boolean)
        .join(", ");
      const text = problem.message && problem.message !== this.message ? `${problem.message} ` : "";
      if (detail || text) parts.push(`${text}(${detail})`.trim());
    }
    return parts.join(" — ");
  }
}

export function apiError(status: number, body: unknown): ApiError {
  if (body && typeof body === "object") {
    const error = (body as { error?: Record<string, unknown> }).error;
    if (error && typeof error === "object") {
      const problems = Array.isArray(error.errors) ? (error.errors as Problem[]) : [];
      const message = String(error.message ?? problems[0]?.message ?? `request refused (${status})`);
      return new ApiError(status, message, String(error.code ?? ""), opt(error.field), opt(error.rule), problems);
    }
    const gateway = (body as { message?: unknown }).message;
    if (typeof gateway === "string") return new ApiError(status, gateway);
  }
  return new ApiError(status, `request failed (${status})`);
}

function opt(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

export function makeApi(baseUrl: string, token: () => Promise<string>): Api {
  const client = createClient<paths>({ baseUrl });
  const bearer: Middleware = {
    async onRequest({ request }) {
      request.headers.set("Authorization", `Bearer ${await token()}`);
      return request;
    },
  };
  client.use(bearer);
  return client;
}

/** The body of a successful answer, or the API's error thrown. */
export async function ok<D>(call: Promise<{ data?: D; error?: unknown; response: Response }>): Promise<D> {
  let result: Awaited<typeof call>;
  try {
    result = await call;
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError(0, `the API cannot be reached (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!result.response.ok) throw apiError(result.response.status, result.error);
  return result.data as D;
}
