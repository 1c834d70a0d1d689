/**
 * Where rate-limit counters live: in Redis when it is configured, so that every instance
 * counts together, else in this process (the embedded default). Both backends behave the
 * same; one contract test runs over each.
 */
export interface LimitStore {
  readonly kind: "redis" | "in-process";
  /**
   * Adds `amount` to the counter of `key` in its current window of `windowMs`. A window
   * opens with its first count and ends `windowMs` later (a fixed window). Returns the
   * count so far in the window and the time left until it ends.
   */
  count(key: string, amount: number, windowMs: number): Promise<WindowCount>;
  /**
   * Takes one of at most `limit` slots of `key` for `slot.holder`, leased for `leaseMs`.
   * True when taken (taking a slot already held renews it); false when `limit` live leases
   * hold them all. A lease not renewed within `leaseMs` lapses, so the slots of a process
   * that died free themselves.
   */
  acquireSlot(slot: Slot, limit: number, leaseMs: number): Promise<boolean>;
  /** Extends the leases of slots still in use, taking a lapsed one back whatever the limit: what it stands for is still open. */
  renewSlots(slots: readonly Slot[], leaseMs: number): Promise<void>;
  releaseSlot(slot: Slot): Promise<void>;
  close(): Promise<void>;
}

/** One slot of a limited set: `holder` (e.g. a connection's id) in the set `key` (e.g. a user's connections). */
export interface Slot {
  key: string;
  holder: string;
}

export interface WindowCount {
  count: number;
  /** milliseconds until the window ends and the count starts again from zero */
  resetInMs: number;
}
