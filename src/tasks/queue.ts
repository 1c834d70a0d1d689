import { type Clock, fromNow } from "../clock.js";
import type { Services } from "../context.js";
import type { Db } from "../db/index.js";
import { type Channel, Prisma, type Task } from "../generated/prisma/client.js";
import type { ChannelConfig } from "../providers/types.js";
import { RUNNING_SQL } from "./status.js";

/**
 * The task queue: every statement that takes, keeps or gives back a task's lease. A lease
 * (`leaseOwner`, `leaseUntil`) lets one process at a time work on a task: the instance
 * submitting it, then the worker polling it or working on its media. A lease left by a dead
 * process lapses and the task is taken over. (Ending a task drops its lease in the same
 * statement: see lifecycle.ts.)
 */

/** Who holds a task, and how long each renewal keeps it. */
export interface Lease {
  owner: string;
  ms: number;
}

/** The lease columns of a task that is written already held, as a submission's task is from its insert on. */
export const leasedTo = (lease: Lease, clock: Clock) => ({ leaseOwner: lease.owner, leaseUntil: fromNow(clock, lease.ms) });

const UNLEASED = { leaseOwner: null, leaseUntil: null } as const;

/**
 * Runs `work` while holding a task's lease: the lease is pushed forward every third of
 * its length, so it only lapses when the holder stops (dies or hangs) and another
 * process may then take the task over.
 */
export async function withLease<T>(
  services: Pick<Services, "db" | "clock">,
  taskId: string,
  lease: Lease,
  work: () => Promise<T>,
): Promise<T> {
  const renew = setInterval(
    () => {
      void services.db.task
        .updateMany({ where: { id: taskId, leaseOwner: lease.owner }, data: { leaseUntil: fromNow(services.clock, lease.ms) } })
        .catch(() => {}); // a missed renewal is retried on the next tick; the lease is long enough for that
    },
    Math.max(100, Math.floor(lease.ms / 3)),
  );
  try {
    return await work();
  } finally {
    clearInterval(renew);
  }
}

/**
 * The submitter hands a task the provider accepted over to the workers: it records the
 * upstream job and gives up its lease, if the task still waits for its submission (it was
 * not cancelled meanwhile). Returns whether it did.
 */
export async function handOver(
  db: Db,
  taskId: string,
  upstream: { upstreamId: string; upstreamState?: Prisma.InputJsonValue; nextPollAt: Date; submittedAt?: Date },
): Promise<boolean> {
  const { count } = await db.task.updateMany({
    where: { id: taskId, status: "QUEUED", upstreamId: null },
    data: { ...upstream, ...UNLEASED },
  });
  return count > 0;
}

/** A claimed task as the claim returns it: the row after the claim, and the channel it runs on (its key still sealed). */
export type ClaimedTask = Task & { channel: ChannelConfig & Pick<Channel, "pollsPerSecond">; previousLeaseOwner: string | null };

/**
 * What a poll learnt, written with its reschedule: when the provider answered, when its
 * reading last moved, and a stall check made (a date) or over (null). Unset fields stay.
 */
export interface PollMarks {
  polledAt?: Date;
  progressedAt?: Date;
  stallCheckAt?: Date | null;
  /**
   * the nextPollAt the task was claimed with: when it changed while the poll ran (a provider's
   * callback asked for a look), the earlier of that and the new time is kept
   */
  claimedDueAt?: Date;
}

/** Background work on completed tasks' media: a mirror to retry, or stored media past its retention. */
export type MediaWork = "mirror" | "expiry";

/** Media work of each kind that is due at `now`. */
const MEDIA_DUE: Record<MediaWork, (now: Prisma.Sql) => Prisma.Sql> = {
  mirror: (now) => Prisma.sql`"mediaStatus" = 'PROXIED' AND "nextMirrorAt" <= ${now}`,
  expiry: (now) => Prisma.sql`"mediaStatus" = 'STORED' AND "mediaExpiresAt" <= ${now}`,
};

/**
 * A moment as a SQL timestamp(3): the clock's time is passed to every statement instead of
 * PostgreSQL's now(), so the database and the app agree on one clock. timestamp(3) columns
 * hold UTC wall-clock time; an ISO string's zone suffix is ignored on the cast.
 */
export const sqlTime = (ms: number) => Prisma.sql`${new Date(ms).toISOString()}::timestamp(3)`;

/** how long a finished poll waits for others to share its reschedule UPDATE */
const RESCHEDULE_BATCH_MS = 5;

