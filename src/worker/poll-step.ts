import { fromNow } from "../clock.js";
import type { Services } from "../context.js";
import { type TaskUpstream, upstreamOf } from "../providers/channel.js";
import { UpstreamError } from "../providers/errors.js";
import type { UpstreamSnapshot, UpstreamTask } from "../providers/types.js";
import { cancelAtDeadline } from "../tasks/cancel.js";
import { reportedFailure, upstreamFailure } from "../tasks/failure.js";
import { endTask, recordProgress } from "../tasks/lifecycle.js";
import type { ClaimedTask, PollMarks, TaskQueue } from "../tasks/queue.js";
import { isRunning } from "../tasks/status.js";
import { isStreamState } from "../tasks/stream-state.js";
import { completeWithMedia } from "./completion.js";
import { takePollBudget } from "./poll-budget.js";
import { DEFAULT_TYPICAL_MS, nextPollDelay, pollBounds } from "./poll-interval.js";
import { hasMoved, judgeStall } from "./stall.js";
import { runStream } from "./stream.js";

/** A claimed task's way to its provider, once it has an upstream job. */
type Submitted = TaskUpstream & { upstream: UpstreamTask };

/** What the poll step works with: the worker's services, its side of the queue, and the signal of a forced stop. */
interface PollContext {
  services: Services;
  queue: TaskQueue;
  /** cuts provider calls short (a forced shutdown) */
  halt: AbortSignal;
  /** how long a poll may wait for its channel's budget before it is put off (see PollOptions) */
  budgetWaitMs: number;
}

/** How one poll step runs. */
export interface PollOptions {
  /**
   * How long to wait for a place in the channel's poll budget (Channel.pollsPerSecond) before
   * the poll is put off a little: 0 for the worker's loop, which polls other tasks meanwhile;
   * longer for a refresh that someone waits for.
   */
  budgetWaitMs?: number;
}

/**
 * The work on one claimed task, under this worker's lease: polls the provider and records
 * the answer (progress, failure, or completion with its media mirrored and its charge
 * settled), runs a streamed task's stream, and gives the task back with its next poll.
 * `halt` cuts provider calls short (a forced shutdown).
 */
export function createPollStep(
  services: Services,
  queue: TaskQueue,
  halt: AbortSignal,
): (task: ClaimedTask, options?: PollOptions) => Promise<void> {
  return (task, options = {}) => pollStep({ services, queue, halt, budgetWaitMs: options.budgetWaitMs ?? 0 }, task);
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
  // The user's cancelAfter deadline (deadlineAt is the earlier of it and TASK_TIMEOUT_MS).
  if (task.cancelAt && task.cancelAt.getTime() <= services.clock.now()) return void (await cancelAtDeadline(services, task));
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
  // Over the channel's budget: put off a little, never dropped.
  const putOff = await takePollBudget(services, task.channel, context.budgetWaitMs);
  if (putOff !== null) return rescheduleIn(context, task, putOff, task.pollErrors);
  const snapshot = await pollUpstream(context, task, submitted);
  if (snapshot) await record(context, task, submitted, snapshot);
}

/** One call to the provider about the job, timed; failures are counted and thrown. */
async function askProvider(context: PollContext, task: ClaimedTask, target: Submitted, fresh: boolean): Promise<UpstreamSnapshot> {
  const { metrics } = context.services;
  const timer = metrics.pollSeconds.startTimer({ provider: task.provider });
  try {
    return await target.adaptor.poll({ channel: target.channel, task: target.upstream, fresh, signal: context.halt });
  } catch (err) {
    metrics.upstreamErrors.inc({
      channel: target.channel.name,
      operation: "poll",
      code: err instanceof UpstreamError ? err.code : "UNEXPECTED",
    });
    throw err;
  } finally {
    timer();
  }
}

