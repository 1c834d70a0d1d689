import { setTimeout as sleep } from "node:timers/promises";
import { hold } from "../billing/ledger.js";
import { quoteHold } from "../billing/prices.js";
import { findModel } from "../catalogue.js";
import { channelDisplayName } from "../channels/store.js";
import { fromNow } from "../clock.js";
import type { CurrentUser, Services } from "../context.js";
import { badInput, ErrorCode, isPrismaError, notFound, PrismaErrorCode, ReelayError } from "../errors.js";
import type { Channel, Task } from "../generated/prisma/client.js";
import { readReferenceImage } from "../media/reference-image.js";
import { formatMoney } from "../money.js";
import { type TaskUpstream, upstreamOf } from "../providers/channel.js";
import { UpstreamError } from "../providers/errors.js";
import type { MediaKind, SubmitRequest, SubmitResult } from "../providers/types.js";
import { checkCreateAllowance, enforceActiveTaskLimit } from "../rate-limits/active-tasks.js";
import type { WebhookEvent } from "../webhooks/events.js";
import { checkWebhook } from "../webhooks/url.js";
import { parseCancelAfter } from "./deadline.js";
import { noteTaskEvent, recordTaskEvent, type TaskEventKind, unitName, upstreamReason } from "./events.js";
import { upstreamFailure } from "./failure.js";
import { jsonValue } from "./json-column.js";
import { endTask, publishTask, recordProgress } from "./lifecycle.js";
import { handOver, type Lease, leasedTo, withLease } from "./queue.js";
import { channelFull, recordChannelFailure, recordChannelSuccess, routeChannels } from "./routing.js";
import { moveToChannel, queuePositions, slotFree, waitState } from "./slots.js";
import { streamState } from "./stream-state.js";
import { type VideoParams, validateVideoParams } from "./validate.js";

export interface CreateVideoInput {
  model: string;
  prompt: string;
  seconds?: number | null;
  size?: string | null;
  aspectRatio?: string | null;
  inputReference?: File | null;
  inputReferenceUrl?: string | null;
  channel?: string | null;
  idempotencyKey?: string | null;
  /** where task events are POSTed (Standard Webhooks); checked by the reference-URL address rules */
  webhookUrl?: string | null;
  /** which events to send; all of them when unset */
  webhookEvents?: WebhookEvent[] | null;
  /** the user's deadline, an ISO-8601 or short duration ("PT10M", "10m"): past it the task is cancelled */
  cancelAfter?: string | null;
}

/** longest delay honoured from a provider's Retry-After while the client waits */
const MAX_SUBMIT_WAIT_MS = 10_000;
const IDEMPOTENCY_KEY_LIMIT = 200; // characters

/**
 * createVideo: validate, price, hold, then submit, or join the channel's queue when every
 * channel that could take the task is at its limit (tasks/slots.ts). Everything that can be refused is checked
 * before the hold; once the task row exists it always ends in a state the user can see,
 * and a provider's refusal costs nothing. Returns the task id.
 */
export async function createVideo(services: Services, user: CurrentUser, input: CreateVideoInput): Promise<string> {
  const { config } = services;
  // PostgreSQL text cannot hold NUL: a name with one is malformed input, not an internal error
  for (const field of ["model", "channel"] as const) {
    if (input[field]?.includes("\u0000")) throw badInput(`${field} must not contain NUL characters`, { field });
  }
  const replay = await findIdempotent(services, user, input.idempotencyKey);
  if (replay) return replay;

  const spec = findModel(input.model);
  const hasReference = Boolean(input.inputReference || input.inputReferenceUrl);
  const params = validateVideoParams(input.model, spec, { ...input, hasReference });
  const cancelAfterMs = input.cancelAfter == null ? null : parseCancelAfter(input.cancelAfter, config.maxCancelAfterMs);
  const webhook = await checkWebhook(input, config.allowPrivateNetworks);
  const route = await routeChannels(services, input.model, input.channel);
  const [channel] = route.channels;
  if (hasReference) await checkCreateAllowance(services, user, { model: input.model, params });
  const reference = await readReferenceImage(
    { file: input.inputReference, url: input.inputReferenceUrl },
    { maxBytes: config.maxReferenceImageBytes, fetch: { allowPrivateAddresses: config.allowPrivateNetworks, ...services.referenceFetch } },
  );
  const request: SubmitRequest = {
    model: input.model,
    mediaType: spec?.mediaType ?? "VIDEO",
    prompt: params.prompt,
    seconds: params.seconds,
    size: params.size,
    aspectRatio: params.aspectRatio,
    reference,
  };

  const inserted = await insertWithHold(services, user, {
    model: input.model,
    channel,
    params,
    mediaType: spec?.mediaType ?? "VIDEO",
    idempotencyKey: input.idempotencyKey ?? null,
    remixedFromId: null,
    webhook,
    cancelAfterMs,
    slot: { request, pinned: Boolean(input.channel) },
  });
  if ("existing" in inserted) return inserted.existing;
  const taskId = inserted.id;
  services.logger.info({ taskId, userId: user.id, subject: user.subject, model: input.model }, "task created");
  if (inserted.waiting) {
    await announceWaiting(services, { id: taskId, userId: user.id }, channel);
    return taskId;
  }
  await submitTask(services, { id: taskId, userId: user.id }, route.channels, request);
  return taskId;
}

