import { Redis } from "ioredis";

/** What crosses the bus: ids and the state that changed. Subscribers re-read the row for everything else. */
export interface TaskEvent {
  taskId: string;
  userId: string;
  status: string;
  progress: number;
  /** set (to when, in ms) when the task's event log grew without a change of status or progress */
  eventsAt?: number;
  /** the task's place in its channel's queue while it waits for a slot (VideoTask.queuePosition) */
  queuePosition?: number;
}

/**
 * Delivered to every live subscription when the bus comes back after an outage: changes
 * published meanwhile were lost, so subscribers re-read the database, which is the truth.
 */
export const RESYNC = Object.freeze({ resync: true as const });
export type BusEvent = TaskEvent | typeof RESYNC;
export const isResync = (event: BusEvent): event is typeof RESYNC => "resync" in event;

export const taskTopic = (taskId: string) => `task:${taskId}`;
export const userTopic = (userId: string) => `user:${userId}`;

/**
 * A live subscription. Events are coalesced per task (only the latest waits), so a
 * slow client never makes the server buffer more than one event per task.
 */
export interface Subscription extends AsyncIterable<BusEvent> {
  close(): void;
}

export interface PubSub {
  publish(event: TaskEvent): Promise<void>;
  /** resolves once the subscription is live: nothing published after that is missed */
  subscribe(topic: string): Promise<Subscription>;
  /** false while the bus cannot deliver (Redis down) */
  healthy(): boolean;
  close(): Promise<void>;
}

type Listener = (event: BusEvent) => void;

const SUBSCRIBE_WAIT_MS = 2_000;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** Topic → local listeners, with hooks for the first and last listener of a topic. */
class ListenerTable {
  private readonly topics = new Map<string, Set<Listener>>();
  /** settles when the topic's first subscription is live (or gave up waiting) */
  private readonly live = new Map<string, Promise<void>>();
  constructor(
    private readonly onFirst: (topic: string) => Promise<void> = async () => {},
    private readonly onLast: (topic: string) => Promise<void> = async () => {},
  ) {}

  async add(topic: string, listener: Listener): Promise<() => void> {
    let set = this.topics.get(topic);
    if (!set) {
      set = new Set();
      this.topics.set(topic, set);
    }
    set.add(listener);
    let live = this.live.get(topic);
    if (!live) {
      live = this.onFirst(topic).catch(() => {});
      this.live.set(topic, live);
    }
    // While the bus is down the subscribe command waits in ioredis' offline queue and is
    // sent on reconnect; don't hold the client hostage until then.
    await Promise.race([live, delay(SUBSCRIBE_WAIT_MS)]);
    return () => {
      const current = this.topics.get(topic);
      if (!current?.delete(listener) || current.size > 0) return;
      this.topics.delete(topic);
      this.live.delete(topic);
      void this.onLast(topic).catch(() => {});
    };
  }

  dispatch(topic: string, event: TaskEvent) {
    for (const listener of this.topics.get(topic) ?? []) listener(event);
  }

  /** tells every listener of every topic to resynchronise */
  resync() {
    for (const listeners of this.topics.values()) for (const listener of listeners) listener(RESYNC);
  }

  size() {
    return this.topics.size;
  }

  /** the topics with listeners now */
  names(): string[] {
    return [...this.topics.keys()];
  }
}

/** Live subscriptions of one bus, so closing the bus ends them (and the streams they feed). */
type OpenSubscriptions = Set<Subscription>;

