import type { Services } from "../context.js";
import type { Db } from "../db/index.js";
import { type Channel, Prisma } from "../generated/prisma/client.js";
import type { SubmitRequest } from "../providers/types.js";
import { publishTask } from "./lifecycle.js";
import { type Lease, sqlTime } from "./queue.js";
import { RUNNING_SQL } from "./status.js";
import { restoreRequest, type StoredRequest, storeRequest } from "./stream-state.js";

/**
 * A channel's slots: a channel with `maxConcurrency` runs at most that many tasks, and a task
 * that finds every channel for its model full waits in Reelay's queue for its channel: QUEUED,
 * its hold taken, `waitingSince` set and no upstream job. Everything that starts a task on a
 * limited channel (a create, a failover, the slot queue's claims) counts and takes the slot in
 * one transaction under the channel's slot lock, so no two instances pass the limit together.
 * Waiting tasks are submitted in order of creation (createdAt, id) as slots free.
 */

/** positions published when a channel's queue moves: the tasks behind these read theirs on their next read */
const POSITION_UPDATES_LIMIT = 100;

/** A waiting task as a condition on `tasks` (or an alias of it); the partial index tasks_waiting_idx matches it. */
const waiting = (alias = "tasks") => Prisma.raw(`${alias}."waitingSince" IS NOT NULL AND ${alias}.status = 'QUEUED'`);

/**
 * What a waiting task keeps in its upstreamState column until it is submitted: the request,
 * and whether the user named the channel (then there is no failover).
 */
export type WaitState = { waiting: true; pinned: boolean; request: StoredRequest };

export const waitState = (request: SubmitRequest, pinned: boolean): WaitState => ({
  waiting: true,
  pinned,
  request: storeRequest(request),
});

export const isWaitState = (state: unknown): state is WaitState =>
  typeof state === "object" && state !== null && "waiting" in state && state.waiting === true;

export const waitingRequest = (state: WaitState): SubmitRequest => restoreRequest(state.request);

/** Holds the channel's slot lock until the transaction ends: takers of its slots count one after another, on every instance. */
async function lockSlots(tx: Prisma.TransactionClient, channelId: string) {
  await tx.$queryRaw`SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtext(${`reelay:slots:${channelId}`}))) AS locked`;
}

/** Tasks holding a slot on the channel; `withWaiting` adds those waiting for one. */
async function slotsTaken(tx: Prisma.TransactionClient, channelId: string, withWaiting: boolean): Promise<number> {
  const submitted = withWaiting ? Prisma.empty : Prisma.sql`AND "waitingSince" IS NULL`;
  const [{ taken }] = await tx.$queryRaw<{ taken: number }[]>`
    SELECT count(*)::int AS taken FROM tasks WHERE "channelId" = ${channelId}::uuid AND status IN (${RUNNING_SQL}) ${submitted}`;
  return taken;
}

/**
 * Whether a task may start on the channel now: it has no limit, or it is under it counting the
 * tasks that wait for it, so a newcomer never passes them. Call it in the transaction that
 * writes the task to the channel: the slot lock it takes is held until that commits.
 */
export async function slotFree(tx: Prisma.TransactionClient, channel: Pick<Channel, "id" | "maxConcurrency">): Promise<boolean> {
  if (channel.maxConcurrency === null) return true;
  await lockSlots(tx, channel.id);
  return (await slotsTaken(tx, channel.id, true)) < channel.maxConcurrency;
}

/**
 * Moves a task whose submission is under way to a failover channel, if that channel has a free
 * slot. "gone" when the task no longer waits for its submission (it was cancelled meanwhile).
 */
export function moveToChannel(db: Db, taskId: string, channel: Channel): Promise<"moved" | "full" | "gone"> {
  return db.$transaction(async (tx) => {
    if (!(await slotFree(tx, channel))) return "full";
    const { count } = await tx.task.updateMany({
      where: { id: taskId, status: "QUEUED", upstreamId: null },
      data: { channelId: channel.id, provider: channel.provider },
    });
    return count === 0 ? "gone" : "moved";
  });
}

/** A waiting task the slot queue took out of its channel's queue, to be submitted under `lease`. */
export interface ClaimedWait {
  id: string;
  userId: string;
  /** what the task kept while it waited (a WaitState) */
  upstreamState: unknown;
}

/**
 * Takes, in order, as many of the channel's waiting tasks as it has free slots (at most
 * `limit`): each leaves the queue held under `lease`, its wait state cleared. The count and the
 * claim are one transaction under the slot lock. A task past its deadline is left to expire.
 */
