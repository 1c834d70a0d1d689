import { type Clock, systemClock } from "../../src/clock.js";
import type { MockOpenAIVideos, RecordedRequest } from "../mocks/openai-videos.js";

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Probes until it returns something truthy; fails after `timeoutMs` naming what it waited for. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * Watches `happened` for `ms` and fails as soon as it reports something: the one kind of
 * fixed wait a test may make on its own account, to show that something does NOT happen
 * within a time (a request not sent, a message not delivered, a row left alone).
 */
export async function expectNothingWithin(ms: number, what: string, happened: () => unknown): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await happened()) throw new Error(`${what} within ${ms} ms`);
    if (Date.now() >= deadline) return;
    await sleep(Math.min(10, deadline - Date.now()));
  }
}

/**
 * Lets `ms` of real time pass because the time is read from the machine's clock and nothing else
 * moves it (a provider adaptor signing a token in a later second). The app's own rules (a lease
 * lapsing, a cool-down, a retention period) read its injected clock: a test clock's `advance`
 * moves them instead.
 */
export const letTimePass = (ms: number, _reason: string) => sleep(ms);

/**
 * Lets what is already queued for the next turn of the event loop run first: undici, for one,
 * hands a kept-alive connection back to its pool only then, after the response has ended.
 */
export const nextEventLoopTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Arrival time of every request the mock records from now on (the mock itself keeps none), on `clock`. */
export function timestamps(mock: MockOpenAIVideos, clock: Clock = systemClock): (r: RecordedRequest) => number {
  const at = new WeakMap<RecordedRequest, number>();
  const push = mock.requests.push.bind(mock.requests);
  mock.requests.push = (...items: RecordedRequest[]) => {
    for (const item of items) at.set(item, clock.now());
    return push(...items);
  };
  return (r) => at.get(r)!;
}
