/**
 * Where Reelay reads the time for every rule that depends on it: task deadlines, the polling
 * schedule and its back-off, lease expiry, a channel's cool-down, mirror retries and media
 * retention. SQL that compares against the time takes it from here too, so the database and
 * the app agree on one clock, and a test can move time forward instead of waiting for it.
 */
export interface Clock {
  /** milliseconds since the epoch, as `Date.now()` */
  now(): number;
}

/** The machine's own time. */
export const systemClock: Clock = { now: () => Date.now() };

/** The moment `ms` after the clock's now (before it, when negative). */
export const fromNow = (clock: Clock, ms = 0) => new Date(clock.now() + ms);
