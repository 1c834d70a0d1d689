import type { Clock } from "../../src/clock.js";

/** A clock a test moves forward: `advance` stands in for waiting. */
export interface TestClock extends Clock {
  /** moves the clock `ms` forward at once */
  advance(ms: number): void;
  /** moves the clock forward to `at`; does nothing when it is there already */
  advanceTo(at: Date | number): void;
}

/**
 * A clock for a test instance (`useTestApp({ clock })`): it runs with real time, so the worker's
 * rhythm and everything else goes on as usual, and `advance` moves it ahead at once, so a deadline,
 * a lease, a back-off, a cool-down or a retention period passes without the test waiting for it.
 * It never goes back.
 */
export function createTestClock(): TestClock {
  let ahead = 0;
  const clock: TestClock = {
    now: () => Date.now() + ahead,
    advance(ms) {
      if (!(ms >= 0)) throw new Error(`a test clock only moves forward (asked to advance by ${ms} ms)`);
      ahead += ms;
    },
    advanceTo(at) {
      clock.advance(Math.max(0, (typeof at === "number" ? at : at.getTime()) - clock.now()));
    },
  };
  return clock;
}