/**
 * Starts a task that holds a slot on `channels[0]`: a streamed generation is handed over to the
 * workers, any other task is submitted with failover under the submitter's lease. The same for
 * a new task and for one that waited in its channel's queue (worker/slot-queue.ts).
 */
export async function submitTask(services: Services, task: { id: string; userId: string }, channels: Channel[], request: SubmitRequest) {
  const [channel] = channels;
  if (upstreamOf({ provider: channel.provider, model: request.model, channel }, services.channelKeys)?.adaptor.stream) {
    // A streamed generation lives as long as its connection: a worker opens it, not this request.
    const state = streamState(request);
    const now = fromNow(services.clock);
    await handOver(services.db, task.id, { upstreamId: `stream:${task.id}`, upstreamState: state, nextPollAt: now, submittedAt: now });
    const name = channelDisplayName(channel.name);
    await noteTaskEvent(services, task.id, "SUBMITTED", `Handed to a worker to stream from channel "${name}"`, { channel: name });
    // A worker opens the stream; the task is on its channel from here.
    services.logger.info({ taskId: task.id, userId: task.userId, channel: channel.name, streamed: true }, "task submitted");
    return;
  }
  const note = submissionNote(services, task);
  await withLease(services, task.id, submitter(services), () => submitWithFailover(services, task.id, channels, request, note));
}

/** A new task joined its channel's queue: logged, and its place told to the owner's subscribers. */
async function announceWaiting(services: Services, task: { id: string; userId: string }, channel: Channel) {
  const queuePosition = (await queuePositions(services.db, [task.id])).get(task.id);
  services.logger.info({ taskId: task.id, userId: task.userId, channel: channel.name, queuePosition }, "task waits for a slot");
  await publishTask(services, { ...task, status: "QUEUED", progress: 0 }, { queuePosition, newEvents: true });
}

/** remixVideo: a new task from a COMPLETED one of the same user, on that task's channel and key. */
export async function remixVideo(
  services: Services,
  user: CurrentUser,
  input: { originalId: string; prompt: string; idempotencyKey?: string | null } & Pick<CreateVideoInput, "webhookUrl" | "webhookEvents">,
) {
  const { db, config } = services;
  const replay = await findIdempotent(services, user, input.idempotencyKey);
  if (replay) return replay;
  const original = await db.task.findFirst({ where: { id: input.originalId, userId: user.id }, include: { channel: true } });
  if (!original) throw notFound("No such task");
  if (original.status !== "COMPLETED" || !original.upstreamId) {
    throw new ReelayError(ErrorCode.CONFLICT, `Only a COMPLETED task can be remixed; this one is ${original.status}`);
  }
  const { channel } = original;
  const target = upstreamOf(original, services.channelKeys);
  if (!channel.enabled || !target?.upstream)
    throw new ReelayError(ErrorCode.NO_CHANNEL, `The channel "${channelDisplayName(channel.name)}" that made this video is not available`);
  const { adaptor, upstream: source } = target;
  if (!adaptor.remix) throw badInput(`${channel.provider} channels cannot remix videos`);
  const params = validateVideoParams(original.model, findModel(original.model), {
    prompt: input.prompt,
    seconds: original.seconds,
    size: original.size,
    aspectRatio: null,
    hasReference: false,
  });
  const webhook = await checkWebhook(input, config.allowPrivateNetworks);
  const inserted = await insertWithHold(services, user, {
    model: original.model,
    channel,
    params,
    mediaType: original.mediaType,
    idempotencyKey: input.idempotencyKey ?? null,
    remixedFromId: original.id,
    webhook,
  });
  if ("existing" in inserted) return inserted.existing;
  const taskId = inserted.id;
  services.logger.info({ taskId, userId: user.id, subject: user.subject, model: original.model, remixedFrom: original.id }, "task created");
  const note = submissionNote(services, { id: taskId, userId: user.id });
  await withLease(services, taskId, submitter(services), async () => {
    const remix = () => adaptor.remix!({ channel: target.channel, task: source, prompt: params.prompt });
    const outcome = await attempt(services, target.channel, config.submitAttempts, remix, note);
    await recordSubmission(services, taskId, original.model, target, outcome);
  });
  return taskId;
}

