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

/** Arrival time of every request the mock records from now on (the mock itself keeps none). */
export function timestamps(mock: MockOpenAIVideos): (r: RecordedRequest) => number {
  const at = new WeakMap<RecordedRequest, number>();
  const push = mock.requests.push.bind(mock.requests);
  mock.requests.push = (...items: RecordedRequest[]) => {
    for (const item of items) at.set(item, Date.now());
    return push(...items);
  };
  return (r) => at.get(r)!;
}
