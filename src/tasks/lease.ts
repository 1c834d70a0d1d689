import type { Db } from "../db/index.js";

/**
 * Runs `work` while holding a task's lease: the lease is pushed forward every third of
 * its length, so it only lapses when the holder stops (dies or hangs) and another
 * process may then take the task over.
 */
export async function withLease<T>(db: Db, lease: { taskId: string; owner: string; ms: number }, work: () => Promise<T>): Promise<T> {
  const renew = setInterval(
    () => {
      void db.task
        .updateMany({ where: { id: lease.taskId, leaseOwner: lease.owner }, data: { leaseUntil: new Date(Date.now() + lease.ms) } })
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
