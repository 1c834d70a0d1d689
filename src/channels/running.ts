import type { Db } from "../db/index.js";
import { RUNNING_STATUSES } from "../tasks/status.js";

/**
 * Running tasks (QUEUED or PROCESSING, submitted or being submitted) on each of these channels, in
 * one grouped query; a channel with none is absent. `withWaiting` counts the tasks waiting in
 * Reelay's queue for a slot on the channel too.
 */
export async function runningTasksByChannel(
  db: Db,
  channelIds: readonly string[],
  options: { withWaiting?: boolean } = {},
): Promise<Map<string, number>> {
  if (channelIds.length === 0) return new Map();
  const groups = await db.task.groupBy({
    by: ["channelId"],
    where: {
      channelId: { in: [...channelIds] },
      status: { in: [...RUNNING_STATUSES] },
      ...(options.withWaiting ? {} : { waitingSince: null }),
    },
    _count: { _all: true },
  });
  return new Map(groups.map((g) => [g.channelId, g._count._all]));
}

/** Running tasks of one channel; the calls made in the same tick share one grouped query. */
export type RunningTasksLoader = (channelId: string) => Promise<number>;

/**
 * A loader for one request: a list of channels asks for each channel's count as its fields
 * resolve, all in one tick, and gets them from a single grouped query instead of one each.
 */
export function createRunningTasksLoader(db: Db): RunningTasksLoader {
  let batch: { ids: Set<string>; counts: Promise<Map<string, number>> } | null = null;
  return (channelId) => {
    if (!batch) {
      const ids = new Set<string>();
      const counts = new Promise<void>((resolve) => process.nextTick(resolve)).then(() => {
        batch = null; // later calls start a batch of their own
        return runningTasksByChannel(db, [...ids]);
      });
      batch = { ids, counts };
    }
    batch.ids.add(channelId);
    return batch.counts.then((counts) => counts.get(channelId) ?? 0);
  };
}
