import { circuitState } from "../channels/health.js";
import { runningTasksByChannel } from "../channels/running.js";
import { fromNow } from "../clock.js";
import type { Services } from "../context.js";
import type { Db } from "../db/index.js";
import { ErrorCode, ReelayError } from "../errors.js";
import type { Channel } from "../generated/prisma/client.js";
import { STORED_ERROR_LENGTH } from "../limits.js";
import type { UpstreamError } from "../providers/errors.js";
import { adaptorFor } from "../providers/index.js";

/** Where a new task goes. */
export interface Route {
  /**
   * The channels to submit to, in the order to try them. When `wait` is set, only the one
   * whose queue the task joins.
   */
  channels: Channel[];
  /** every channel that could take the task is at its limit, and the first one queues (whenFull QUEUE) */
  wait: boolean;
}

/**
 * The channels a new task may be submitted to, in the order to try them: the one named
 * (no failover), or every enabled channel that lists the model and whose provider Reelay
 * speaks, highest priority first, spread by weight within a priority. Channels at their
 * concurrency limit and channels whose circuit is open are left out; a channel whose
 * cool-down has passed is let through for a single trial. When every channel is at its
 * limit the task waits for the first of them that queues; when none queues, RATE_LIMITED.
 */
export async function routeChannels(
  services: Pick<Services, "db" | "config" | "clock">,
  model: string,
  pinned: string | null | undefined,
  random = Math.random,
): Promise<Route> {
  const { db, config } = services;
  if (pinned) {
    const channel = await db.channel.findUnique({ where: { name: pinned } });
    if (!channel?.enabled || channel.deletedAt || !channel.models.includes(model) || !adaptorFor(channel.provider)) {
      throw new ReelayError(ErrorCode.NO_CHANNEL, `No enabled channel named "${pinned}" serves ${model}`);
    }
    if (!atCapacity(channel, await runningOnLimited(db, [channel]))) return { channels: [channel], wait: false };
    if (channel.whenFull === "REFUSE") throw channelFull(channel);
    return { channels: [channel], wait: true };
  }
  const serving = (await db.channel.findMany({ where: { enabled: true, deletedAt: null, models: { has: model } } })).filter((c) =>
    adaptorFor(c.provider),
  );
  if (serving.length === 0) throw new ReelayError(ErrorCode.NO_CHANNEL, `No enabled channel serves the model "${model}"`);

  const now = services.clock.now();
  const running = await runningOnLimited(db, serving);
  const candidates: Channel[] = [];
  /** full channels that queue and are in rotation: one of them takes the task when none has room */
  const queues: Channel[] = [];
  let full = 0;
  for (const channel of serving) {
    const circuit = circuitState(channel, config.circuitFailureThreshold, now);
    if (atCapacity(channel, running)) {
      full++;
      if (channel.whenFull === "QUEUE" && circuit !== "OPEN") queues.push(channel);
      continue;
    }
    if (circuit === "OPEN") continue;
    if (circuit === "HALF_OPEN" && !(await claimTrial(services, channel))) continue;
    candidates.push(channel);
  }
  if (candidates.length > 0) return { channels: order(candidates, random), wait: false };
  if (queues.length > 0) return { channels: order(queues, random).slice(0, 1), wait: true };
  if (full > 0)
    throw new ReelayError(ErrorCode.RATE_LIMITED, `Every channel for ${model} is at its limit of running tasks; try again shortly`);
  throw new ReelayError(ErrorCode.UPSTREAM_ERROR, `Every channel for ${model} is failing and out of rotation for now; try again shortly`);
}

/** A channel at its limit that refuses new tasks (whenFull REFUSE). */
export const channelFull = (channel: Pick<Channel, "name" | "maxConcurrency">) =>
  new ReelayError(ErrorCode.RATE_LIMITED, `The channel "${channel.name}" is at its limit of ${channel.maxConcurrency} running tasks`);

/**
 * Highest priority first; within a priority, a weighted random order (Efraimidis–Spirakis:
 * sort by u^(1/weight)), so each channel comes first in proportion to its weight and the
 * rest follow as failover in the same proportions.
 */
export function order(channels: Channel[], random = Math.random): Channel[] {
  const keyed = channels.map((c) => ({ c, key: random() ** (1 / Math.max(1, c.weight)) }));
  keyed.sort((a, b) => b.c.priority - a.c.priority || b.key - a.key);
  return keyed.map((k) => k.c);
}

/**
 * Tasks that hold or wait for a slot on each channel that has a limit: one grouped query however
 * many there are, none when no channel has a limit. Tasks waiting for a channel count, so a new
 * task never passes them.
 */
function runningOnLimited(db: Db, channels: Channel[]) {
  return runningTasksByChannel(
    db,
    channels.filter((c) => c.maxConcurrency !== null).map((c) => c.id),
    { withWaiting: true },
  );
}

function atCapacity(channel: Channel, running: Map<string, number>) {
  return channel.maxConcurrency !== null && (running.get(channel.id) ?? 0) >= channel.maxConcurrency;
}

/** Half-open: only the submission that pushes the cool-down forward gets to try the channel. */
async function claimTrial({ db, config, clock }: Pick<Services, "db" | "config" | "clock">, channel: Channel) {
  const { count } = await db.channel.updateMany({
    where: { id: channel.id, OR: [{ circuitOpenUntil: null }, { circuitOpenUntil: { lte: fromNow(clock) } }] },
    data: { circuitOpenUntil: fromNow(clock, config.circuitCooldownMs) },
  });
  return count === 1;
}

/** A submission on this channel failed for the channel's own reasons (not the request's). */
export async function recordChannelFailure(
  { db, config, clock }: Pick<Services, "db" | "config" | "clock">,
  channelId: string,
  err: UpstreamError | Error,
) {
  const code = "code" in err && err.code ? `${err.code}: ` : "";
  const message = `${code}${err.message}`.slice(0, STORED_ERROR_LENGTH);
  const channel = await db.channel.update({
    where: { id: channelId },
    data: { consecutiveFailures: { increment: 1 }, lastError: message, lastErrorAt: fromNow(clock) },
    select: { consecutiveFailures: true },
  });
  if (channel.consecutiveFailures >= config.circuitFailureThreshold) {
    await db.channel.update({ where: { id: channelId }, data: { circuitOpenUntil: fromNow(clock, config.circuitCooldownMs) } });
    return true;
  }
  return false;
}

/** A submission on this channel succeeded: its circuit closes. */
export async function recordChannelSuccess(db: Db, channelId: string) {
  await db.channel.updateMany({
    where: { id: channelId, OR: [{ consecutiveFailures: { gt: 0 } }, { circuitOpenUntil: { not: null } }] },
    data: { consecutiveFailures: 0, circuitOpenUntil: null },
  });
}
