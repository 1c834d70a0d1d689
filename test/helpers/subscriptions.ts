import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";

/** A graphql-ws client as frontends use it, with the bearer token in connectionParams. */
export function wsClient(url: string, token?: string | null, onClose?: (code: number) => void): Client {
  return createClient({
    url,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    on: onClose ? { closed: (event) => onClose((event as { code: number }).code) } : undefined,
  });
}

/**
 * Collects the results of one subscription. `next(ms)` waits at most `ms` for the next
 * result and returns null on expiry, so a test can also assert that nothing arrives.
 */
export class Collector<T = Record<string, any>> {
  readonly results: { data?: T | null; errors?: readonly { message: string; extensions?: Record<string, unknown> }[] }[] = [];
  private cursor = 0;
  private waiters: (() => void)[] = [];
  completed = false;
  error: unknown = null;
  readonly done: Promise<void>;
  readonly dispose: () => void;

  constructor(client: Client, query: string, variables: Record<string, unknown> = {}) {
    let finish!: () => void;
    this.done = new Promise((resolve) => (finish = resolve));
    this.dispose = client.subscribe<T>(
      { query, variables },
      {
        next: (value) => {
          this.results.push(value as Collector<T>["results"][number]);
          this.wake();
        },
        error: (err) => {
          this.error = err;
          this.completed = true;
          this.wake();
          finish();
        },
        complete: () => {
          this.completed = true;
          this.wake();
          finish();
        },
      },
    );
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  async next(timeoutMs = 5_000): Promise<Collector<T>["results"][number] | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.cursor >= this.results.length) {
      if (this.completed) return null;
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.results[this.cursor++];
  }

  /** Waits for a result matching `predicate`, skipping others; null on expiry. */
  async until(predicate: (data: T) => boolean, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const result = await this.next(Math.max(0, deadline - Date.now()));
      if (!result) return null;
      if (result.data && predicate(result.data)) return result;
    }
  }

  async completion(timeoutMs = 5_000): Promise<boolean> {
    await Promise.race([this.done, new Promise((resolve) => setTimeout(resolve, timeoutMs))]);
    return this.completed;
  }
}