/** A worker's side of the queue: the tasks it claims are held under its lease. */
export interface TaskQueue {
  readonly lease: Lease;
  /**
   * Claims up to `limit` running tasks whose poll is due, oldest due first, each with its
   * channel. A task whose lapsed lease still named a holder is a takeover (logged, counted).
   */
  claimDue(limit: number): Promise<ClaimedTask[]>;
  /**
   * Claims one running task with an upstream job now, due or not, unless another holds it or
   * (with `polledBefore`) the provider answered a poll of it since then: a refresh that
   * concurrent readers on any instance ask for is made once.
   */
  claimNow(taskId: string, options?: { polledBefore?: Date }): Promise<ClaimedTask | null>;
  /** when the next unclaimed running task is due; null when none is */
  nextDue(): Promise<Date | null>;
  /** claims up to `limit` completed tasks with media work of that kind due; returns their ids */
  claimMedia(work: MediaWork, limit: number): Promise<string[]>;
  /** runs `work` while keeping this worker's lease on the task alive */
  hold<T>(taskId: string, work: () => Promise<T>): Promise<T>;
  /** writes to a task while this worker holds it (and `where` matches); false when it does not */
  updateHeld(taskId: string, data: Prisma.TaskUpdateManyMutationInput, where?: Prisma.TaskWhereInput): Promise<boolean>;
  /**
   * Gives a polled task back with its next poll at `at`. Batched: the polls that end within
   * a few milliseconds share one UPDATE. Never throws: should the UPDATE fail, the lease
   * lapses and the task is polled again then.
   */
  reschedule(taskId: string, at: Date, pollErrors: number, marks?: PollMarks): void;
  /** gives a task back with `data` written, if this worker still holds it */
  release(taskId: string, data?: Prisma.TaskUpdateManyMutationInput): Promise<void>;
  /** resolves when every reschedule made so far has committed or failed */
  settled(): Promise<void>;
  /** gives back every task this worker still holds, instead of letting the leases lapse */
  releaseAll(): Promise<void>;
}

export function createTaskQueue(services: Pick<Services, "db" | "logger" | "metrics" | "clock">, lease: Lease): TaskQueue {
  const { db, logger, clock } = services;
  /** reschedule UPDATEs not yet committed: shutdown waits for them */
  const settling = new Set<Promise<void>>();

  const schedules = batched<ScheduledPoll>(RESCHEDULE_BATCH_MS, (batch) => writeSchedules(db, lease, batch));
  const claimWhere = (condition: Prisma.Sql, limit: number, now: number) => claimTasks(services, lease, condition, limit, now);

  return {
    lease,

    // The running set is written as literals so the partial index of running tasks serves the
    // claim. A task without an upstream id is being submitted under its submitter's lease; once
    // that lapses the submitter is gone and the task is failed (README, "The create window").
    async claimDue(limit) {
      if (limit <= 0) return [];
      const now = clock.now();
      return claimWhere(
        Prisma.sql`"nextPollAt" <= ${sqlTime(now)}
          AND ("upstreamId" IS NOT NULL OR "leaseOwner" IS NOT NULL OR "createdAt" < ${sqlTime(now - lease.ms)})`,
        limit,
        now,
      );
    },

    async claimNow(taskId, options = {}) {
      const polledBefore = options.polledBefore
        ? Prisma.sql`AND COALESCE("lastPolledAt", "createdAt") < ${sqlTime(options.polledBefore.getTime())}`
        : Prisma.empty;
      const [row] = await claimWhere(Prisma.sql`id = ${taskId}::uuid AND "upstreamId" IS NOT NULL ${polledBefore}`, 1, clock.now());
      return row ?? null;
    },

    async nextDue() {
      const [row] = await db.$queryRaw<{ next: Date | null }[]>`
        SELECT min("nextPollAt") AS next FROM tasks
        WHERE status IN (${RUNNING_SQL}) AND "waitingSince" IS NULL AND ("leaseUntil" IS NULL OR "leaseUntil" < ${sqlTime(clock.now())})`;
      return row?.next ?? null;
    },

    async claimMedia(work, limit) {
      if (limit <= 0) return [];
      const now = clock.now();
      const rows = await db.$queryRaw<{ id: string }[]>`
        UPDATE tasks SET "leaseOwner" = ${lease.owner}, "leaseUntil" = ${sqlTime(now + lease.ms)}
        WHERE id IN (
          SELECT id FROM tasks
          WHERE status = 'COMPLETED' AND ${MEDIA_DUE[work](sqlTime(now))}
            AND ("leaseUntil" IS NULL OR "leaseUntil" < ${sqlTime(now)})
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED)
        RETURNING id`;
      return rows.map((r) => r.id);
    },

    hold: (taskId, work) => withLease(services, taskId, lease, work),

    async updateHeld(taskId, data, where = {}) {
      const { count } = await db.task.updateMany({ where: { ...where, id: taskId, leaseOwner: lease.owner }, data });
      return count > 0;
    },

    reschedule(taskId, at, pollErrors, marks = {}) {
      const update = schedules
        .add({ taskId, at, pollErrors, marks })
        .catch((err: unknown) => logger.warn({ err, taskId }, "could not reschedule a task; it is polled again when its lease lapses"));
      settling.add(update);
      void update.finally(() => settling.delete(update));
    },

    async release(taskId, data = {}) {
      await db.task.updateMany({ where: { id: taskId, leaseOwner: lease.owner }, data: { ...data, ...UNLEASED } });
    },

    async settled() {
      await Promise.allSettled(settling);
    },

    async releaseAll() {
      await db.task.updateMany({ where: { leaseOwner: lease.owner }, data: UNLEASED });
    },
  };
}

