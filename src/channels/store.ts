import { type AuditActor, type AuditSnapshot, recordAudit } from "../audit.js";
import type { Db, Prisma } from "../db/index.js";
import { ErrorCode, isPrismaError, notFound, PrismaErrorCode, ReelayError } from "../errors.js";
import type { Channel } from "../generated/prisma/client.js";
import { RUNNING_STATUSES } from "../tasks/status.js";
import { type ChannelData, type ChannelInput, type ChannelPatch, maskKey, parseChannelInput, parseChannelPatch } from "./input.js";
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

/**
 * Changes only the fields the patch gives, each checked as upsertChannel checks it; the stored
 * key is kept as it is (still sealed, never opened) unless a new one is given, which is sealed
 * under the current ENCRYPTION_KEY. NOT_FOUND for an unknown name, CONFLICT when a rename takes
 * another channel's name.
 */
export async function updateChannel(db: Db, name: string, patch: ChannelPatch, { keys, actor, query = {} }: ChannelChange) {
  const { apiKey, ...fields } = parseChannelPatch(patch);
  const data = apiKey === undefined ? fields : { ...fields, apiKey: keys.seal(apiKey) };
  try {
    return await db.$transaction(async (tx) => {
      const before = await tx.channel.findUnique({ where: { name } });
      if (!before || before.deletedAt) throw channelNotFound(name);
      const channel = await tx.channel.update({ ...query, where: { name }, data });
      const beforeHint = channelKeyHint(before.apiKey, keys);
      await recordAudit(tx, {
        action: "CHANNEL_UPDATED",
        actor,
        targetType: "channel",
        target: fields.name ?? name,
        before: { name, ...channelSnapshot(before, beforeHint) },
        after: {
          name: fields.name ?? name,
          ...channelSnapshot({ ...before, ...fields }, apiKey === undefined ? beforeHint : maskKey(apiKey)),
        },
      });
      return channel;
    });
  } catch (err) {
    if (isPrismaError(err, PrismaErrorCode.UNIQUE_VIOLATION))
      throw new ReelayError(ErrorCode.CONFLICT, `A channel named "${fields.name}" already exists`, { field: "name" });
    throw err;
  }
}

/**
 * Deletes a channel softly: it leaves the channel list and routing, its name is free for a new
 * channel, and the row stays, so its finished tasks keep their history, media and remixes.
 * Refused with CONFLICT while tasks run on it. The row is locked before the running tasks are
 * counted: a task being created on it holds the row (its foreign key) until it commits, so the
 * count sees it, and no new task can take the row until the delete commits.
 */
export async function deleteChannel(db: Db, name: string, { keys, actor }: Omit<ChannelChange, "query">) {
  return db.$transaction(async (tx) => {
    const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM channels WHERE name = ${name} AND "deletedAt" IS NULL FOR UPDATE`;
    if (locked.length === 0) throw channelNotFound(name);
    const id = locked[0].id;
    const running = await tx.task.count({ where: { channelId: id, status: { in: [...RUNNING_STATUSES] } } });
    if (running > 0) {
      throw new ReelayError(
        ErrorCode.CONFLICT,
        `The channel "${name}" has ${running} running task(s): disable it (updateChannel with enabled: false) and delete it once they finish`,
        { runningTasks: running },
      );
    }
    const before = await tx.channel.findUniqueOrThrow({ where: { id } });
    await tx.channel.update({
      where: { id },
      data: { deletedAt: new Date(), enabled: false, name: `${name}${DELETED_MARK}${id.slice(0, 8)}` },
    });
    await recordAudit(tx, {
      action: "CHANNEL_DELETED",
      actor,
      targetType: "channel",
      target: name,
      before: channelSnapshot(before, channelKeyHint(before.apiKey, keys)),
      after: null,
    });
    return true;
  });
}

/** What a deleted channel's name carries after its own: no live name can contain it ('~' is not allowed in names). */
const DELETED_MARK = "~deleted~";

/** The name a channel was known by, a deleted one's included: what its tasks show. */
export function channelDisplayName(storedName: string): string {
  const mark = storedName.indexOf(DELETED_MARK);
  return mark === -1 ? storedName : storedName.slice(0, mark);
}

const channelNotFound = (name: string) => notFound(`No channel named "${name}"`);

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
    pollsPerSecond: channel.pollsPerSecond,
    whenFull: channel.whenFull,
    apiKeyHint,
  };
}
