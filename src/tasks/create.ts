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
import { type TaskUpstream, upstreamOf } from "../providers/channel.js";
import { UpstreamError } from "../providers/errors.js";
import type { MediaKind, SubmitRequest, SubmitResult } from "../providers/types.js";
import { checkCreateAllowance, enforceActiveTaskLimit } from "../rate-limits/active-tasks.js";
import type { WebhookEvent } from "../webhooks/events.js";
import { checkWebhook } from "../webhooks/url.js";
import { upstreamFailure } from "./failure.js";
import { jsonValue } from "./json-column.js";
import { endTask, publishTask, recordProgress } from "./lifecycle.js";
import { handOver, type Lease, leasedTo, withLease } from "./queue.js";
import { recordChannelFailure, recordChannelSuccess, routeChannels } from "./routing.js";
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
}

/** longest delay honoured from a provider's Retry-After while the client waits */
const MAX_SUBMIT_WAIT_MS = 10_000;
const IDEMPOTENCY_KEY_LIMIT = 200; // characters

/**
 * createVideo: validate, price, hold, submit. Everything that can be refused is checked
 * before the hold; once the task row exists it always ends in a state the user can see,
 * and a provider's refusal costs nothing. Returns the task id.
 */
export async function createVideo(services: Services, user: CurrentUser, input: CreateVideoInput): Promise<string> {
  const { db, config, clock } = services;
  // PostgreSQL text cannot hold NUL: a name with one is malformed input, not an internal error
  for (const field of ["model", "channel"] as const) {
    if (input[field]?.includes("\u0000")) throw badInput(`${field} must not contain NUL characters`, { field });
  }
  const replay = await findIdempotent(services, user, input.idempotencyKey);
  if (replay) return replay;

  const spec = findModel(input.model);
  const hasReference = Boolean(input.inputReference || input.inputReferenceUrl);
  const params = validateVideoParams(input.model, spec, { ...input, hasReference });
  const webhook = await checkWebhook(input, config.allowPrivateNetworks);
  const channels = await routeChannels(services, input.model, input.channel);
  const [channel] = channels;
  if (hasReference) await checkCreateAllowance(services, user, { model: input.model, params });
  const reference = await readReferenceImage(
    { file: input.inputReference, url: input.inputReferenceUrl },
    { maxBytes: config.maxReferenceImageBytes, fetch: { allowPrivateAddresses: config.allowPrivateNetworks, ...services.referenceFetch } },
  );

  const taskId = await insertWithHold(services, user, {
    model: input.model,
    channel,
    params,
    mediaType: spec?.mediaType ?? "VIDEO",
    idempotencyKey: input.idempotencyKey ?? null,
    remixedFromId: null,
    webhook,
  });
  if (typeof taskId !== "string") return taskId.existing;
  services.logger.info({ taskId, userId: user.id, subject: user.subject, model: input.model }, "task created");

  const request = {
    model: input.model,
    mediaType: spec?.mediaType ?? "VIDEO",
    prompt: params.prompt,
    seconds: params.seconds,
    size: params.size,
    aspectRatio: params.aspectRatio,
    reference,
  };
  if (upstreamOf({ provider: channel.provider, model: input.model, channel }, services.channelKeys)?.adaptor.stream) {
    // A streamed generation lives as long as its connection: a worker opens it, not this request.
    await handOver(db, taskId, { upstreamId: `stream:${taskId}`, upstreamState: streamState(request), nextPollAt: fromNow(clock) });
    // A worker opens the stream; the task is on its channel from here.
    services.logger.info({ taskId, userId: user.id, subject: user.subject, channel: channel.name, streamed: true }, "task submitted");
    return taskId;
  }
  await withLease(services, taskId, submitter(services), () => submitWithFailover(services, taskId, channels, request));
  return taskId;
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
  const taskId = await insertWithHold(services, user, {
    model: original.model,
    channel,
    params,
    mediaType: original.mediaType,
    idempotencyKey: input.idempotencyKey ?? null,
    remixedFromId: original.id,
    webhook,
  });
  if (typeof taskId !== "string") return taskId.existing;
  services.logger.info({ taskId, userId: user.id, subject: user.subject, model: original.model, remixedFrom: original.id }, "task created");
  await withLease(services, taskId, submitter(services), async () => {
    const outcome = await attempt(services, target.channel, config.submitAttempts, () =>
      adaptor.remix!({ channel: target.channel, task: source, prompt: params.prompt }),
    );
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
const submitter = (services: Services): Lease => ({ owner: `submit:${services.instanceId}`, ms: services.config.leaseMs });

/** The task row and its hold, in one transaction: there is never a hold without a task or a task without a hold. */
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
  },
): Promise<string | { existing: string }> {
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
          deadlineAt: fromNow(services.clock, config.taskTimeoutMs),
          ...leasedTo(submitter(services), services.clock),
        },
        select: { id: true },
      });
      await hold(tx, user.id, row.id, amount);
      await enforceActiveTaskLimit(tx, config, user.id);
      return row.id;
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

/** One channel's try at a submission: 429s and 5xx are retried with backoff, up to `attempts` calls. */
async function attempt(
  services: Services,
  channel: Pick<Channel, "id" | "name">,
  attempts: number,
  call: () => Promise<SubmitResult>,
): Promise<Outcome> {
  try {
    const result = await withRetries(attempts, services.config.submitBackoffMs, call);
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
async function submitWithFailover(services: Services, taskId: string, channels: Channel[], request: SubmitRequest) {
  const { db, config, logger } = services;
  let outcome: Outcome = { ok: false, error: new Error("no channel was tried") };
  let channel = channels[0];
  let tried: TaskUpstream | null = null;
  for (const [index, candidate] of channels.entries()) {
    const target = upstreamOf({ provider: candidate.provider, model: request.model, channel: candidate }, services.channelKeys);
    if (!target || target.adaptor.stream) continue; // a streamed generation cannot be a failover target
    if (candidate.id !== channel.id) {
      const { count } = await db.task.updateMany({
        where: { id: taskId, status: "QUEUED", upstreamId: null },
        data: { channelId: candidate.id, provider: candidate.provider },
      });
      if (count === 0) return; // cancelled meanwhile
      logger.info({ taskId, from: channel.name, to: candidate.name }, "failing over to the next channel");
    }
    channel = candidate;
    tried = target;
    const last = index === channels.length - 1;
    outcome = await attempt(services, candidate, last ? config.submitAttempts : 1, () =>
      target.adaptor.submit({ channel: target.channel, request }),
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
  const { status, progress } = result.snapshot;
  if (status === "QUEUED" || status === "PROCESSING") {
    if (!(await recordProgress(services, task, { status, progress }))) await publishTask(services, task);
  } else {
    await publishTask(services, task);
  }
}

async function withRetries<T>(attempts: number, backoffMs: number, fn: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof UpstreamError) || !err.retryable || tries >= attempts) throw err;
      const exponential = backoffMs * 2 ** (tries - 1);
      const wait = Math.min(MAX_SUBMIT_WAIT_MS, Math.max(exponential, err.options.retryAfterMs ?? 0));
      await sleep(wait * (0.8 + Math.random() * 0.4)); // jitter, so retries of many clients spread out
    }
  }
}

export type { Task };
