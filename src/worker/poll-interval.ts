import type { Config } from "../config.js";

/**
 * The adaptive poll interval: how long to wait before asking the provider about a running
 * task again, from what it last said. Slower while the job waits in the provider's queue
 * (nothing there says how long), faster as the job nears its expected end, and never outside
 * the configured bounds. A pure function: the same reading always gives the same delay.
 */

/** One reading of a running job and what it takes to judge it. */
export interface PollReading {
  status: "QUEUED" | "PROCESSING";
  /** 0..100, as the provider reported it or the adaptor estimated it */
  progress: number;
  /** true when the adaptor estimated the progress from the time, the provider reporting none */
  progressEstimated: boolean;
  /** time since the provider accepted the job */
  sinceSubmitMs: number;
  /** time since the job was first seen running, when known: reported progress is measured against it */
  sinceStartMs?: number;
  /** how long this provider usually takes for a job */
  typicalMs: number;
  /** what the provider said itself: wait at least this long (Retry-After), or how long it expects to take still */
  hints?: { retryAfterMs?: number; remainingMs?: number };
}

/** The delays the interval keeps to: the base (POLL_INTERVAL_MS) and its floor and ceiling. */
export interface PollBounds {
  baseMs: number;
  minMs: number;
  maxMs: number;
}

/** how long a job is taken to need when its adaptor names no typical time */
export const DEFAULT_TYPICAL_MS = 120_000;
/** a queued job is polled this many base intervals apart, more the longer it has waited */
const QUEUED_FACTOR = 2;
/** the next poll comes after this share of the time the job is expected to need still */
const REMAINING_SHARE = 0.5;
/** the default floor and ceiling, as shares of the base interval */
const DEFAULT_MIN_SHARE = 1 / 4;
const DEFAULT_MAX_FACTOR = 6;

/** The bounds the configuration sets: POLL_MIN_INTERVAL_MS and POLL_MAX_INTERVAL_MS, else derived from POLL_INTERVAL_MS. */
export function pollBounds(config: Pick<Config, "pollIntervalMs" | "pollMinIntervalMs" | "pollMaxIntervalMs">): PollBounds {
  const baseMs = config.pollIntervalMs;
  const min = config.pollMinIntervalMs ?? Math.round(baseMs * DEFAULT_MIN_SHARE);
  const max = config.pollMaxIntervalMs ?? baseMs * DEFAULT_MAX_FACTOR;
  return { baseMs, minMs: Math.min(min, max), maxMs: Math.max(min, max) };
}

/**
 * How long the job is expected to need still: the provider's word when it gives one, else
 * its reported progress over the time it has run so far, else (an estimate, or 0%, which some
 * gateways report throughout) the typical time less the time gone by. Negative when a job has
 * outlived its typical time; null while it is queued.
 */
function remainingOf(reading: PollReading): number | null {
  if (reading.hints?.remainingMs !== undefined) return Math.max(0, reading.hints.remainingMs);
  if (reading.status === "QUEUED") return null;
  const progress = Math.min(100, Math.max(0, reading.progress));
  if (!reading.progressEstimated && progress > 0) {
    // The time it took to get this far, queue excluded when the start is known.
    const spent = Math.min(reading.sinceStartMs ?? reading.sinceSubmitMs, reading.sinceSubmitMs);
    return (Math.max(0, spent) * (100 - progress)) / progress;
  }
  return reading.typicalMs - reading.sinceSubmitMs;
}

/** The delay before the next poll of a running job, in whole milliseconds. */
export function nextPollDelay(reading: PollReading, bounds: PollBounds): number {
  const { baseMs, minMs, maxMs } = bounds;
  const remaining = remainingOf(reading);
  let delay: number;
  if (remaining === null) {
    // Queued: the queue's length is unknown, and the longer a job waits the less another look tells.
    const waited = Math.min(2, Math.max(0, reading.sinceSubmitMs) / Math.max(1, reading.typicalMs));
    delay = baseMs * QUEUED_FACTOR * (1 + waited);
  } else if (remaining >= 0) {
    delay = remaining * REMAINING_SHARE;
  } else {
    // Past its expected end the job may finish at any moment: polls close in on the expected
    // end and spread out again after it, never further apart than the base interval.
    delay = Math.min(baseMs, -remaining * REMAINING_SHARE);
  }
  const bounded = Math.min(maxMs, Math.max(minMs, delay));
  return Math.round(Math.max(bounded, reading.hints?.retryAfterMs ?? 0));
}