/** One poll of the provider; null when it failed, the task then failed or backing off. */
async function pollUpstream(context: PollContext, task: ClaimedTask, target: Submitted): Promise<UpstreamSnapshot | null> {
  const { services } = context;
  try {
    return await askProvider(context, task, target, false);
  } catch (err) {
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
      await recordRunning(context, task, target, { ...snapshot, status: snapshot.status });
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

/**
 * Records a reading of a job still running: its progress when it moved, else what stall
 * detection makes of it; then the next poll on the adaptive interval.
 */
async function recordRunning(
  context: PollContext,
  task: ClaimedTask,
  target: Submitted,
  snapshot: UpstreamSnapshot & { status: "QUEUED" | "PROCESSING" },
) {
  const { services } = context;
  const polledAt = fromNow(services.clock);
  if (hasMoved(task, snapshot)) {
    await recordProgress(services, task, { status: snapshot.status, progress: snapshot.progress });
    return rescheduleOnRhythm(context, task, target, snapshot, { polledAt, progressedAt: polledAt, stallCheckAt: null });
  }
  const verdict = await judgeStall(services, task, snapshot, () => freshPoll(context, task, target));
  switch (verdict.kind) {
    case "moved":
      return record(context, task, target, verdict.snapshot);
    case "checked":
      // Nothing moved even past the caches: polled as usual, it fails on the first poll after the grace that finds no change.
      return rescheduleOnRhythm(context, task, target, snapshot, { polledAt, stallCheckAt: polledAt });
    case "failed":
      return;
    case "none":
      await recordProgress(services, task, { status: snapshot.status, progress: snapshot.progress });
      return rescheduleOnRhythm(context, task, target, snapshot, { polledAt });
  }
}

/** The stall check's poll: past any cache and within the channel's budget; null when it cannot be made now. */
async function freshPoll(context: PollContext, task: ClaimedTask, target: Submitted): Promise<UpstreamSnapshot | null> {
  if ((await takePollBudget(context.services, task.channel)) !== null) return null;
  return askProvider(context, task, target, true).catch((err) => {
    context.services.logger.warn({ taskId: task.id, err: String(err) }, "the stall check's poll failed; checking again on the next poll");
    return null;
  });
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
const rescheduleIn = ({ services, queue }: PollContext, task: ClaimedTask, delayMs: number, pollErrors: number, marks: PollMarks = {}) =>
  queue.reschedule(task.id, new Date(Math.min(services.clock.now() + delayMs, task.deadlineAt.getTime())), pollErrors, {
    ...marks,
    claimedDueAt: task.nextPollAt,
  });

/**
 * The next regular poll, on the adaptive interval (poll-interval.ts) counted from when this
 * one was due rather than from when it finished: the time spent waiting for a slot and for
 * the provider does not add up into a slower rhythm. A task that fell behind waits at least
 * half an interval; one polled early (a refresh, a callback) counts from now.
 */
function rescheduleOnRhythm(
  { services, queue }: PollContext,
  task: ClaimedTask,
  target: Submitted,
  snapshot: UpstreamSnapshot & { status: "QUEUED" | "PROCESSING" },
  marks: PollMarks,
) {
  const now = services.clock.now();
  const interval = nextPollDelay(
    {
      status: snapshot.status,
      progress: snapshot.progress ?? task.progress,
      progressEstimated: snapshot.progressEstimated ?? false,
      sinceSubmitMs: now - (task.submittedAt ?? task.createdAt).getTime(),
      sinceStartMs: task.startedAt ? now - task.startedAt.getTime() : undefined,
      typicalMs: target.adaptor.typicalGenerationMs ?? DEFAULT_TYPICAL_MS,
      hints: snapshot.hints,
    },
    pollBounds(services.config),
  );
  const at = Math.max(Math.min(task.nextPollAt.getTime(), now) + interval, now + interval / 2);
  queue.reschedule(task.id, new Date(Math.min(at, task.deadlineAt.getTime())), 0, { ...marks, claimedDueAt: task.nextPollAt });
}
