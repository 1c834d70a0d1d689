import type { Db } from "../db/index.js";
import { Prisma } from "../generated/prisma/client.js";
import { sqlTime } from "../tasks/queue.js";
import { RUNNING_SQL } from "../tasks/status.js";
import { channelDisplayName } from "./store.js";

/**
 * The operator's figures per channel, each one SQL statement over indexes: how many tasks wait
 * and run on each channel now, and how each channel did over a recent window.
 */

/** Where a running task is: waiting in Reelay's queue for a slot, queued at the provider, or being generated. */
export const QUEUE_STATES = ["WAITING", "QUEUED", "PROCESSING"] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

export interface QueueDepth {
  channel: string;
  state: QueueState;
  count: number;
  /** when the oldest of them was created; null when there are none */
  oldestCreatedAt: Date | null;
}

/** Every live channel's running tasks by state, zeros included, highest priority first: one statement. */
export async function queueDepth(db: Db): Promise<QueueDepth[]> {
  const rows = await db.$queryRaw<QueueDepth[]>`
    WITH depth AS (
      SELECT "channelId", CASE WHEN "waitingSince" IS NOT NULL THEN 'WAITING' ELSE status::text END AS state,
        count(*)::int AS count, min("createdAt") AS oldest
      FROM tasks WHERE status IN (${RUNNING_SQL})
      GROUP BY 1, 2)
    SELECT c.name AS channel, s.state, coalesce(d.count, 0) AS count, d.oldest AS "oldestCreatedAt"
    FROM channels c
    CROSS JOIN unnest(${[...QUEUE_STATES]}::text[]) WITH ORDINALITY AS s(state, rank)
    LEFT JOIN depth d ON d."channelId" = c.id AND d.state = s.state
    WHERE c."deletedAt" IS NULL OR d.count IS NOT NULL
    ORDER BY c.priority DESC, c.name, s.rank`;
  return rows.map((r) => ({ ...r, channel: channelDisplayName(r.channel) }));
}

export interface ChannelStats {
  channel: string;
  completed: number;
  failed: number;
  cancelled: number;
  /** completed / (completed + failed); null when none of them ended in the window */
  successRate: number | null;
  /** generation time of the completed tasks, from submission (or creation) to completion, in seconds */
  p50Seconds: number | null;
  p95Seconds: number | null;
}

/**
 * How each channel did with the tasks that ended in [now - windowMs, now]: counts by outcome,
 * the success rate and the median and 95th percentile of the time a completed task took from
 * its submission to completion (a task's wait for a slot is not the channel's time). One
 * statement; live channels without tasks in the window are listed with zeros.
 */
export async function channelStats(db: Db, now: number, windowMs: number): Promise<ChannelStats[]> {
  // The window is in the join, so each channel's tasks are read by the (channelId, completedAt) index.
  const took = Prisma.sql`extract(epoch FROM e."completedAt" - coalesce(e."submittedAt", e."createdAt"))::float8`;
  const rows = await db.$queryRaw<Omit<ChannelStats, "successRate">[]>`
    SELECT c.name AS channel,
      count(e.id) FILTER (WHERE e.status = 'COMPLETED')::int AS completed,
      count(e.id) FILTER (WHERE e.status = 'FAILED')::int AS failed,
      count(e.id) FILTER (WHERE e.status = 'CANCELLED')::int AS cancelled,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY ${took}) FILTER (WHERE e.status = 'COMPLETED') AS "p50Seconds",
      percentile_cont(0.95) WITHIN GROUP (ORDER BY ${took}) FILTER (WHERE e.status = 'COMPLETED') AS "p95Seconds"
    FROM channels c
    LEFT JOIN tasks e ON e."channelId" = c.id AND e."completedAt" >= ${sqlTime(now - windowMs)} AND e."completedAt" <= ${sqlTime(now)}
    WHERE c."deletedAt" IS NULL OR e.id IS NOT NULL
    GROUP BY c.id
    ORDER BY c.priority DESC, c.name`;
  return rows.map((r) => ({
    ...r,
    channel: channelDisplayName(r.channel),
    successRate: r.completed + r.failed === 0 ? null : r.completed / (r.completed + r.failed),
  }));
}