async function findIdempotent(services: Services, user: CurrentUser, key: string | null | undefined): Promise<string | null> {
  if (key === null || key === undefined) return null;
  if (key === "" || key.length > IDEMPOTENCY_KEY_LIMIT) throw badInput(`idempotencyKey must be 1 to ${IDEMPOTENCY_KEY_LIMIT} characters`);
  if (key.includes("\u0000")) throw badInput("idempotencyKey must not contain NUL characters", { field: "idempotencyKey" });
  const existing = await services.db.task.findUnique({
    where: { userId_idempotencyKey: { userId: user.id, idempotencyKey: key } },
    select: { id: true },
  });
  return existing?.id ?? null;
}

/**
 * The lease an instance holds on a task while it submits it. The row and its hold are
 * written before the provider is called, so a crash in between leaves a task the user
 * can see; if the submitter dies, its lease lapses and a worker fails the task with the
 * hold released (README, "The create window").
 */
export const submitter = (services: Services): Lease => ({ owner: `submit:${services.instanceId}`, ms: services.config.leaseMs });

/**
 * How a new task takes a slot on its channel: at once when one is free, else by waiting in the
 * channel's queue (or refused, when the channel says so: whenFull REFUSE).
 */
interface SlotRequest {
  request: SubmitRequest;
  /** the user named the channel: no failover */
  pinned: boolean;
}

/**
 * The task row and its hold, in one transaction: there is never a hold without a task or a task
 * without a hold. With `slot`, the channel's free slots are counted under its slot lock in the same
 * transaction: a task that finds none is written waiting in the channel's queue, with its request.
 */
async function insertWithHold(
  services: Services,
  user: CurrentUser,
  task: {
    model: string;
    channel: Channel;
    params: VideoParams;
    mediaType: MediaKind;
    idempotencyKey: string | null;
    remixedFromId: string | null;
    webhook: { url: string | null; events: WebhookEvent[] };
    /** the user's cancelAfter, in ms; none when unset */
    cancelAfterMs?: number | null;
    slot?: SlotRequest;
  },
): Promise<{ id: string; waiting: boolean } | { existing: string }> {
  const { db, config } = services;
  const { price, amount } = await quoteHold(db, task.model, task.params);
  try {
    return await db.$transaction(async (tx) => {
      // deleteChannel locks the row while it counts the channel's running tasks: this waits
      // for a delete under way and then sees it, so no task starts on a deleted channel
      const live = await tx.$queryRaw<
        unknown[]
      >`SELECT 1 FROM channels WHERE id = ${task.channel.id}::uuid AND "deletedAt" IS NULL FOR KEY SHARE`;
      if (live.length === 0) throw new ReelayError(ErrorCode.NO_CHANNEL, `The channel "${task.channel.name}" was just deleted; try again`);
      // counted again under the slot lock: routing's count was a read without it
      const waiting = task.slot ? !(await slotFree(tx, task.channel)) : false;
      if (waiting && task.channel.whenFull === "REFUSE") throw channelFull(task.channel);
      const row = await tx.task.create({
        data: {
          userId: user.id,
          channelId: task.channel.id,
          provider: task.channel.provider,
          model: task.model,
          mediaType: task.mediaType,
          prompt: task.params.prompt,
          seconds: task.params.seconds,
          size: task.params.size,
          aspectRatio: task.params.aspectRatio,
          idempotencyKey: task.idempotencyKey,
          remixedFromId: task.remixedFromId,
          webhookUrl: task.webhook.url,
          webhookEvents: task.webhook.events,
          holdAmount: amount,
          priceUnit: price.unit,
          unitPrice: price.price,
          // the user's deadline cancels, the server's timeout fails: whichever comes first
          cancelAt: task.cancelAfterMs ? fromNow(services.clock, task.cancelAfterMs) : null,
          deadlineAt: fromNow(services.clock, Math.min(config.taskTimeoutMs, task.cancelAfterMs ?? Number.POSITIVE_INFINITY)),
          ...(waiting && task.slot
            ? { waitingSince: fromNow(services.clock), upstreamState: waitState(task.slot.request, task.slot.pinned) }
            : leasedTo(submitter(services), services.clock)),
        },
        select: { id: true },
      });
      await hold(tx, user.id, row.id, amount);
      await enforceActiveTaskLimit(tx, config, user.id);
      const created = `Created; ${formatMoney(amount)} held at ${formatMoney(price.price)} per ${unitName(price.unit)}`;
      await recordTaskEvent(tx, row.id, "CREATED", created, { held: formatMoney(amount) }, { at: fromNow(services.clock) });
      if (waiting) {
        const message = `Every channel that could take it is at its limit of running tasks: waiting for a slot on "${task.channel.name}"`;
        await recordTaskEvent(tx, row.id, "QUEUED_FOR_SLOT", message, { channel: task.channel.name }, { at: fromNow(services.clock) });
      }
      return { id: row.id, waiting };
    });
  } catch (err) {
    // Two requests with one idempotency key raced: the loser returns the winner's task.
    if (isPrismaError(err, PrismaErrorCode.UNIQUE_VIOLATION) && task.idempotencyKey) {
      const existing = await findIdempotent(services, user, task.idempotencyKey);
      if (existing) return { existing };
    }
    throw err;
  }
}

