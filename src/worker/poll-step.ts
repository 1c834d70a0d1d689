import { fromNow } from "../clock.js";
import type { Services } from "../context.js";
import { type TaskUpstream, upstreamOf } from "../providers/channel.js";
import { UpstreamError } from "../providers/errors.js";
import type { UpstreamSnapshot, UpstreamTask } from "../providers/types.js";
import { reportedFailure, upstreamFailure } from "../tasks/failure.js";
import { endTask, recordProgress } from "../tasks/lifecycle.js";
import type { ClaimedTask, TaskQueue } from "../tasks/queue.js";
import { isRunning } from "../tasks/status.js";
import { isStreamState } from "../tasks/stream-state.js";
import { completeWithMedia } from "./completion.js";
import { runStream } from "./stream.js";

/** A claimed task's way to its provider, once it has an upstream job. */
type Submitted = TaskUpstream & { upstream: UpstreamTask };

/** What the poll step works with: the worker's services, its side of the queue, and the signal of a forced stop. */
interface PollContext {
  services: Services;
  queue: TaskQueue;
  /** cuts provider calls short (a forced shutdown) */
  halt: AbortSignal;
}

/**
 * The work on one claimed task, under this worker's lease: polls the provider and records
 * the answer (progress, failure, or completion with its media mirrored and its charge
 * settled), runs a streamed task's stream, and gives the task back with its next poll.
 * `halt` cuts provider calls short (a forced shutdown).
 */
export function createPollStep(services: Services, queue: TaskQueue, halt: AbortSignal): (task: ClaimedTask) => Promise<void> {
  const context: PollContext = { services, queue, halt };
  return (task) => pollStep(context, task);
}

async function pollStep(context: PollContext, task: ClaimedTask) {
  const { services, queue } = context;
  await queue.hold(task.id, async () => {
    try {
      if (task.leaseOwner !== queue.lease.owner || !isRunning(task.status)) return;
      await pollClaimed(context, task);
    } catch (err) {
      services.logger.error({ err, taskId: task.id }, "polling a task failed unexpectedly");
      queue.reschedule(task.id, fromNow(services.clock, backoff(services, 1)), 1);
    }
  });
}

async function pollClaimed(context: PollContext, task: ClaimedTask) {
  const { services, queue, halt } = context;
  if (!task.upstreamId) {
    // The instance submitting it stopped before recording the provider's answer.
    services.logger.warn({ taskId: task.id }, "failing a task whose submission never completed");
    await endTask(services, task.id, "FAILED", { code: "UPSTREAM_ERROR", message: "The submission to the provider did not complete" });
    return;
  }
  const target = upstreamOf(task, services.channelKeys);
  if (!target?.upstream) {
    await endTask(services, task.id, "FAILED", { code: "UPSTREAM_ERROR", message: `No adaptor for provider ${task.provider}` });
    return;
  }
  const submitted: Submitted = { ...target, upstream: target.upstream };
  if (target.adaptor.stream && isStreamState(task.upstreamState)) {
    const finish = (snapshot: UpstreamSnapshot) => complete(context, task, submitted, snapshot);
    await runStream(services, task, task.upstreamState, target, { queue, signal: halt, finish });
    return;
  }
  if (task.deadlineAt.getTime() <= services.clock.now()) {
    await endTask(services, task.id, "FAILED", { code: "TIMEOUT", message: "The provider did not finish the task in time" });
    await target.adaptor.cancel?.({ channel: target.channel, task: submitted.upstream }).catch(() => {});
    return;
  }
  const snapshot = await pollUpstream(context, task, submitted);
  if (snapshot) await record(context, task, submitted, snapshot);
}

/** One poll of the provider; null when it failed, the task then failed or backing off. */
async function pollUpstream(context: PollContext, task: ClaimedTask, target: Submitted): Promise<UpstreamSnapshot | null> {
  const { services, halt } = context;
  const { metrics } = services;
  const timer = metrics.pollSeconds.startTimer({ provider: task.provider });
  try {
    const snapshot = await target.adaptor.poll({ channel: target.channel, task: target.upstream, signal: halt });
    timer();
    return snapshot;
  } catch (err) {
    timer();
    metrics.upstreamErrors.inc({
      channel: target.channel.name,
      operation: "poll",
      code: err instanceof UpstreamError ? err.code : "UNEXPECTED",
    });
    if (err instanceof UpstreamError && err.kind === "not_found") {
      await endTask(services, task.id, "FAILED", upstreamFailure(err, "poll"));
      return null;
    }
    const errors = task.pollErrors + 1;
    const wait = Math.max(backoff(services, errors), err instanceof UpstreamError ? (err.options.retryAfterMs ?? 0) : 0);
    services.logger.warn({ taskId: task.id, channel: target.channel.name, err: String(err), retryInMs: wait }, "poll failed; backing off");
    rescheduleIn(context, task, wait, errors);
    return null;
  }
}

/** Records what the provider says of the job. */
async function record(context: PollContext, task: ClaimedTask, target: Submitted, snapshot: UpstreamSnapshot) {
  const { services } = context;
  switch (snapshot.status) {
    case "QUEUED":
    case "PROCESSING":
      await recordProgress(services, task, { status: snapshot.status, progress: snapshot.progress });
      rescheduleOnRhythm(context, task);
      return;
    case "FAILED":
      await endTask(services, task.id, "FAILED", reportedFailure(snapshot));
      return;
    case "CANCELLED":
      await endTask(services, task.id, "CANCELLED", { code: "UPSTREAM_CANCELLED", message: "The provider cancelled the task" });
      return;
    case "COMPLETED":
      await complete(context, task, target, snapshot);
      return;
  }
}

/** Completes the task; when its media could not be downloaded, polls again after a backoff. */
async function complete(context: PollContext, task: ClaimedTask, target: Submitted, snapshot: UpstreamSnapshot) {
  if (await completeWithMedia(context.services, task, target, snapshot, context.halt)) return;
  const errors = task.pollErrors + 1;
  rescheduleIn(context, task, backoff(context.services, errors), errors);
}

/** The wait before the next poll after `errors` failed ones in a row. */
const backoff = ({ config }: Services, errors: number) =>
  Math.min(config.maxPollBackoffMs, config.pollIntervalMs * 2 ** Math.min(errors, 16));

/** Gives the task back with its next poll `delayMs` from now, never later than its deadline. */
const rescheduleIn = ({ services, queue }: PollContext, task: ClaimedTask, delayMs: number, pollErrors: number) =>
  queue.reschedule(task.id, new Date(Math.min(services.clock.now() + delayMs, task.deadlineAt.getTime())), pollErrors);

/**
 * The next regular poll, one interval after this one was due rather than after it
 * finished: the time spent waiting for a slot and for the provider does not add up
 * into a slower rhythm. A task that fell behind waits at least half an interval.
 */
function rescheduleOnRhythm({ services, queue }: PollContext, task: ClaimedTask) {
  const interval = services.config.pollIntervalMs;
  const at = Math.max(task.nextPollAt.getTime() + interval, services.clock.now() + interval / 2);
  queue.reschedule(task.id, new Date(Math.min(at, task.deadlineAt.getTime())), 0);
}
