import type { ServerResponse } from "node:http";
import type { Logger } from "pino";
import { z } from "zod";
import { boundMessage, ErrorCode, isNulCharacterError, ReelayError } from "../errors.js";

/** How one of the contract's codes reads in OpenAI's protocol. */
interface OpenAIErrorKind {
  status: number;
  type: string;
  code: string;
}

/**
 * The contract's codes as HTTP statuses and OpenAI error types. INSUFFICIENT_CREDIT is 402,
 * not OpenAI's 429: the official clients retry every 429, and a short balance does not
 * change by waiting.
 */
const KINDS: Record<ErrorCode, OpenAIErrorKind> = {
  UNAUTHENTICATED: { status: 401, type: "authentication_error", code: "invalid_api_key" },
  FORBIDDEN: { status: 403, type: "permission_error", code: "forbidden" },
  NOT_FOUND: { status: 404, type: "invalid_request_error", code: "not_found" },
  BAD_USER_INPUT: { status: 400, type: "invalid_request_error", code: "invalid_value" },
  INSUFFICIENT_CREDIT: { status: 402, type: "insufficient_quota", code: "insufficient_quota" },
  NO_CHANNEL: { status: 503, type: "service_unavailable_error", code: "no_channel" },
  UPSTREAM_ERROR: { status: 502, type: "upstream_error", code: "upstream_error" },
  RATE_LIMITED: { status: 429, type: "rate_limit_error", code: "rate_limit_exceeded" },
  PAYLOAD_TOO_LARGE: { status: 413, type: "invalid_request_error", code: "payload_too_large" },
  CONFLICT: { status: 409, type: "invalid_request_error", code: "conflict" },
  QUERY_TOO_COMPLEX: { status: 400, type: "invalid_request_error", code: "invalid_value" },
};

/** the only words a client sees of an unexpected failure */
const MASKED_MESSAGE = "The server had an error while processing your request.";

/** An answer in OpenAI's error format: status, headers and `{ error: { message, type, param, code } }`. */
export interface RestErrorAnswer {
  status: number;
  headers: Record<string, string>;
  body: { error: { message: string; type: string; param: string | null; code: string | null } };
}

/** A refusal of the request itself (no such route, wrong method, unreadable body), before any of the core runs. */
export class RestRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "RestRequestError";
  }
}

/**
 * Any failure as OpenAI's clients read it. `fieldNames` turns the core's field names (which
 * its errors carry) into the route's wire names for `param`. A failure Reelay did not expect
 * is logged and masked.
 */
export function restErrorOf(err: unknown, logger: Logger, fieldNames: Record<string, string> = {}): RestErrorAnswer {
  if (err instanceof RestRequestError) {
    return answer(err.status, { message: err.message, type: "invalid_request_error", param: null, code: err.code }, err.headers);
  }
  if (err instanceof z.ZodError) return validationAnswer(err);
  if (err instanceof ReelayError) return reelayAnswer(err, fieldNames);
  if (isNulCharacterError(err)) {
    return answer(400, {
      message: "Text fields must not contain NUL characters",
      type: "invalid_request_error",
      param: null,
      code: "invalid_value",
    });
  }
  logger.error({ err }, "unexpected error");
  return answer(500, { message: MASKED_MESSAGE, type: "server_error", param: null, code: null });
}

function reelayAnswer(err: ReelayError, fieldNames: Record<string, string>): RestErrorAnswer {
  const kind = KINDS[err.code] ?? KINDS.BAD_USER_INPUT;
  const field = err.extensions.field;
  const param = typeof field === "string" ? (fieldNames[field] ?? field) : null;
  const headers: Record<string, string> = {};
  const retryAfter = err.extensions.retryAfter;
  if (err.code === ErrorCode.RATE_LIMITED && typeof retryAfter === "number") headers["retry-after"] = String(retryAfter);
  if (err.code === ErrorCode.UNAUTHENTICATED) headers["www-authenticate"] = 'Bearer realm="reelay"';
  return answer(kind.status, { message: boundMessage(err).message, type: kind.type, param, code: kind.code }, headers);
}

/** The first problem zod found, naming the field by its path in the request. */
function validationAnswer(err: z.ZodError): RestErrorAnswer {
  const [issue] = err.issues;
  const param = issue?.path.length ? issue.path.map(String).join(".") : null;
  const message = param ? `${param}: ${issue.message}` : (issue?.message ?? "Invalid request");
  const missing = issue?.code === "invalid_type" && /received undefined$/.test(issue.message);
  const code = missing ? "missing_required_parameter" : "invalid_value";
  return answer(400, { message: boundMessage(new Error(message)).message, type: "invalid_request_error", param, code });
}

function answer(status: number, error: RestErrorAnswer["body"]["error"], headers: Record<string, string> = {}): RestErrorAnswer {
  // The official clients retry what may succeed later (408, 409, 429, 5xx) unless told not to.
  const retryable = status === 429 || status >= 500;
  return { status, headers: { ...headers, "x-should-retry": String(retryable) }, body: { error } };
}

/** Writes an error answer; a refused body closes the connection, so the rest of it is never read. */
export function sendRestError(res: ServerResponse, error: RestErrorAnswer) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const close = error.status === 413 ? { connection: "close" } : {};
  res
    .writeHead(error.status, { "content-type": "application/json", "cache-control": "no-store", ...close, ...error.headers })
    .end(JSON.stringify(error.body));
}
