import { isIP } from "node:net";
import { UpstreamError } from "../providers/errors.js";
import type { UpstreamSnapshot } from "../providers/types.js";
import type { TaskFailure } from "./lifecycle.js";

/** The call to the provider that failed. */
export type UpstreamCall = "submit" | "poll" | "stream" | "download";

/**
 * What users see of a failure is a stable code and a message Reelay writes. The provider's
 * own words appear only where they say why the user's own content was refused
 * (CONTENT_POLICY), scrubbed of links, hosts and anything key-like. The provider's raw
 * text goes to `upstream`, which only admins see.
 */

/** what a task shows when the call failed for a reason that is not the provider's answer */
const UNEXPECTED: Record<UpstreamCall, string> = {
  submit: "The request could not be submitted to the provider",
  poll: "Polling the provider failed",
  stream: "The stream failed",
  download: "The finished media could not be downloaded from the provider",
};

/** what a task shows when the provider could not be reached or did not answer in time */
const UNREACHABLE: Record<UpstreamCall, string> = {
  submit: "The provider could not be reached",
  poll: "The provider could not be reached",
  stream: "The connection to the provider failed",
  download: "The finished media could not be downloaded from the provider",
};

/** Refusals of a download that Reelay makes itself, with their own codes. */
const DOWNLOAD_REFUSALS: Record<string, string> = {
  RESULT_URL_REFUSED: "The provider's result link points to an address Reelay does not fetch from",
  MEDIA_TOO_LARGE: "The finished media is larger than Reelay accepts",
};

/** Failures the adaptors name themselves (the provider said nothing Reelay can pass on). */
const REPORTED: Record<string, string> = {
  STREAM_DROPPED: "The connection to the provider broke off before the video was ready",
  STREAM_ENDED: "The provider's answer ended without a video",
  RESULT_FROM_PROMPT: "The provider's answer named no video of its own: its only link came from the prompt",
};

const CONTENT_POLICY_MESSAGE = "The provider refused the content of this request";
/** longest excerpt of the provider's words shown to the user */
const PROVIDER_WORDS_LIMIT = 300; // characters

const BRACKETED_IPV6 = /\[[0-9a-f:.]+\](?::\d+)?/gi;
/** runs of hex digits, colons and dots with at least two colons: IPv6 addresses among them */
const IPV6_LIKE = /[0-9a-f.]*:[0-9a-f.]*:[0-9a-f:.]*/gi;
const ipv6 = (token: string) => (isIP(token.replace(/\.+$/, "")) === 6 ? "[address]" : token);

/** What is taken out of the provider's words before a user sees them, in this order. */
const SCRUBS: [RegExp, string][] = [
  [/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, "[link]"],
  [/\bBearer\s+\S+/gi, "Bearer [redacted]"],
  [/\b(?:sk|pk|ak|key|token)[-_][A-Za-z0-9_-]{6,}/gi, "[redacted]"],
  [/[A-Za-z0-9+/_-]{32,}={0,2}/g, "[redacted]"],
  [/\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b/g, "[address]"],
  [/\b(?:localhost|(?:[a-z0-9-]+\.)+[a-z][a-z0-9-]+)(?::\d+)?\b/gi, "[host]"],
];

/**
 * The provider's words on why content was refused, with anything that could name its
 * infrastructure or a secret taken out (links, addresses, host names, bearer tokens,
 * key-like strings), and cut to a readable length.
 */
export function providerWords(message: string): string {
  const scrubbed = SCRUBS.reduce(
    (text, [pattern, replacement]) => text.replace(pattern, replacement),
    message.replace(BRACKETED_IPV6, "[address]").replace(IPV6_LIKE, ipv6),
  ).trim();
  return scrubbed.length > PROVIDER_WORDS_LIMIT ? `${scrubbed.slice(0, PROVIDER_WORDS_LIMIT - 1)}…` : scrubbed;
}

/** A refusal for content: the one failure where the user sees the provider's (scrubbed) words. */
const contentRefusal = (message: string, upstream: string): TaskFailure => ({
  code: "CONTENT_POLICY",
  message: providerWords(message) || CONTENT_POLICY_MESSAGE,
  upstream,
});

/** The raw text an admin sees: the provider's code and words as they came. */
const rawOf = (code: string | undefined, message: string, status?: number) =>
  [status ? `HTTP ${status}` : null, code, message].filter(Boolean).join(": ");

/**
 * The failure a task ends with when a call to its provider failed: the provider's refusal
 * (content policy or otherwise), its rate limit, a download Reelay refused, or an upstream error.
 */
export function upstreamFailure(err: unknown, call: UpstreamCall): TaskFailure {
  if (!(err instanceof UpstreamError)) {
    return { code: "UPSTREAM_ERROR", message: UNEXPECTED[call], upstream: err instanceof Error ? err.message : String(err) };
  }
  const upstream = rawOf(err.code, err.message, err.options.status);
  switch (err.kind) {
    case "rejected":
      if (err.code === "CONTENT_POLICY") return contentRefusal(err.message, upstream);
      if (DOWNLOAD_REFUSALS[err.code]) return { code: err.code, message: DOWNLOAD_REFUSALS[err.code], upstream };
      return { code: "UPSTREAM_REJECTED", message: "The provider refused the request", upstream };
    case "rate_limited":
      return { code: "RATE_LIMITED", message: "The provider is rate limiting requests; try again later", upstream };
    case "not_found":
      return {
        code: "UPSTREAM_ERROR",
        message: call === "poll" ? "The provider no longer knows this task" : "The provider no longer has what this request needs",
        upstream,
      };
    case "unavailable":
      return { code: "UPSTREAM_ERROR", message: "The channel could not serve the request", upstream };
    default:
      return { code: "UPSTREAM_ERROR", message: UNREACHABLE[call], upstream };
  }
}

/** The failure a task ends with when the provider reported the job FAILED or CANCELLED. */
export function reportedFailure(snapshot: UpstreamSnapshot): TaskFailure {
  const error = snapshot.error;
  if (!error) return { code: "UPSTREAM_ERROR", message: "The provider reported a failure" };
  const upstream = rawOf(error.code, error.message);
  if (error.code === "CONTENT_POLICY") return contentRefusal(error.message, upstream);
  if (REPORTED[error.code]) return { code: error.code, message: REPORTED[error.code], upstream };
  return { code: "UPSTREAM_FAILED", message: "The provider reported the task as failed", upstream };
}
