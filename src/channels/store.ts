import { type AuditActor, type AuditSnapshot, recordAudit } from "../audit.js";
import type { Db, Prisma } from "../db/index.js";
import { isPrismaError, notFound, PrismaErrorCode } from "../errors.js";
import type { Channel } from "../generated/prisma/client.js";
import { type ChannelData, type ChannelInput, maskKey, parseChannelInput } from "./input.js";

/** The columns a GraphQL selection asks for (plugin-prisma's `query`). */
export interface ChannelQuery {
  select?: Prisma.ChannelSelect;
  include?: Prisma.ChannelInclude;
}

/** What an admin's change to a channel needs besides its input. */
export interface ChannelChange {
  /** the admin making the change, for the audit log */
  actor: AuditActor;
  query?: ChannelQuery;
}

/**
 * Creates the channel with that name, or updates it: the admin's input, checked first. The
 * audit row, written in the same transaction, shows the key only as its masked hint.
 */
export function upsertChannel(db: Db, input: ChannelInput, { actor, query = {} }: ChannelChange) {
  const { name, data } = parseChannelInput(input);
  return db.$transaction(async (tx) => {
    const before = await tx.channel.findUnique({ where: { name } });
    const channel = await tx.channel.upsert({ ...query, where: { name }, create: { name, ...data }, update: data });
    await recordAudit(tx, {
      action: before ? "CHANNEL_UPDATED" : "CHANNEL_CREATED",
      actor,
      targetType: "channel",
      target: name,
      before: before && channelSnapshot(before, maskKey(before.apiKey)),
      after: channelSnapshot(data, maskKey(data.apiKey)),
    });
    return channel;
  });
}

/** Puts a channel back into rotation at once and clears its failure count; NOT_FOUND for an unknown name. */
export async function resetChannelHealth(db: Db, name: string, { actor, query = {} }: ChannelChange) {
  const notFoundError = () => notFound(`No channel named "${name}"`);
  try {
    return await db.$transaction(async (tx) => {
      const before = await tx.channel.findUnique({ where: { name }, select: { consecutiveFailures: true, circuitOpenUntil: true } });
      if (!before) throw notFoundError();
      const healthy = { consecutiveFailures: 0, circuitOpenUntil: null };
      const channel = await tx.channel.update({ ...query, where: { name }, data: healthy });
      await recordAudit(tx, {
        action: "CHANNEL_HEALTH_RESET",
        actor,
        targetType: "channel",
        target: name,
        before: { consecutiveFailures: before.consecutiveFailures, circuitOpenUntil: before.circuitOpenUntil?.toISOString() ?? null },
        after: healthy,
      });
      return channel;
    });
  } catch (err) {
    if (isPrismaError(err, PrismaErrorCode.RECORD_NOT_FOUND)) throw notFoundError();
    throw err;
  }
}

/** A channel's settings as the audit log keeps them: its key only as the masked hint. */
function channelSnapshot(channel: Omit<ChannelData, "apiKey"> | Channel, apiKeyHint: string): AuditSnapshot {
  return {
    provider: channel.provider,
    baseUrl: channel.baseUrl,
    models: channel.models,
    enabled: channel.enabled,
    priority: channel.priority,
    weight: channel.weight,
    maxConcurrency: channel.maxConcurrency,
    apiKeyHint,
  };
}
