import { UpstreamError } from "../providers/errors.js";
import type { UpstreamSnapshot } from "../providers/types.js";
import type { TaskFailure } from "./lifecycle.js";

/** The call to the provider that failed. */
export type UpstreamCall = "submit" | "poll" | "stream";

/** what a task shows when the call failed for a reason that is not the provider's answer */
const UNEXPECTED: Record<UpstreamCall, string> = {
  submit: "The request could not be submitted to the provider",
  poll: "Polling the provider failed",
  stream: "The stream failed",
};

/**
 * The failure a task ends with when a call to its provider failed: the provider's refusal
 * (content policy or otherwise), its rate limit, or an upstream error.
 */
export function upstreamFailure(err: unknown, call: UpstreamCall): TaskFailure {
  if (!(err instanceof UpstreamError)) return { code: "UPSTREAM_ERROR", message: UNEXPECTED[call] };
  switch (err.kind) {
    case "rejected":
      return { code: err.code === "CONTENT_POLICY" ? "CONTENT_POLICY" : "UPSTREAM_REJECTED", message: err.message };
    case "rate_limited":
      return { code: "RATE_LIMITED", message: `The provider is rate limiting requests: ${err.message}` };
    case "not_found":
      // Polled, the job is gone; submitted, what the provider did not know is in its message.
      return { code: "UPSTREAM_ERROR", message: call === "poll" ? "The provider no longer knows this task" : err.message };
    default:
      return { code: "UPSTREAM_ERROR", message: err.message };
  }
}

/** The failure a task ends with when the provider reported the job FAILED or CANCELLED, in its words when it gave them. */
export function reportedFailure(snapshot: UpstreamSnapshot): TaskFailure {
  return snapshot.error ?? { code: "UPSTREAM_ERROR", message: "The provider reported a failure" };
}