function createSubscription(open: OpenSubscriptions, register: (listener: Listener) => Promise<() => void>): Promise<Subscription> {
  const pending = new Map<string, BusEvent>();
  let wake: (() => void) | null = null;
  let closed = false;
  let unregister: () => void = () => {};
  const listener: Listener = (event) => {
    const key = isResync(event) ? "" : event.taskId;
    pending.delete(key); // keep insertion order = order of latest change
    pending.set(key, event);
    wake?.();
  };
  const close = () => {
    if (closed) return;
    closed = true;
    open.delete(subscription);
    unregister();
    wake?.();
  };
  const iterator: AsyncIterator<BusEvent> = {
    async next() {
      while (!closed && pending.size === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      if (closed) return { done: true, value: undefined };
      const [key, event] = pending.entries().next().value as [string, BusEvent];
      pending.delete(key);
      return { done: false, value: event };
    },
    async return() {
      close();
      return { done: true, value: undefined };
    },
  };
  const subscription: Subscription = { [Symbol.asyncIterator]: () => iterator, close };
  return register(listener).then((off) => {
    unregister = off;
    if (closed) off();
    else open.add(subscription);
    return subscription;
  });
}

/** Single-process bus: the embedded default when REDIS_URL is unset. */
export function createLocalPubSub(): PubSub {
  const table = new ListenerTable();
  const open: OpenSubscriptions = new Set();
  return {
    async publish(event) {
      table.dispatch(taskTopic(event.taskId), event);
      table.dispatch(userTopic(event.userId), event);
    },
    subscribe: (topic) => createSubscription(open, (listener) => table.add(topic, listener)),
    healthy: () => true,
    close: async () => {
      for (const subscription of [...open]) subscription.close();
    },
  };
}

/**
 * Cross-instance bus on Redis pub/sub. Two connections, since a subscribed one
 * cannot publish; every channel carries the prefix. ioredis reconnects and
 * re-subscribes by itself; once it has, every subscription gets RESYNC.
 */
export function createRedisPubSub(options: { url: string; prefix: string }): PubSub {
  const redisOptions = { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false } as const;
  const publisher = new Redis(options.url, redisOptions);
  // Re-subscribing after a reconnect is done below rather than by ioredis, whose own
  // re-SUBSCRIBE has no handler and rejects unhandled when the connection closes again.
  const subscriber = new Redis(options.url, { ...redisOptions, maxRetriesPerRequest: null, autoResubscribe: false });
  let subscriberWasReady = false;
  // Errors surface through healthy() and /ready; without a listener ioredis logs them as unhandled.
  publisher.on("error", () => {});
  subscriber.on("error", () => {});
  // A publish made while the publisher was down is dropped, not queued (mutations must not
  // wait for Redis). When it is back it asks every instance to resynchronise its subscribers,
  // since some of them may have missed what this instance could not publish.
  const resyncChannel = `${options.prefix}resync`;
  let publisherWasReady = false;
  publisher.on("ready", () => {
    if (publisherWasReady) void publisher.publish(resyncChannel, "").catch(() => {});
    publisherWasReady = true;
  });
  void subscriber.subscribe(resyncChannel).catch(() => {});

  subscriber.on("ready", () => {
    if (subscriberWasReady) {
      // Subscribed again first, re-read after: no change can fall between the subscriptions
      // coming back and the re-read.
      subscriber
        .subscribe(resyncChannel, ...table.names().map(channelOf))
        .then(() => table.resync())
        .catch(() => {}); // down again: the next "ready" resubscribes and resynchronises
    }
    subscriberWasReady = true;
  });

  const channelOf = (topic: string) => options.prefix + topic;
  const open: OpenSubscriptions = new Set();
  const table: ListenerTable = new ListenerTable(
    async (topic) => void (await subscriber.subscribe(channelOf(topic))),
    async (topic) => void (await subscriber.unsubscribe(channelOf(topic))),
  );
  subscriber.on("message", (channel: string, message: string) => {
    if (channel === resyncChannel) return table.resync();
    if (!channel.startsWith(options.prefix)) return;
    try {
      table.dispatch(channel.slice(options.prefix.length), JSON.parse(message) as TaskEvent);
    } catch {
      // a malformed message from another writer on the prefix: ignore it
    }
  });

  return {
    async publish(event) {
      // Before the first connection the command waits in the offline queue, as at start-up.
      if (publisherWasReady && publisher.status !== "ready")
        throw new Error(`Redis is not available (${publisher.status}); the change is not published`);
      const payload = JSON.stringify(event);
      // Two plain PUBLISHes rather than MULTI: subscribers re-read the row, so nothing needs
      // them atomic, and ioredis drops the promise of a MULTI it re-sends after a reconnect,
      // which then rejects unhandled when the connection closes again.
      await Promise.all([
        publisher.publish(channelOf(taskTopic(event.taskId)), payload),
        publisher.publish(channelOf(userTopic(event.userId)), payload),
      ]);
    },
    subscribe: (topic) => createSubscription(open, (listener) => table.add(topic, listener)),
    healthy: () => publisher.status === "ready" && subscriber.status === "ready",
    async close() {
      for (const subscription of [...open]) subscription.close();
      subscriber.disconnect();
      publisher.disconnect();
    },
  };
}