export function claimWaiting(
  services: Pick<Services, "db" | "clock">,
  channelId: string,
  lease: Lease,
  limit: number,
): Promise<ClaimedWait[]> {
  const now = services.clock.now();
  return services.db.$transaction(async (tx) => {
    await lockSlots(tx, channelId);
    const [channel] = await tx.$queryRaw<{ maxConcurrency: number | null }[]>`
      SELECT "maxConcurrency" FROM channels WHERE id = ${channelId}::uuid AND enabled AND "deletedAt" IS NULL`;
    if (!channel) return []; // a disabled channel's tasks wait until it is enabled again, or until their deadline
    const free =
      channel.maxConcurrency === null ? limit : Math.min(limit, channel.maxConcurrency - (await slotsTaken(tx, channelId, false)));
    if (free <= 0) return [];
    // updatedAt is the machine's time, as Prisma's @updatedAt writes it elsewhere.
    return tx.$queryRaw<ClaimedWait[]>`
      WITH next AS (
        SELECT id, "upstreamState" AS state FROM tasks
        WHERE "channelId" = ${channelId}::uuid AND ${waiting()} AND "deadlineAt" > ${sqlTime(now)}
        ORDER BY "createdAt", id
        LIMIT ${free}
        FOR UPDATE SKIP LOCKED)
      UPDATE tasks SET "waitingSince" = NULL, "upstreamState" = NULL, "leaseOwner" = ${lease.owner},
        "leaseUntil" = ${sqlTime(now + lease.ms)}, "nextPollAt" = ${sqlTime(now)}, "updatedAt" = ${sqlTime(Date.now())}
      FROM next WHERE tasks.id = next.id
      RETURNING tasks.id, tasks."userId", next.state AS "upstreamState"`;
  });
}

/** The channels that have tasks waiting for a slot. */
export async function channelsWithWaiting(db: Db): Promise<string[]> {
  const rows = await db.$queryRaw<{ channelId: string }[]>`SELECT DISTINCT "channelId" FROM tasks WHERE ${waiting()}`;
  return rows.map((r) => r.channelId);
}

/** Waiting tasks whose deadline has passed, oldest deadline first. */
export function expiredWaiting(db: Db, now: number, limit: number): Promise<{ id: string; channelId: string }[]> {
  return db.$queryRaw`
    SELECT id, "channelId" FROM tasks WHERE ${waiting()} AND "deadlineAt" <= ${sqlTime(now)} ORDER BY "deadlineAt" LIMIT ${limit}`;
}

/**
 * Each waiting task's place in its channel's queue (1 = next), by id: a count of the tasks
 * before it over the queue's index. Tasks that do not wait are absent.
 */
export async function queuePositions(db: Db, ids: readonly string[]): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const rows = await db.$queryRaw<{ id: string; position: number }[]>`
    SELECT t.id, 1 + (
      SELECT count(*)::int FROM tasks w
      WHERE w."channelId" = t."channelId" AND ${waiting("w")} AND (w."createdAt", w.id) < (t."createdAt", t.id)) AS position
    FROM tasks t WHERE t.id = ANY(${[...ids]}::uuid[]) AND ${waiting("t")}`;
  return new Map(rows.map((r) => [r.id, r.position]));
}

/** Queue positions for one request: the positions asked for in one tick come from one query. */
export type QueuePositionLoader = (taskId: string) => Promise<number | null>;

export function createQueuePositionLoader(db: Db): QueuePositionLoader {
  let batch: { ids: Set<string>; positions: Promise<Map<string, number>> } | null = null;
  return (taskId) => {
    if (!batch) {
      const ids = new Set<string>();
      const positions = new Promise<void>((resolve) => process.nextTick(resolve)).then(() => {
        batch = null; // later calls start a batch of their own
        return queuePositions(db, [...ids]);
      });
      batch = { ids, positions };
    }
    batch.ids.add(taskId);
    return batch.positions.then((positions) => positions.get(taskId) ?? null);
  };
}

/**
 * Tells the subscribers of the first POSITION_UPDATES_LIMIT tasks waiting for the channel their
 * place: the queue moved (a task was submitted, cancelled or expired, or joined). Never throws.
 */
export async function publishQueuePositions(services: Services, channelId: string): Promise<void> {
  try {
    const rows = await services.db.$queryRaw<{ id: string; userId: string }[]>`
      SELECT id, "userId" FROM tasks WHERE "channelId" = ${channelId}::uuid AND ${waiting()}
      ORDER BY "createdAt", id LIMIT ${POSITION_UPDATES_LIMIT}`;
    await Promise.all(
      rows.map((row, index) => publishTask(services, { ...row, status: "QUEUED", progress: 0 }, { queuePosition: index + 1 })),
    );
  } catch (err) {
    services.logger.warn({ err, channelId }, "could not publish queue positions");
  }
}
