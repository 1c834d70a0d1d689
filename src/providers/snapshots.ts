import { type ContentPolicyPatterns, isContentPolicy } from "./errors.js";
import type { UpstreamSnapshot, Usage } from "./types.js";

/**
 * For providers that report no progress: an estimate that rises with the time since
 * submission over a typical generation time and stops short of done.
 */
function estimatedProgress(submittedAt: number | undefined, typicalMs: number, now = Date.now()): number {
  if (!submittedAt) return 0;
  const MAX_ESTIMATE = 90;
  return Math.max(0, Math.min(MAX_ESTIMATE, Math.floor(((now - submittedAt) / typicalMs) * MAX_ESTIMATE)));
}

/** A job still running, for providers that report no progress: the progress is estimated from the time since submission. */
export const runningSince = (submittedAt: number | undefined, typicalMs: number, now = Date.now()): UpstreamSnapshot => ({
  status: "PROCESSING",
  progress: estimatedProgress(submittedAt, typicalMs, now),
  progressEstimated: true,
});

/** A finished job whose video is at a URL, with the figures of what it made that the provider reported (positive ones only). */
export function finishedAt(url: string | undefined, usage: Usage): UpstreamSnapshot {
  if (!url) return { status: "FAILED", error: { code: "UPSTREAM_FAILED", message: "the provider finished without a video" } };
  const reported = Object.entries(usage).filter(([, figure]) => Number.isFinite(figure) && figure > 0);
  return { status: "COMPLETED", progress: 100, result: { url }, usage: reported.length ? Object.fromEntries(reported) : undefined };
}

/** A job the provider reports as failed, with refusals for content named CONTENT_POLICY. */
export function failedSnapshot(
  error: { code?: string | null; message?: string | null },
  contentPolicy: ContentPolicyPatterns | undefined,
  fallbackMessage = "the provider reported the task as failed",
): { status: "FAILED"; error: { code: string; message: string } } {
  const code = error.code || "UPSTREAM_FAILED";
  const message = error.message || fallbackMessage;
  return { status: "FAILED", error: { code: isContentPolicy(contentPolicy, code, message) ? "CONTENT_POLICY" : code, message } };
}
