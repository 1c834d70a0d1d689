import { setMaxListeners } from "node:events";
import type { Logger } from "pino";
import type { Services } from "../context.js";
import { createTaskQueue } from "../tasks/queue.js";
import { createMediaJobs } from "./media-jobs.js";
import { createPollStep } from "./poll-step.js";
import { createSlotQueue } from "./slot-queue.js";
import { createWebhookWorker } from "./webhooks.js";

/** longest wait between looks for due work: new tasks are noticed at least this often */
const MAX_IDLE_MS = 1_000;
const MIN_IDLE_MS = 25;
/** longest pause between claims while every slot is busy */
const BUSY_PAUSE_MS = 20;
/** a busy worker claims again as soon as this share of its slots is free, so claims come in batches */
const CLAIM_BATCH_SHARE = 1 / 4;

export interface Poller {
  readonly workerId: string;
  start(): void;
  /** stops claiming, lets in-flight work finish (or, forced, cuts its provider calls short) and hands leases back */
  close(force?: boolean): Promise<void>;
  /** one claim-and-process round; for tests and benchmarks */
  tick(): Promise<number>;
}

/**
 * Polls every running task on its schedule. Workers share the work through leases in
 * PostgreSQL (FOR UPDATE SKIP LOCKED), so any number can run and none polls a task
 * another is working on; a lease left by a dead worker lapses and is taken over.
 */
export function createPoller(services: Services, options: { workerId?: string } = {}): Poller {
  const { config, logger, clock } = services;
  const workerId = options.workerId ?? `worker:${services.instanceId}`;
  const queue = createTaskQueue(services, { owner: workerId, ms: config.leaseMs });
  /** stops the loop from claiming more work */
  const stop = new AbortController();
  /** cuts in-flight provider calls short: only a forced close does that, a graceful one lets them finish */
  const halt = new AbortController();
  // Every in-flight provider call listens on it: hundreds at once is its purpose, not a leak.
  setMaxListeners(0, halt.signal);
  const pollStep = createPollStep(services, queue, halt.signal);
  const media = createMediaJobs(services, queue);
  // Webhook deliveries run in a loop of their own beside the polls: a slow receiver never delays a poll.
  const webhooks = createWebhookWorker(services, { owner: workerId });
  // Tasks waiting for a channel slot are submitted by a loop of their own too, as slots free.
  const slotQueue = createSlotQueue(services);
  const slots = createSlots(config.workerConcurrency, stop.signal, logger);
  let nextMediaSweep = 0;
  let loop: Promise<void> | null = null;

  async function tick(): Promise<number> {
    if (stop.signal.aborted) return 0;
    const tasks = await queue.claimDue(slots.free());
    for (const task of tasks) {
      // A lease that lapsed while this worker kept working (the database was away) is claimed
      // back by it: the work under way goes on, none starts beside it.
      if (slots.busy(task.id)) continue;
      slots.take(task.id, () => pollStep(task));
    }
    return tasks.length + (await sweepMedia());
  }

  /** Mirror retries and retention deletions, at most every mediaSweepIntervalMs. */
  async function sweepMedia(): Promise<number> {
    if (clock.now() < nextMediaSweep) return 0;
    nextMediaSweep = clock.now() + config.mediaSweepIntervalMs;
    const jobs = await media.claim(slots.free());
    for (const job of jobs) {
      const work = () =>
        queue
          .hold(job.id, () => job.run(halt.signal))
          .catch((err) => logger.error({ err, taskId: job.id }, "media work failed unexpectedly"));
      slots.take(`media:${job.id}`, work);
    }
    return jobs.length;
  }

  /** How long to wait before looking for due tasks again: until the next one is due, within bounds. */
  async function untilNextDue(): Promise<number> {
    const next = await queue.nextDue();
    const wait = next ? next.getTime() - clock.now() : Infinity;
    // Never longer than an interval: a task created meanwhile is due one interval after it was made.
    return Math.min(MAX_IDLE_MS, config.pollIntervalMs, Math.max(MIN_IDLE_MS, wait));
  }

  async function run() {
    while (!stop.signal.aborted) {
      const room = slots.free();
      let claimed = 0;
      try {
        claimed = await tick();
      } catch (err) {
        logger.error({ err }, "claiming due tasks failed");
      }
      // Every free slot taken: more may be due; look again shortly, when several slots have
      // freed up, so that one claim and one read serve a batch rather than a single task.
      // Fewer claimed than there was room for: nothing else is due; wait until something is.
      if (claimed >= room) await slots.pause(BUSY_PAUSE_MS, true);
      else await slots.pause(await untilNextDue().catch(() => MAX_IDLE_MS), false);
    }
  }

  return {
    workerId,
    start() {
      loop ??= run();
      webhooks.start();
      slotQueue.start();
    },
    tick,
    async close(force = false) {
      stop.abort();
      if (force) halt.abort();
      const deliveries = webhooks.close(force);
      const submissions = slotQueue.close(force);
      await loop;
      if (!force) await slots.drained();
      await queue.settled();
      // Whatever is still claimed goes back to the pool now instead of when the lease lapses.
      await queue.releaseAll().catch(() => {});
      await deliveries;
      await submissions;
    },
  };
}

/**
 * The worker's slots: polls, downloads and media jobs under way, each holding one of
 * `size`, and the claim loop's pause, cut short when the worker stops or, while it is
 * busy, as soon as enough slots are free to claim a batch.
 */
function createSlots(size: number, stop: AbortSignal, logger: Logger) {
  const inFlight = new Map<string, Promise<void>>();
  /** ends the claim loop's busy pause early */
  let wakeLoop: (() => void) | null = null;

  /** Frees a slot; a busy claim loop waiting for slots goes on once enough are free. */
  function vacate(key: string) {
    inFlight.delete(key);
    if (wakeLoop && size - inFlight.size >= Math.max(1, Math.floor(size * CLAIM_BATCH_SHARE))) wakeLoop();
  }

  return {
    free: () => size - inFlight.size,
    busy: (key: string) => inFlight.has(key),
    /** runs `work` in a slot of its own, freed when it settles */
    take(key: string, work: () => Promise<void>) {
      const running = work()
        .catch((err) => logger.error({ err, key }, "work in a worker slot failed unexpectedly"))
        .finally(() => vacate(key));
      inFlight.set(key, running);
    },
    drained: () => Promise.allSettled(inFlight.values()),
    /** Waits up to `ms`, less when the worker stops or (busy) when slots free up. */
    pause(ms: number, wakeOnFreeSlots: boolean) {
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          stop.removeEventListener("abort", done);
          if (wakeLoop === done) wakeLoop = null;
          resolve();
        };
        const timer = setTimeout(done, ms);
        if (stop.aborted) return done();
        stop.addEventListener("abort", done, { once: true });
        if (wakeOnFreeSlots) wakeLoop = done;
      });
    },
  };
}