type Outcome = { ok: true; result: SubmitResult } | { ok: false; error: unknown };

/** Adds an entry to the event log of a task being submitted. */
type SubmissionNote = (kind: TaskEventKind, message: string, data?: object) => Promise<void>;

/**
 * The event log of a task being submitted: its state does not change while it is retried or
 * failed over, so each entry is published as new events (a few per task at most).
 */
const submissionNote =
  (services: Services, task: { id: string; userId: string }): SubmissionNote =>
  async (kind, message, data) => {
    if (await noteTaskEvent(services, task.id, kind, message, data))
      await publishTask(services, { ...task, status: "QUEUED", progress: 0 }, { newEvents: true });
  };

/** One channel's try at a submission: 429s and 5xx are retried with backoff, up to `attempts` calls. */
async function attempt(
  services: Services,
  channel: Pick<Channel, "id" | "name">,
  attempts: number,
  call: () => Promise<SubmitResult>,
  note?: SubmissionNote,
): Promise<Outcome> {
  try {
    const result = await withRetries(attempts, services.config.submitBackoffMs, call, (err, waitMs, tries) =>
      note?.(
        "RETRIED",
        `Channel "${channelDisplayName(channel.name)}" answered with ${upstreamReason(err)}; retrying in ${(waitMs / 1000).toFixed(1)} s (attempt ${tries + 1} of ${attempts})`,
        { channel: channelDisplayName(channel.name), attempt: tries + 1 },
      ),
    );
    await recordChannelSuccess(services.db, channel.id);
    return { ok: true, result };
  } catch (error) {
    services.metrics.upstreamErrors.inc({
      channel: channel.name,
      operation: "submit",
      code: error instanceof UpstreamError ? error.code : "UNEXPECTED",
    });
    // Timeouts, 5xx, 429s and refused keys are the channel's trouble; a refused request is not.
    if (!(error instanceof UpstreamError) || error.kind !== "rejected") {
      const opened = await recordChannelFailure(services, channel.id, error as Error);
      if (opened)
        services.logger.warn({ channel: channel.name, err: String(error) }, "channel taken out of rotation after repeated failures");
    }
    return { ok: false, error };
  }
}

/**
 * Submits to the routed channels in order. A timeout, 5xx, 429 or a channel that cannot
 * serve (key, quota) fails over to the next channel at once, and the last one gets the
 * full retries; a request the provider refuses (content, bad input) does not fail over.
 * The task row follows the channel that accepted it.
 */
