import { setTimeout as sleep } from "node:timers/promises";
import type { Services } from "../context.js";
import type { Task } from "../generated/prisma/client.js";
import type { TaskUpstream } from "../providers/channel.js";
import { UpstreamError } from "../providers/errors.js";
import type { UpstreamSnapshot } from "../providers/types.js";
import { isResync, type Subscription, taskTopic } from "../pubsub.js";
import { reportedFailure, upstreamFailure } from "../tasks/failure.js";
import { endTask, recordProgress } from "../tasks/lifecycle.js";
import type { TaskQueue } from "../tasks/queue.js";
import { isTerminal, RUNNING_STATUSES } from "../tasks/status.js";
import { type StreamState, streamRequest } from "../tasks/stream-state.js";

/** how long to wait before reading a task's status again when the database did not answer */
const STATUS_RETRY_MS = 1_000;

/** The state of a running task that progress readings compare against. */
type RunningTask = Pick<Task, "id" | "userId" | "status" | "progress">;

/**
 * Runs a push-model task in this worker: opens the stream once, records progress as it
 * arrives (published at once), and hands a finished result to `finish` for mirroring and
 * settlement. The stream stops as soon as the bus says the task ended (a user cancelled it).
 * A stream that a dead worker had opened cannot be resumed: the task fails and its hold is
 * released.
 */
export async function runStream(
  services: Services,
  task: RunningTask,
  state: StreamState,
  target: Pick<TaskUpstream, "adaptor" | "channel">,
  options: { queue: TaskQueue; signal: AbortSignal; finish: (snapshot: UpstreamSnapshot) => Promise<void> },
) {
  if (state.started) {
    await endTask(services, task.id, "FAILED", {
      code: "UPSTREAM_ERROR",
      message: "The stream was interrupted before the video was ready",
    });
    return;
  }
  // Live before the stream is marked open: no cancellation can fall in between.
  const subscription = await services.pubsub.subscribe(taskTopic(task.id));
  const ended = new AbortController();
  const stopWith = () => ended.abort(options.signal.reason);
  options.signal.addEventListener("abort", stopWith, { once: true });
  try {
    const opened = await options.queue.updateHeld(
      task.id,
      { upstreamState: { ...state, started: true } },
      { status: { in: [...RUNNING_STATUSES] } },
    );
    if (!opened) return;
    void abortWhenEnded(services, task.id, subscription, ended);
    await streamToTheEnd(services, task, state, target, { signal: ended.signal, halt: options.signal, finish: options.finish });
  } finally {
    subscription.close();
    ended.abort();
    options.signal.removeEventListener("abort", stopWith);
  }
}

async function streamToTheEnd(
  services: Services,
  task: RunningTask,
  state: StreamState,
  target: Pick<TaskUpstream, "adaptor" | "channel">,
  options: { signal: AbortSignal; halt: AbortSignal; finish: (snapshot: UpstreamSnapshot) => Promise<void> },
) {
  const { config, logger } = services;
  let current = task;
  // One write at a time, in order; each compares against the last state written. A write
  // that fails (database unreachable) is skipped: the next reading brings the task up to date.
  let progressWrites = Promise.resolve();
  const onProgress = (progress: number) => {
    progressWrites = progressWrites
      .then(async () => {
        current = (await recordProgress(services, current, { status: "PROCESSING", progress })) ?? current;
      })
      .catch((err) => logger.warn({ err, taskId: task.id }, "could not record the stream's progress"));
  };
  try {
    const snapshot = await target.adaptor.stream!({
      channel: target.channel,
      request: streamRequest(state),
      attempts: config.submitAttempts,
      retryBaseMs: config.submitBackoffMs,
      signal: options.signal,
      onProgress,
    });
    await progressWrites;
    if (snapshot.status === "COMPLETED") await options.finish(snapshot);
    else await endTask(services, task.id, snapshot.status === "CANCELLED" ? "CANCELLED" : "FAILED", reportedFailure(snapshot));
  } catch (err) {
    await progressWrites;
    if (options.signal.aborted && !options.halt.aborted) return; // the task ended (cancelled): nothing more to record
    if (!(err instanceof UpstreamError)) logger.error({ err, taskId: task.id }, "streaming a task failed unexpectedly");
    await endTask(services, task.id, "FAILED", upstreamFailure(err, "stream"));
  }
}

/**
 * Aborts `ended` once the task is no longer running, as its bus topic tells. After a bus
 * outage, when changes may have been lost, the task's row is read again. Never throws.
 */
async function abortWhenEnded(services: Services, taskId: string, subscription: Subscription, ended: AbortController) {
  try {
    for await (const event of subscription) {
      const status = isResync(event) ? await readStatus(services, taskId, ended.signal) : event.status;
      if (status === undefined) continue;
      if (status === null || isTerminal(status)) return ended.abort();
    }
  } catch (err) {
    services.logger.warn({ err, taskId }, "stopped watching a streamed task for its end");
  }
}

/**
 * The task's status from the database (null when the row is gone), read again while the
 * database does not answer; undefined once `stop` aborts.
 */
async function readStatus(services: Services, taskId: string, stop: AbortSignal): Promise<string | null | undefined> {
  while (!stop.aborted) {
    try {
      const row = await services.db.task.findUnique({ where: { id: taskId }, select: { status: true } });
      return row?.status ?? null;
    } catch {
      await sleep(STATUS_RETRY_MS, undefined, { signal: stop }).catch(() => {});
    }
  }
  return undefined;
}
