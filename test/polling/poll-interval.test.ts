/**
 * The adaptive poll interval (src/worker/poll-interval.ts), driven by fast-check: whatever the
 * provider says, the delay stays within the configured bounds (a provider's Retry-After aside),
 * is longer while queued, shortens as reported progress nears the end, and is the base itself
 * when the bounds pin it there. Every run is seeded, so a failure reproduces.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nextPollDelay, type PollBounds, type PollReading, pollBounds } from "../../src/worker/poll-interval.js";

const SEED = 17_2026;
const RUNS = 2_000;
const options = { seed: SEED, numRuns: RUNS };

const boundsArb: fc.Arbitrary<PollBounds> = fc
  .record({
    baseMs: fc.integer({ min: 10, max: 60_000 }),
    a: fc.integer({ min: 1, max: 600_000 }),
    b: fc.integer({ min: 1, max: 600_000 }),
  })
  .map(({ baseMs, a, b }) => ({ baseMs, minMs: Math.min(a, b), maxMs: Math.max(a, b) }));

/** Bounds as the defaults make them: the base between floor and ceiling. */
const baseInsideArb: fc.Arbitrary<PollBounds> = fc.integer({ min: 100, max: 60_000 }).chain((baseMs) =>
  fc.record({
    baseMs: fc.constant(baseMs),
    minMs: fc.integer({ min: 1, max: baseMs }),
    maxMs: fc.integer({ min: baseMs, max: 20 * baseMs }),
  }),
);

const readingArb: fc.Arbitrary<PollReading> = fc.record({
  status: fc.constantFrom("QUEUED", "PROCESSING"),
  progress: fc.integer({ min: 0, max: 100 }),
  progressEstimated: fc.boolean(),
  sinceSubmitMs: fc.integer({ min: 0, max: 4 * 3600_000 }),
  sinceStartMs: fc.option(fc.integer({ min: 0, max: 4 * 3600_000 }), { nil: undefined }),
  typicalMs: fc.integer({ min: 1_000, max: 3600_000 }),
  hints: fc.option(
    fc.record(
      { retryAfterMs: fc.integer({ min: 0, max: 3600_000 }), remainingMs: fc.integer({ min: 0, max: 3600_000 }) },
      { requiredKeys: [] },
    ),
    { nil: undefined },
  ),
});

const withoutRetryAfter = (reading: PollReading): PollReading => ({
  ...reading,
  hints: reading.hints ? { remainingMs: reading.hints.remainingMs } : undefined,
});

describe("the adaptive poll interval", () => {
  it("keeps every delay a whole number of milliseconds within the configured floor and ceiling", () => {
    fc.assert(
      fc.property(readingArb.map(withoutRetryAfter), boundsArb, (reading, bounds) => {
        const delay = nextPollDelay(reading, bounds);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(bounds.minMs);
        expect(delay).toBeLessThanOrEqual(bounds.maxMs);
      }),
      options,
    );
  });

  it("waits at least as long as the provider's Retry-After, and above the ceiling only for it", () => {
    fc.assert(
      fc.property(readingArb, fc.integer({ min: 0, max: 3600_000 }), boundsArb, (reading, retryAfterMs, bounds) => {
        const delay = nextPollDelay({ ...reading, hints: { ...reading.hints, retryAfterMs } }, bounds);
        expect(delay).toBeGreaterThanOrEqual(Math.max(bounds.minMs, retryAfterMs));
        expect(delay).toBeLessThanOrEqual(Math.max(bounds.maxMs, retryAfterMs));
      }),
      options,
    );
  });

  it("polls a queued job less often than the base interval", () => {
    fc.assert(
      fc.property(readingArb.map(withoutRetryAfter), baseInsideArb, (reading, bounds) => {
        const queued: PollReading = { ...reading, status: "QUEUED", hints: undefined };
        expect(nextPollDelay(queued, bounds)).toBeGreaterThanOrEqual(Math.min(bounds.maxMs, 2 * bounds.baseMs));
      }),
      options,
    );
  });

  // 0% says only that the job has not begun to report (some gateways never do): it is judged by the
  // typical time instead, so the property is over the progress a provider does report.
  it("polls a job sooner the further its reported progress has come, at the same age", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 100 }),
        readingArb.map(withoutRetryAfter),
        boundsArb,
        (a, b, reading, bounds) => {
          const at = (progress: number) =>
            nextPollDelay({ ...reading, status: "PROCESSING", progressEstimated: false, progress, hints: undefined }, bounds);
          const [lower, higher] = a <= b ? [a, b] : [b, a];
          expect(at(higher)).toBeLessThanOrEqual(at(lower));
        },
      ),
      options,
    );
  });

  it("comes back after half the time the provider says it still needs, within the bounds", () => {
    fc.assert(
      fc.property(readingArb, fc.integer({ min: 0, max: 3600_000 }), boundsArb, (reading, remainingMs, bounds) => {
        const delay = nextPollDelay({ ...reading, hints: { remainingMs } }, bounds);
        expect(delay).toBe(Math.round(Math.min(bounds.maxMs, Math.max(bounds.minMs, remainingMs / 2))));
      }),
      options,
    );
  });

  it("is the fixed interval whatever the reading when the floor and the ceiling are the base", () => {
    fc.assert(
      fc.property(readingArb.map(withoutRetryAfter), fc.integer({ min: 1, max: 600_000 }), (reading, baseMs) => {
        expect(nextPollDelay(reading, { baseMs, minMs: baseMs, maxMs: baseMs })).toBe(baseMs);
      }),
      options,
    );
  });

  it("spreads polls out early in a long job and closes in near its end", () => {
    const bounds = pollBounds({ pollIntervalMs: 5_000, pollMinIntervalMs: null, pollMaxIntervalMs: null });
    const reading = (progress: number, sinceSubmitMs: number): PollReading => ({
      status: "PROCESSING",
      progress,
      progressEstimated: false,
      sinceSubmitMs,
      typicalMs: 180_000,
    });
    expect(nextPollDelay(reading(5, 20_000), bounds)).toBe(bounds.maxMs);
    expect(nextPollDelay(reading(98, 120_000), bounds)).toBeLessThan(bounds.baseMs);
    expect(nextPollDelay({ ...reading(0, 0), status: "QUEUED" }, bounds)).toBeGreaterThan(bounds.baseMs);
  });
});

describe("the interval's bounds", () => {
  it("take a quarter and six times POLL_INTERVAL_MS unless POLL_MIN_INTERVAL_MS and POLL_MAX_INTERVAL_MS say otherwise", () => {
    expect(pollBounds({ pollIntervalMs: 5_000, pollMinIntervalMs: null, pollMaxIntervalMs: null })).toEqual({
      baseMs: 5_000,
      minMs: 1_250,
      maxMs: 30_000,
    });
    expect(pollBounds({ pollIntervalMs: 5_000, pollMinIntervalMs: 2_000, pollMaxIntervalMs: 10_000 })).toEqual({
      baseMs: 5_000,
      minMs: 2_000,
      maxMs: 10_000,
    });
  });

  it("never have a floor above the ceiling, whatever is configured", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 600_000 }),
        fc.option(fc.integer({ min: 0, max: 600_000 }), { nil: null }),
        fc.option(fc.integer({ min: 0, max: 600_000 }), { nil: null }),
        (pollIntervalMs, pollMinIntervalMs, pollMaxIntervalMs) => {
          const bounds = pollBounds({ pollIntervalMs, pollMinIntervalMs, pollMaxIntervalMs });
          expect(bounds.minMs).toBeLessThanOrEqual(bounds.maxMs);
        },
      ),
      options,
    );
  });
});