async function submitWithFailover(services: Services, taskId: string, channels: Channel[], request: SubmitRequest, note: SubmissionNote) {
  const { db, config, logger } = services;
  let outcome: Outcome = { ok: false, error: new Error("no channel was tried") };
  let channel = channels[0];
  let tried: TaskUpstream | null = null;
  for (const [index, candidate] of channels.entries()) {
    const target = upstreamOf({ provider: candidate.provider, model: request.model, channel: candidate }, services.channelKeys);
    if (!target || target.adaptor.stream) continue; // a streamed generation cannot be a failover target
    if (candidate.id !== channel.id) {
      // the failover channel's slot is counted and taken like a new task's
      const moved = await moveToChannel(db, taskId, candidate);
      if (moved === "gone") return; // cancelled meanwhile
      if (moved === "full") continue;
      logger.info({ taskId, from: channel.name, to: candidate.name }, "failing over to the next channel");
      const [from, to] = [channelDisplayName(channel.name), channelDisplayName(candidate.name)];
      const reason = outcome.ok ? "" : ` after ${upstreamReason(outcome.error)}`;
      await note("FAILED_OVER", `Failed over from channel "${from}"${reason} to channel "${to}"`, { from, to });
    }
    channel = candidate;
    tried = target;
    const last = index === channels.length - 1;
    outcome = await attempt(
      services,
      candidate,
      last ? config.submitAttempts : 1,
      () =>
        target.adaptor.submit({
          channel: target.channel,
          request,
          callbackUrl: services.callbacks.urlFor(candidate.provider, taskId) ?? undefined,
        }),
      note,
    );
    if (outcome.ok || (outcome.error instanceof UpstreamError && (outcome.error.kind === "rejected" || outcome.error.kind === "not_found")))
      break;
  }
  await recordSubmission(services, taskId, request.model, tried, outcome);
}

/**
 * Records what the provider answered on the channel last tried: the upstream id of an
 * accepted job, handed over to the workers, or the task FAILED with its hold released.
 */
async function recordSubmission(
  services: Services,
  taskId: string,
  model: string,
  tried: Pick<TaskUpstream, "adaptor" | "channel"> | null,
  outcome: Outcome,
) {
  const { config, db, logger } = services;
  if (!outcome.ok) {
    const err = outcome.error;
    const channel = tried?.channel.name;
    if (!(err instanceof UpstreamError)) logger.error({ err, taskId, channel }, "submission failed unexpectedly");
    else logger.warn({ taskId, channel, kind: err.kind, code: err.code }, "provider refused the submission");
    await endTask(services, taskId, "FAILED", upstreamFailure(err, "submit"));
    return;
  }
  const { result } = outcome;
  const done = result.snapshot.status === "COMPLETED" || result.snapshot.status === "FAILED";
  const handedOver = await handOver(db, taskId, {
    upstreamId: result.upstreamId,
    upstreamState: jsonValue(result.state),
    // A job that finished within the call is picked up by the worker at once.
    nextPollAt: fromNow(services.clock, done ? 0 : config.pollIntervalMs),
    submittedAt: fromNow(services.clock),
  });
  if (!handedOver) {
    // Cancelled while the provider was answering: stop the job we just started.
    await tried?.adaptor
      .cancel?.({ channel: tried.channel, task: { upstreamId: result.upstreamId, state: result.state, model } })
      .catch((err) => logger.warn({ err, taskId }, "could not cancel upstream"));
    return;
  }
  const task = await db.task.findUniqueOrThrow({
    where: { id: taskId },
    select: { id: true, userId: true, status: true, progress: true, webhookUrl: true },
  });
  logger.info({ taskId, userId: task.userId, channel: tried?.channel.name, upstreamId: result.upstreamId }, "task submitted");
  const channel = channelDisplayName(tried?.channel.name ?? "");
  await noteTaskEvent(services, taskId, "SUBMITTED", `Submitted to channel "${channel}"`, { channel });
  const { status, progress } = result.snapshot;
  if (status === "QUEUED" || status === "PROCESSING") {
    if (!(await recordProgress(services, task, { status, progress }))) await publishTask(services, task, { newEvents: true });
  } else {
    await publishTask(services, task, { newEvents: true });
  }
}

async function withRetries<T>(
  attempts: number,
  backoffMs: number,
  fn: () => Promise<T>,
  onRetry?: (err: UpstreamError, waitMs: number, tries: number) => Promise<void> | undefined,
): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof UpstreamError) || !err.retryable || tries >= attempts) throw err;
      const exponential = backoffMs * 2 ** (tries - 1);
      const wait = Math.min(MAX_SUBMIT_WAIT_MS, Math.max(exponential, err.options.retryAfterMs ?? 0));
      const jittered = wait * (0.8 + Math.random() * 0.4); // jitter, so retries of many clients spread out
      await onRetry?.(err, jittered, tries);
      await sleep(jittered);
    }
  }
}

export type { Task };
