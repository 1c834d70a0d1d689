/**
 * Why an upstream call failed, which decides what Reelay does next:
 * - `rejected`: the provider refused this request (bad input, content policy); never retried, never charged.
 * - `rate_limited`: slow down and retry (429 rate limits), honouring `retryAfterMs`.
 * - `transient`: 5xx, timeouts, dropped connections; retried with backoff.
 * - `unavailable`: the channel itself cannot serve (bad key, no quota); not retried on this channel.
 * - `not_found`: the provider no longer knows the job.
 */
export type UpstreamErrorKind = "rejected" | "rate_limited" | "transient" | "unavailable" | "not_found";

export class UpstreamError extends Error {
  constructor(
    readonly kind: UpstreamErrorKind,
    /** provider's machine-readable code when it gave one, else ours */
    readonly code: string,
    message: string,
    readonly options: { status?: number; retryAfterMs?: number } = {},
  ) {
    super(message);
    this.name = "UpstreamError";
  }

  get retryable() {
    return this.kind === "rate_limited" || this.kind === "transient";
  }
}

/** Retry-After as milliseconds (seconds or an HTTP date); undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+(\.\d+)?$/.test(header.trim())) return Math.round(Number(header) * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Network-level failures (refused, reset, timeout) are transient. */
export function fromNetworkError(err: unknown): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const e = err as { name?: string; message?: string; code?: string; cause?: { code?: string } };
  // undici names its own timers' errors by code; fetch-style errors carry the socket's code in `cause`
  if (
    e?.name === "TimeoutError" ||
    e?.name === "AbortError" ||
    e?.code === "UND_ERR_HEADERS_TIMEOUT" ||
    e?.code === "UND_ERR_BODY_TIMEOUT"
  ) {
    return new UpstreamError("transient", "TIMEOUT", "the provider did not answer in time");
  }
  const code = e?.cause?.code ?? e?.code;
  return new UpstreamError("transient", code ?? "NETWORK_ERROR", `could not reach the provider: ${code ?? e?.message ?? "network error"}`);
}

/** Patterns that mark a refusal as being for content: over the provider's code, its message, or both. */
export interface ContentPolicyPatterns {
  codes?: RegExp;
  messages?: RegExp;
}

/** Whether a failure is a refusal for content, by the provider's patterns. */
export const isContentPolicy = (patterns: ContentPolicyPatterns | undefined, code: string, message: string) =>
  Boolean(patterns?.codes?.test(code) || patterns?.messages?.test(message));

/** What an adaptor reads out of one of its provider's error bodies. */
export interface ErrorFields {
  code?: string | null;
  /** a second code some protocols give (OpenAI's `type`), used when `code` is empty */
  type?: string | null;
  message?: string | null;
}

/**
 * How one provider words its errors; everything else (what each HTTP status means,
 * Retry-After, the UpstreamError it becomes) is common to all. The provider's own code
 * table comes first: a provider that says "quota spent" on a 429 or "bad key" on a 500 knows best.
 */
export interface ErrorDialect<Body> {
  /** the code and message in an error body (an empty object when the body is not JSON); the code defaults to `HTTP_<status>` */
  read(body: Partial<Body>, status: number): ErrorFields;
  /** the provider's own codes that decide the kind whatever the HTTP status */
  kindOf?(body: Partial<Body>): UpstreamErrorKind | undefined;
  /** on a 429: codes that mean the account's quota is spent (the channel cannot serve), not a rate limit */
  quota?: RegExp;
  /** a refusal matching these is for content and gets the code CONTENT_POLICY */
  contentPolicy?: ContentPolicyPatterns;
}

/** The kind an HTTP status means when the provider's own code does not decide it. */
function kindOfStatus(status: number, quotaSpent: boolean): UpstreamErrorKind {
  if (status === 429) return quotaSpent ? "unavailable" : "rate_limited";
  if (status >= 500 || status === 408) return "transient";
  if (status === 401 || status === 403) return "unavailable";
  if (status === 404) return "not_found";
  return "rejected";
}

/** The part of an upstream answer the classifier reads. */
interface ErrorAnswer {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
}

/** Classifies an error answer whose body is already parsed (for providers that also report errors inside a 200). */
export function upstreamErrorOf<Body>(res: ErrorAnswer, body: Partial<Body>, dialect: ErrorDialect<Body>): UpstreamError {
  const { status } = res;
  const fields = dialect.read(body, status);
  const code = fields.code || fields.type || `HTTP_${status}`;
  const message = fields.message || `the provider answered HTTP ${status}`;
  const providerCodes = [fields.code, fields.type].filter(Boolean).join(" ");
  const kind = dialect.kindOf?.(body) ?? kindOfStatus(status, Boolean(dialect.quota?.test(providerCodes)));
  const named = kind === "rejected" && isContentPolicy(dialect.contentPolicy, code, message) ? "CONTENT_POLICY" : code;
  return new UpstreamError(kind, named, message, { status, retryAfterMs: retryAfterMs(res.headers.get("retry-after")) });
}

/** Reads an error answer's body (JSON or not) and classifies it. */
export async function readUpstreamError<Body>(
  res: ErrorAnswer & { text(): Promise<string> },
  dialect: ErrorDialect<Body>,
): Promise<UpstreamError> {
  const text = await res.text().catch(() => "");
  let body: Partial<Body> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === "object") body = parsed as Partial<Body>;
  } catch {
    // not JSON (a gateway's HTML page): the status says enough
  }
  return upstreamErrorOf(res, body, dialect);
}
