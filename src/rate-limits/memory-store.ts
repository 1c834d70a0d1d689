import type { LimitStore, Slot, WindowCount } from "./store.js";

/** how often ended windows and lapsed leases are dropped, so the maps stay as small as the traffic of the last minutes */
const SWEEP_INTERVAL_MS = 60_000;

/** Counters in this process's memory: the backend when no Redis is configured. */
export function createMemoryLimitStore(): LimitStore {
  const windows = new Map<string, { count: number; endsAt: number }>();
  /** key → holder → end of its lease */
  const slots = new Map<string, Map<string, number>>();

  const dropLapsed = (holders: Map<string, number>, now: number) => {
    for (const [holder, until] of holders) if (until <= now) holders.delete(holder);
  };
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [key, window] of windows) if (window.endsAt <= now) windows.delete(key);
    for (const [key, holders] of slots) {
      dropLapsed(holders, now);
      if (holders.size === 0) slots.delete(key);
    }
  }, SWEEP_INTERVAL_MS);
  sweep.unref();

  const holdersOf = (key: string) => {
    let holders = slots.get(key);
    if (!holders) {
      holders = new Map();
      slots.set(key, holders);
    }
    return holders;
  };

  return {
    kind: "in-process",
    async count(key, amount, windowMs): Promise<WindowCount> {
      const now = Date.now();
      let window = windows.get(key);
      if (!window || window.endsAt <= now) {
        window = { count: 0, endsAt: now + windowMs };
        windows.set(key, window);
      }
      window.count += amount;
      return { count: window.count, resetInMs: window.endsAt - now };
    },
    async acquireSlot({ key, holder }, limit, leaseMs) {
      const now = Date.now();
      const holders = holdersOf(key);
      dropLapsed(holders, now);
      if (!holders.has(holder) && holders.size >= limit) return false;
      holders.set(holder, now + leaseMs);
      return true;
    },
    async renewSlots(renewed, leaseMs) {
      const until = Date.now() + leaseMs;
      for (const { key, holder } of renewed) holdersOf(key).set(holder, until);
    },
    async releaseSlot({ key, holder }: Slot) {
      const holders = slots.get(key);
      holders?.delete(holder);
      if (holders?.size === 0) slots.delete(key);
    },
    async close() {
      clearInterval(sweep);
      windows.clear();
      slots.clear();
    },
  };
}
