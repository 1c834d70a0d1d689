import { type Db, Prisma } from "../db/index.js";
import { badInput } from "../errors.js";

/** How usage is grouped: by the task's owner, its model, or the UTC day it was created. */
export type UsageGrouping = "USER" | "MODEL" | "DAY";

/** One group's usage over a window; money in nano-dollars. */
export interface UsageGroup {
  /** the user's subject, the model, or the day as YYYY-MM-DD (UTC) */
  key: string;
  tasksCompleted: number;
  /** seconds of video made by completed tasks */
  seconds: number;
  /** images made by completed tasks */
  images: number;
  /** settled charges of the tasks */
  charged: bigint;
  /** what the tasks hold now: holds neither settled nor released yet */
  held: bigint;
}

/** The longest window one usage query may cover. */
export const MAX_USAGE_DAYS = 366;
const DAY_MS = 86_400_000;

// fixed fragments, so no caller's text ever reaches the SQL
const GROUP_KEYS: Record<UsageGrouping, Prisma.Sql> = {
  USER: Prisma.sql`u.subject`,
  MODEL: Prisma.sql`t.model`,
  DAY: Prisma.sql`to_char(t."createdAt", 'YYYY-MM-DD')`,
};

interface UsageRow {
  key: string;
  tasksCompleted: bigint;
  seconds: bigint;
  images: bigint;
  charged: bigint;
  held: bigint;
}

/**
 * Usage of the tasks created in [from, to), in one grouped query over tasks and their
 * ledger rows; sums stay exact (bigint, no floating point). BAD_USER_INPUT for a window
 * that is empty, reversed or longer than MAX_USAGE_DAYS.
 */
export async function usage(db: Db, from: Date, to: Date, groupBy: UsageGrouping): Promise<UsageGroup[]> {
  if (from.getTime() >= to.getTime()) throw badInput("from must be before to");
  if (to.getTime() - from.getTime() > MAX_USAGE_DAYS * DAY_MS) throw badInput(`the window may cover at most ${MAX_USAGE_DAYS} days`);
  const key = GROUP_KEYS[groupBy];
  const rows = await db.$queryRaw<UsageRow[]>`
    SELECT ${key} AS key,
      count(*) FILTER (WHERE t.status = 'COMPLETED')::bigint AS "tasksCompleted",
      coalesce(sum(t.seconds) FILTER (WHERE t.status = 'COMPLETED' AND t."mediaType" = 'VIDEO'), 0)::bigint AS seconds,
      count(*) FILTER (WHERE t.status = 'COMPLETED' AND t."mediaType" = 'IMAGE')::bigint AS images,
      coalesce(sum(money.settled), 0)::bigint AS charged,
      coalesce(sum(money.held), 0)::bigint AS held
    FROM tasks t
    JOIN users u ON u.id = t."userId"
    CROSS JOIN LATERAL (
      SELECT coalesce(sum(l.amount) FILTER (WHERE l.kind = 'SETTLE'), 0) AS settled,
        -- a hold is still held until its task is settled or released
        CASE WHEN bool_or(l.kind IN ('SETTLE', 'RELEASE')) THEN 0
             ELSE coalesce(sum(l.amount) FILTER (WHERE l.kind = 'HOLD'), 0) END AS held
      FROM ledger l WHERE l."taskId" = t.id
    ) money
    WHERE t."createdAt" >= ${from} AND t."createdAt" < ${to}
    GROUP BY 1
    ORDER BY 1`;
  return rows.map((row) => ({
    key: row.key,
    tasksCompleted: Number(row.tasksCompleted),
    seconds: Number(row.seconds),
    images: Number(row.images),
    charged: row.charged,
    held: row.held,
  }));
}
