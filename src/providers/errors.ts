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
