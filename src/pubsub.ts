import type { RedisTarget } from "./config.js";
import { connectRedis, nodeOptions, type RedisAddress, redisNames, targetOf } from "./redis/connection.js";
import { createShardedSubscriber } from "./redis/sharded-subscriber.js";

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

/** Single-process bus: the embedded default when no Redis is configured. */
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

/** How the bus reaches Redis: PUBLISH / SUBSCRIBE on one server (or a Sentinel's master), sharded on a cluster. */
interface Transport {
  publish(channel: string, payload: string): Promise<unknown>;
  /** resolves once the subscription is in force */
  subscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  /** the publisher's state when it has been up and is down now (a publish would only wait); null otherwise */
  publisherDown(): string | null;
  healthy(): boolean;
  close(): void;
}

interface TransportEvents {
  message(channel: string, payload: string): void;
  /** the subscriptions are in force again after an outage: changes published meanwhile were missed */
  resubscribed(): void;
  /** the publishing connection is back after an outage */
  publisherBack(): void;
}

const noop = () => {};

/** Plain pub/sub: two connections, since a subscribed one cannot publish. */
function plainTransport(target: Exclude<RedisTarget, { kind: "cluster" }>, events: TransportEvents): Transport {
  const redisOptions = { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false } as const;
  const publisher = connectRedis(target, redisOptions);
  // Re-subscribing after a reconnect is done below rather than by ioredis, whose own
  // re-SUBSCRIBE has no handler and rejects unhandled when the connection closes again.
  const subscriber = connectRedis(target, { ...redisOptions, maxRetriesPerRequest: null, autoResubscribe: false });
  // Errors surface through healthy() and /ready; without a listener ioredis logs them as unhandled.
  publisher.on("error", noop);
  subscriber.on("error", noop);
  let publisherWasReady = false;
  publisher.on("ready", () => {
    if (publisherWasReady) events.publisherBack();
    publisherWasReady = true;
  });
  const channels = new Set<string>();
  let subscriberWasReady = false;
  subscriber.on("ready", () => {
    if (subscriberWasReady) {
      // down again: the next "ready" resubscribes and resynchronises
      subscriber.subscribe(...channels).then(events.resubscribed, noop);
    }
    subscriberWasReady = true;
  });
  subscriber.on("message", events.message);
  return {
    publish: (channel, payload) => publisher.publish(channel, payload),
    subscribe(channel) {
      channels.add(channel);
      return subscriber.subscribe(channel);
    },
    unsubscribe(channel) {
      channels.delete(channel);
      return subscriber.unsubscribe(channel);
    },
    publisherDown: () => (publisherWasReady && publisher.status !== "ready" ? publisher.status : null),
    healthy: () => publisher.status === "ready" && subscriber.status === "ready",
    close() {
      subscriber.disconnect();
      publisher.disconnect();
    },
  };
}

/** a publish on a cluster gives up after this long rather than wait out a node's failover: the change is dropped, not late */
const CLUSTER_PUBLISH_TIMEOUT_MS = 1_000;

/**
 * Sharded pub/sub on a Redis Cluster (SPUBLISH / SSUBSCRIBE, Redis 7): a message stays on
 * the node that owns its channel's slot instead of being broadcast to every node.
 */
function shardedTransport(target: Extract<RedisTarget, { kind: "cluster" }>, events: TransportEvents): Transport {
  const publisher = connectRedis(target, { maxRetriesPerRequest: 2, commandTimeout: CLUSTER_PUBLISH_TIMEOUT_MS });
  publisher.on("error", noop);
  let publisherWasReady = false;
  publisher.on("ready", () => {
    if (publisherWasReady) events.publisherBack();
    publisherWasReady = true;
  });
  const subscriber = createShardedSubscriber({
    cluster: publisher,
    redisOptions: nodeOptions(target.url),
    onMessage: events.message,
    onResubscribed: events.resubscribed,
  });
  return {
    publish: (channel, payload) => publisher.spublish(channel, payload),
    subscribe: (channel) => subscriber.subscribe(channel),
    unsubscribe: (channel) => subscriber.unsubscribe(channel),
    publisherDown: () => (publisherWasReady && publisher.status !== "ready" ? publisher.status : null),
    healthy: () => publisher.status === "ready" && subscriber.healthy(),
    close() {
      subscriber.close();
      publisher.disconnect();
    },
  };
}

/**
 * Cross-instance bus on Redis pub/sub; every channel carries the prefix (and on a cluster a
 * hash tag per task or user). The transport reconnects and re-subscribes by itself; once it
 * has, every subscription gets RESYNC.
 */
export function createRedisPubSub(options: RedisAddress & { prefix: string }): PubSub {
  const target = targetOf(options);
  const names = redisNames(options.prefix, target);
  // A publish made while the publisher was down is dropped, not queued (mutations must not
  // wait for Redis). Once publishing works again this instance asks every instance to
  // resynchronise its subscribers, since some of them may have missed what it dropped.
  const resyncChannel = names.of("resync");
  let dropped = false;
  const askForResync = () => {
    transport.publish(resyncChannel, "").then(() => (dropped = false), noop);
  };
  const open: OpenSubscriptions = new Set();
  const events: TransportEvents = {
    message(channel, message) {
      if (channel === resyncChannel) return table.resync();
      const topic = names.nameOf(channel);
      if (topic === null) return;
      try {
        table.dispatch(topic, JSON.parse(message) as TaskEvent);
      } catch {
        // a malformed message from another writer on the prefix: ignore it
      }
    },
    // Subscribed again first, re-read after: no change can fall between the subscriptions
    // coming back and the re-read.
    resubscribed: () => table.resync(),
    publisherBack: askForResync,
  };
  const transport = target.kind === "cluster" ? shardedTransport(target, events) : plainTransport(target, events);
  const table: ListenerTable = new ListenerTable(
    async (topic) => void (await transport.subscribe(names.of(topic))),
    async (topic) => void (await transport.unsubscribe(names.of(topic))),
  );
  void transport.subscribe(resyncChannel).catch(noop);

  return {
    async publish(event) {
      // Before the first connection the command waits in the offline queue, as at start-up.
      const down = transport.publisherDown();
      if (down) {
        dropped = true;
        throw new Error(`Redis is not available (${down}); the change is not published`);
      }
      const payload = JSON.stringify(event);
      // Two plain publishes rather than MULTI: subscribers re-read the row, so nothing needs
      // them atomic, and ioredis drops the promise of a MULTI it re-sends after a reconnect,
      // which then rejects unhandled when the connection closes again. (On a cluster the two
      // channels are on different slots anyway.)
      try {
        await Promise.all([
          transport.publish(names.of(taskTopic(event.taskId)), payload),
          transport.publish(names.of(userTopic(event.userId)), payload),
        ]);
      } catch (err) {
        dropped = true;
        throw err;
      }
      if (dropped) askForResync();
    },
    subscribe: (topic) => createSubscription(open, (listener) => table.add(topic, listener)),
    healthy: () => transport.healthy(),
    async close() {
      for (const subscription of [...open]) subscription.close();
      transport.close();
    },
  };
}