/** A polled task given back: its next poll, its error count, and what the poll learnt. */
interface ScheduledPoll {
  taskId: string;
  at: Date;
  pollErrors: number;
  marks: PollMarks;
}

/**
 * Gives a batch of polled tasks back in one UPDATE, each only while `lease` still holds it.
 * updatedAt records when the row was written, as Prisma's @updatedAt does elsewhere: the
 * machine's time. The marks travel as text, "" for a column left as it is ("clear" empties
 * the stall check).
 */
async function writeSchedules(db: Db, lease: Lease, batch: ScheduledPoll[]) {
  const moment = (at: Date | null | undefined) => (at === null ? "clear" : (at?.toISOString() ?? ""));
  await db.$executeRaw`
    UPDATE tasks SET "leaseOwner" = NULL, "leaseUntil" = NULL, "pollErrors" = v.errors,
      "nextPollAt" = CASE WHEN tasks."nextPollAt" <> NULLIF(v.due, '')::timestamp(3) THEN LEAST(tasks."nextPollAt", v.at::timestamp(3))
        ELSE v.at::timestamp(3) END,
      "lastPolledAt" = COALESCE(NULLIF(v.polled, '')::timestamp(3), tasks."lastPolledAt"),
      "progressedAt" = COALESCE(NULLIF(v.progressed, '')::timestamp(3), tasks."progressedAt"),
      "stallCheckAt" = CASE v.stall WHEN '' THEN tasks."stallCheckAt" WHEN 'clear' THEN NULL ELSE v.stall::timestamp(3) END,
      "updatedAt" = ${sqlTime(Date.now())}
    FROM unnest(${batch.map((b) => b.taskId)}::text[], ${batch.map((b) => b.at.toISOString())}::text[], ${batch.map((b) => b.pollErrors)}::int[],
      ${batch.map((b) => moment(b.marks.polledAt))}::text[], ${batch.map((b) => moment(b.marks.progressedAt))}::text[],
      ${batch.map((b) => moment(b.marks.stallCheckAt))}::text[], ${batch.map((b) => moment(b.marks.claimedDueAt))}::text[])
      AS v(id, at, errors, polled, progressed, stall, due)
    WHERE tasks.id = v.id::uuid AND tasks."leaseOwner" = ${lease.owner}`;
}

/**
 * Claims up to `limit` running tasks that `condition` selects and no live lease holds, in
 * nextPollAt order, each with its channel: one statement, one round trip. A task waiting for
 * a slot on its channel is the slot queue's (tasks/slots.ts), never claimed here. A task whose
 * lapsed lease still named a holder is a takeover (logged, counted).
 */
async function claimTasks(
  services: Pick<Services, "db" | "logger" | "metrics">,
  lease: Lease,
  condition: Prisma.Sql,
  limit: number,
  now: number,
): Promise<ClaimedTask[]> {
  const rows = await services.db.$queryRaw<ClaimedTask[]>`
    WITH due AS (
      SELECT id, "leaseOwner" AS previous FROM tasks
      WHERE status IN (${RUNNING_SQL})
        AND ${condition} AND "waitingSince" IS NULL
        AND ("leaseUntil" IS NULL OR "leaseUntil" < ${sqlTime(now)})
      ORDER BY "nextPollAt"
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED),
    claimed AS (
      UPDATE tasks SET "leaseOwner" = ${lease.owner}, "leaseUntil" = ${sqlTime(now + lease.ms)}
      FROM due WHERE tasks.id = due.id
      RETURNING tasks.*, due.previous AS "previousLeaseOwner")
    SELECT claimed.*,
      json_build_object('id', c.id, 'name', c.name, 'provider', c.provider, 'baseUrl', c."baseUrl", 'apiKey', c."apiKey",
        'pollsPerSecond', c."pollsPerSecond") AS channel
    FROM claimed JOIN channels c ON c.id = claimed."channelId"`;
  const takenOver = rows.filter((r) => r.previousLeaseOwner !== null).map((r) => r.id);
  if (takenOver.length > 0) {
    services.metrics.leaseTakeovers.inc(takenOver.length);
    services.logger.warn({ tasks: takenOver }, "took over tasks whose lease had lapsed");
  }
  return rows;
}

/** Collects items for `ms` and hands them to `flush` together; each add settles with its batch. */
function batched<T>(ms: number, flush: (batch: T[]) => Promise<void>) {
  let pending: { item: T; resolve(): void; reject(err: unknown): void }[] = [];
  let scheduled = false;
  const flushPending = () => {
    const batch = pending;
    pending = [];
    scheduled = false;
    flush(batch.map((p) => p.item)).then(
      () => {
        for (const p of batch) p.resolve();
      },
      (err) => {
        for (const p of batch) p.reject(err);
      },
    );
  };
  return {
    add(item: T) {
      return new Promise<void>((resolve, reject) => {
        pending.push({ item, resolve, reject });
        if (scheduled) return;
        scheduled = true;
        setTimeout(flushPending, ms);
      });
    },
  };
}
