import { setTimeout as sleep } from "node:timers/promises";
import type { Services } from "../context.js";
import { cancelAtDeadline } from "../tasks/cancel.js";
import { submitTask, submitter } from "../tasks/create.js";
import { endTask, publishTask, type TaskFailure } from "../tasks/lifecycle.js";
import { routeChannels } from "../tasks/routing.js";
import {
  type ClaimedWait,
  channelsWithWaiting,
  claimWaiting,
  expiredWaiting,
  isWaitState,
  publishQueuePositions,
  waitingRequest,
} from "../tasks/slots.js";

/** longest wait between looks for freed slots and passed deadlines */
const MAX_IDLE_MS = 1_000;
/** waiting tasks one look takes from a channel without a limit (its limit was lifted while they waited) */
const CLAIM_LIMIT = 20;
/** waiting tasks past their deadline ended per look */
const EXPIRE_LIMIT = 100;

/** What a task that waited past the server's deadline (TASK_TIMEOUT_MS) ends with. */
const WAITED_TOO_LONG: TaskFailure = { code: "TIMEOUT", message: "No slot on the channel became free before the task's deadline" };

export interface SlotQueue {
  start(): void;
  /** stops looking; lets the submissions under way finish unless forced (their leases then lapse) */
  close(force?: boolean): Promise<void>;
  /** one look: ends the waiting tasks past their deadline, then submits waiting tasks into free slots; returns how many it started */
  tick(): Promise<number>;
}

/**
 * Reelay's queue for channel slots, worked beside the poller: as slots free on a channel, its
 * waiting tasks are taken in order (tasks/slots.ts claims them under the channel's slot lock,
 * so instances never pass the limit together) and submitted like a new task, with the
 * submitter's lease; the tasks still waiting are told their new places. A waiting task past
 * its deadline ends as a running one would, its hold released.
 */
export function createSlotQueue(services: Services): SlotQueue {
  const { config, logger } = services;
  const lease = submitter(services);
  const stop = new AbortController();
  const submissions = new Set<Promise<void>>();
  let loop: Promise<void> | null = null;

  function track(work: Promise<void>) {
    const running = work.catch((err) => logger.error({ err }, "submitting a task that waited failed unexpectedly"));
    submissions.add(running);
    void running.finally(() => submissions.delete(running));
  }

  async function tick(): Promise<number> {
    if (stop.signal.aborted) return 0;
    await expireWaiting(services);
    let started = 0;
    for (const channelId of await channelsWithWaiting(services.db)) {
      if (stop.signal.aborted) break;
      const claimed = await claimWaiting(services, channelId, lease, CLAIM_LIMIT);
      if (claimed.length === 0) continue;
      started += claimed.length;
      for (const task of claimed) track(submitWaited(services, task));
      await publishQueuePositions(services, channelId);
    }
    return started;
  }

  async function run() {
    while (!stop.signal.aborted) {
      try {
        await tick();
      } catch (err) {
        logger.error({ err }, "looking for free slots failed");
      }
      await sleep(Math.min(MAX_IDLE_MS, config.pollIntervalMs), undefined, { signal: stop.signal }).catch(() => {});
    }
  }

  return {
    start() {
      loop ??= run();
    },
    tick,
    async close(force = false) {
      stop.abort();
      await loop;
      if (!force) await Promise.allSettled(submissions);
    },
  };
}

/**
 * Submits a task that waited, on its own channel first; one whose channel the user did not name
 * may fail over to any channel with a free slot. The task holds its slot already.
 */
async function submitWaited(services: Services, claimed: ClaimedWait) {
  // its place is gone: subscribers re-read it (queuePosition null)
  await publishTask(services, { id: claimed.id, userId: claimed.userId, status: "QUEUED", progress: 0 });
  const task = await services.db.task.findUnique({ where: { id: claimed.id }, include: { channel: true } });
  if (task?.status !== "QUEUED" || task.upstreamId) return; // cancelled meanwhile
  if (!isWaitState(claimed.upstreamState)) {
    await endTask(services, task.id, "FAILED", { code: "UPSTREAM_ERROR", message: "The request was lost while the task waited" });
    return;
  }
  const { pinned } = claimed.upstreamState;
  const channels = [task.channel, ...(pinned ? [] : await failoverChannels(services, task.model, task.channelId))];
  await submitTask(services, task, channels, waitingRequest(claimed.upstreamState));
}

/** The other channels that could take the task now, in routing order; none when every one is full or failing. */
async function failoverChannels(services: Services, model: string, own: string) {
  try {
    const route = await routeChannels(services, model, null);
    return route.wait ? [] : route.channels.filter((c) => c.id !== own);
  } catch {
    return [];
  }
}

/**
 * Ends the waiting tasks whose deadline passed, by the rule for running ones: past the user's
 * cancelAfter CANCELLED with DEADLINE_EXCEEDED, past the server's timeout FAILED with TIMEOUT.
 * The hold is released either way, and the tasks behind them move up.
 */
async function expireWaiting(services: Services) {
  const now = services.clock.now();
  const expired = await expiredWaiting(services.db, now, EXPIRE_LIMIT);
  if (expired.length === 0) return;
  const tasks = await services.db.task.findMany({ where: { id: { in: expired.map((e) => e.id) } }, include: { channel: true } });
  const moved = new Set<string>();
  for (const task of tasks) {
    if (task.cancelAt && task.cancelAt.getTime() <= now) {
      await cancelAtDeadline(services, task); // tells the queue behind it
    } else if (await endTask(services, task.id, "FAILED", WAITED_TOO_LONG)) {
      moved.add(task.channelId);
    }
  }
  for (const channelId of moved) await publishQueuePositions(services, channelId);
}
