import { type AuditActor, type AuditSnapshot, recordAudit } from "../audit.js";
import type { Db, Prisma } from "../db/index.js";
import { isPrismaError, notFound, PrismaErrorCode } from "../errors.js";
import type { Channel } from "../generated/prisma/client.js";
import { type ChannelData, type ChannelInput, maskKey, parseChannelInput } from "./input.js";
import type { ChannelKeys } from "./secret-box.js";

/** The columns a GraphQL selection asks for (plugin-prisma's `query`). */
export interface ChannelQuery {
  select?: Prisma.ChannelSelect;
  include?: Prisma.ChannelInclude;
}

/** What an admin's change to a channel needs besides its input. */
export interface ChannelChange {
  /** seals the channel key before it is stored, and opens the old one for the audit's hint */
  keys: ChannelKeys;
  /** the admin making the change, for the audit log */
  actor: AuditActor;
  query?: ChannelQuery;
}

/**
 * Creates the channel with that name, or updates it: the admin's input, checked first. The
 * key is stored sealed under the current ENCRYPTION_KEY; the audit row, written in the same
 * transaction, shows it only as its masked hint.
 */
export function upsertChannel(db: Db, input: ChannelInput, { keys, actor, query = {} }: ChannelChange) {
  const { name, data } = parseChannelInput(input);
  const stored = { ...data, apiKey: keys.seal(data.apiKey) };
  return db.$transaction(async (tx) => {
    const before = await tx.channel.findUnique({ where: { name } });
    const channel = await tx.channel.upsert({ ...query, where: { name }, create: { name, ...stored }, update: stored });
    await recordAudit(tx, {
      action: before ? "CHANNEL_UPDATED" : "CHANNEL_CREATED",
      actor,
      targetType: "channel",
      target: name,
      before: before && channelSnapshot(before, channelKeyHint(before.apiKey, keys)),
      after: channelSnapshot(data, maskKey(data.apiKey)),
    });
    return channel;
  });
}

/** Puts a channel back into rotation at once and clears its failure count; NOT_FOUND for an unknown name. */
export async function resetChannelHealth(db: Db, name: string, { actor, query = {} }: Omit<ChannelChange, "keys">) {
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

/**
 * What an admin sees of a stored channel key: its masked hint. A key sealed under a key this
 * instance no longer has shows as such instead of failing the whole channel listing.
 */
export function channelKeyHint(stored: string, keys: ChannelKeys): string {
  try {
    return maskKey(keys.open(stored));
  } catch {
    return "(sealed under an unknown ENCRYPTION_KEY)";
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
