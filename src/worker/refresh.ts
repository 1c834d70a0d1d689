import { setMaxListeners } from "node:events";
import type { Services } from "../context.js";
import type { Task } from "../generated/prisma/client.js";
import { adaptorFor } from "../providers/index.js";
import { createTaskQueue } from "../tasks/queue.js";
import { isRunning } from "../tasks/status.js";
import { createPollStep } from "./poll-step.js";

/**
 * Polls made now rather than on the schedule, in whichever process asks: an admin's
 * refreshTask, and a read of a running task whose last poll is old (fresh on read). Each runs
 * the worker's own poll step under the task's lease, so it never overlaps another poll of the
 * task, on any instance, and records its answer the same way.
 */
interface Refresher {
  /**
   * Polls the running task now. Concurrent calls for one task in this process share one poll;
   * across processes the lease admits one, and with `polledBefore` a task the provider was
   * polled about since then is left alone. True when this call (or the one it joined) polled.
   */
  refresh(taskId: string, options?: { polledBefore?: Date }): Promise<boolean>;
  /** stops taking refreshes and waits for those under way (forced: cuts their provider calls short) */
  close(force?: boolean): Promise<void>;
}

/** refreshes one process runs at once; beyond that a read is answered from the database */
const MAX_REFRESHES = 32;
/** how long a refresh waits for a place in its channel's poll budget before it is put off */
const REFRESH_BUDGET_WAIT_MS = 1_000;
/** how long a read waits for its refresh before it answers with what the database holds */
const FRESH_READ_WAIT_MS = 2_000;
/** how long an admin's refreshTask waits for its poll (and a completion's download) before it answers */
const ADMIN_REFRESH_WAIT_MS = 10_000;

const refreshers = new WeakMap<Services, Refresher>();

/** The instance's refresher, made on first use. */
function refresherOf(services: Services): Refresher {
  let refresher = refreshers.get(services);
  if (!refresher) {
    refresher = createRefresher(services);
    refreshers.set(services, refresher);
  }
  return refresher;
}

/** Closes the instance's refresher if it was ever made. */
export async function closeRefresher(services: Services, force = false): Promise<void> {
  await refreshers.get(services)?.close(force);
}

function createRefresher(services: Services): Refresher {
  const queue = createTaskQueue(services, { owner: `refresh:${services.instanceId}`, ms: services.config.leaseMs });
  const halt = new AbortController();
  setMaxListeners(0, halt.signal); // one listener per refresh in flight
  const pollStep = createPollStep(services, queue, halt.signal);
  const inFlight = new Map<string, Promise<boolean>>();
  let closed = false;

  async function run(taskId: string, polledBefore: Date | undefined): Promise<boolean> {
    const task = await queue.claimNow(taskId, { polledBefore });
    if (!task) return false;
    // A streamed generation lives in a worker's connection; one not opened yet is the workers' to open.
    if (adaptorFor(task.provider)?.stream) {
      await queue.release(task.id);
      return false;
    }
    await pollStep(task, { budgetWaitMs: REFRESH_BUDGET_WAIT_MS });
    await queue.settled(); // its reschedule (lastPolledAt with it) is written before the caller reads
    return true;
  }

  return {
    refresh(taskId, options = {}) {
      const joined = inFlight.get(taskId);
      if (joined) return joined;
      if (closed || inFlight.size >= MAX_REFRESHES) return Promise.resolve(false);
      const refreshing = run(taskId, options.polledBefore)
        .catch((err) => {
          services.logger.warn({ err, taskId }, "refreshing a task failed");
          return false;
        })
        .finally(() => inFlight.delete(taskId));
      inFlight.set(taskId, refreshing);
      return refreshing;
    },
    async close(force = false) {
      closed = true;
      if (force) halt.abort();
      await Promise.allSettled(inFlight.values());
      await queue.settled();
      await queue.releaseAll().catch(() => {});
    },
  };
}

/** What a fresh read decides by. */
export type FreshReadTask = Pick<Task, "id" | "status" | "provider" | "upstreamId" | "lastPolledAt" | "createdAt" | "pollErrors">;

/** The columns `readFresh` needs, for a selection to add. */
export const FRESH_READ_FIELDS = {
  id: true,
  status: true,
  provider: true,
  upstreamId: true,
  lastPolledAt: true,
  createdAt: true,
  pollErrors: true,
} as const;

/**
 * Fresh on read: a running task whose provider was last asked longer than FRESH_READ_AFTER_MS
 * ago is polled now, once however many read it at the same moment on however many instances;
 * the read waits up to FRESH_READ_WAIT_MS for that and then answers with what is stored (the
 * poll goes on and lands for the next read). A task backing off after failed polls is left to
 * its back-off. True when the poll finished within the wait: the row is worth reading again.
 */
export async function readFresh(services: Services, task: FreshReadTask): Promise<boolean> {
  const after = services.config.freshReadAfterMs;
  if (after <= 0 || !isRunning(task.status) || !task.upstreamId || task.pollErrors > 0 || adaptorFor(task.provider)?.stream) return false;
  const now = services.clock.now();
  if (now - (task.lastPolledAt ?? task.createdAt).getTime() < after) return false;
  return within(FRESH_READ_WAIT_MS, refresherOf(services).refresh(task.id, { polledBefore: new Date(now - after) }));
}

/** An admin's refreshTask: polls the task now, waiting for the answer a while; true when it landed meanwhile. */
export const refreshForAdmin = (services: Services, taskId: string) => within(ADMIN_REFRESH_WAIT_MS, refresherOf(services).refresh(taskId));

/** What `refreshing` resolves with, or false once `ms` have passed; the refresh goes on either way. */
async function within(ms: number, refreshing: Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([refreshing, waited]);
  } finally {
    clearTimeout(timer);
  }
}
