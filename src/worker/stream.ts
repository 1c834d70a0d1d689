import type { Services } from "../context.js";
import type { Task } from "../generated/prisma/client.js";
import type { TaskUpstream } from "../providers/channel.js";
import { UpstreamError } from "../providers/errors.js";
import type { UpstreamSnapshot } from "../providers/types.js";
import { reportedFailure, upstreamFailure } from "../tasks/failure.js";
import { endTask, recordProgress } from "../tasks/lifecycle.js";
import type { TaskQueue } from "../tasks/queue.js";
import { isTerminal, RUNNING_STATUSES } from "../tasks/status.js";
import { type StreamState, streamRequest } from "../tasks/stream-state.js";

/** how often a running stream checks that its task was not cancelled meanwhile */
const CANCEL_CHECK_MS = 2_000;

/** The state of a running task that progress readings compare against. */
type RunningTask = Pick<Task, "id" | "userId" | "status" | "progress">;

/**
 * Runs a push-model task in this worker: opens the stream once, records progress as it
 * arrives (published at once), and hands a finished result to `finish` for mirroring and
 * settlement. A stream that a dead worker had opened cannot be resumed: the task fails and
 * its hold is released.
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
  const ended = new AbortController();
  const stopWith = () => ended.abort(options.signal.reason);
  options.signal.addEventListener("abort", stopWith, { once: true });
  const cancelled = setInterval(() => {
    void services.db.task.findUnique({ where: { id: task.id }, select: { status: true } }).then((row) => {
      if (!row || isTerminal(row.status)) ended.abort(new Error("the task ended while streaming"));
    });
  }, CANCEL_CHECK_MS);
  try {
    const opened = await options.queue.updateHeld(
      task.id,
      { upstreamState: { ...state, started: true } },
      { status: { in: [...RUNNING_STATUSES] } },
    );
    if (!opened) return;
    await streamToTheEnd(services, task, state, target, { signal: ended.signal, halt: options.signal, finish: options.finish });
  } finally {
    clearInterval(cancelled);
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
  // One write at a time, in order; each compares against the last state written.
  let progressWrites = Promise.resolve();
  const onProgress = (progress: number) => {
    progressWrites = progressWrites.then(async () => {
      current = (await recordProgress(services, current, { status: "PROCESSING", progress })) ?? current;
    });
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
    await progressWrites.catch(() => {});
    if (options.signal.aborted && !options.halt.aborted) return; // the task ended (cancelled): nothing more to record
    if (!(err instanceof UpstreamError)) logger.error({ err, taskId: task.id }, "streaming a task failed unexpectedly");
    await endTask(services, task.id, "FAILED", upstreamFailure(err, "stream"));
  }
}
