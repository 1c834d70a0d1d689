import type { Db, Prisma } from "../db/index.js";
import { isPrismaError, notFound, PrismaErrorCode } from "../errors.js";
import { type ChannelInput, parseChannelInput } from "./input.js";

/** The columns a GraphQL selection asks for (plugin-prisma's `query`). */
export interface ChannelQuery {
  select?: Prisma.ChannelSelect;
  include?: Prisma.ChannelInclude;
}

/** Creates the channel with that name, or updates it: the admin's input, checked first. */
export function upsertChannel(db: Db, input: ChannelInput, query: ChannelQuery = {}) {
  const { name, data } = parseChannelInput(input);
  return db.channel.upsert({ ...query, where: { name }, create: { name, ...data }, update: data });
}

/** Puts a channel back into rotation at once and clears its failure count; NOT_FOUND for an unknown name. */
export async function resetChannelHealth(db: Db, name: string, query: ChannelQuery = {}) {
  try {
    return await db.channel.update({ ...query, where: { name }, data: { consecutiveFailures: 0, circuitOpenUntil: null } });
  } catch (err) {
    if (isPrismaError(err, PrismaErrorCode.RECORD_NOT_FOUND)) throw notFound(`No channel named "${name}"`);
    throw err;
  }
}
