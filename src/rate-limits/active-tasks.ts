import { insufficientCredit } from "../billing/ledger.js";
import { quoteHold } from "../billing/prices.js";
import type { Config } from "../config.js";
import type { CurrentUser, Services } from "../context.js";
import type { Prisma } from "../db/index.js";
import { RUNNING_SQL, RUNNING_STATUSES } from "../tasks/status.js";
import { rateLimited } from "./limiter.js";

type ActiveTaskSettings = Pick<Config, "maxActiveTasksPerUser" | "pollIntervalMs">;

/**
 * MAX_ACTIVE_TASKS_PER_USER, the race-safe check: refuses the task being created when the
 * user would have more than the limit QUEUED or PROCESSING. Call it in the transaction that
 * inserts the task, after the insert. It locks the user's row first, so concurrent creates
 * of one user count one after another: of 20 at once with the limit at 10, exactly 10 pass.
 */
export async function enforceActiveTaskLimit(tx: Prisma.TransactionClient, settings: ActiveTaskSettings, userId: string): Promise<void> {
  const limit = settings.maxActiveTasksPerUser;
  if (limit === 0) return;
  // NO KEY UPDATE, the lock the hold's UPDATE takes: FOR UPDATE would also wait for the
  // KEY SHARE lock that a concurrent create's task insert holds on this row (its foreign
  // key), while that create waits for this one: a deadlock.
  await tx.$queryRaw`SELECT 1 FROM users WHERE id = ${userId}::uuid FOR NO KEY UPDATE`;
  const [{ running }] = await tx.$queryRaw<{ running: number }[]>`
    SELECT count(*)::int AS running FROM tasks WHERE "userId" = ${userId}::uuid AND status IN (${RUNNING_SQL})`;
  if (running > limit) throw tooManyActiveTasks(settings);
}

/**
 * The cheap refusals of a create, made before anything expensive (fetching a reference
 * image): a balance short of the hold, and MAX_ACTIVE_TASKS_PER_USER. Read without locks;
 * the transaction that inserts the task checks both again.
 */
export async function checkCreateAllowance(
  services: Services,
  user: CurrentUser,
  task: { model: string; params: { seconds: number | null; size: string | null } },
): Promise<void> {
  const { db, config } = services;
  const { amount } = await quoteHold(db, task.model, task.params);
  const [account, running] = await Promise.all([
    db.user.findUnique({ where: { id: user.id }, select: { balance: true } }),
    config.maxActiveTasksPerUser === 0 ? 0 : db.task.count({ where: { userId: user.id, status: { in: [...RUNNING_STATUSES] } } }),
  ]);
  if (!account || account.balance < amount) throw insufficientCredit(amount);
  if (config.maxActiveTasksPerUser > 0 && running >= config.maxActiveTasksPerUser) throw tooManyActiveTasks(config);
}

/**
 * When a slot frees is not known; the soonest is the next poll of a running task, so that is
 * the wait suggested.
 */
const tooManyActiveTasks = (settings: ActiveTaskSettings) =>
  rateLimited(
    `Too many tasks in progress: at most ${settings.maxActiveTasksPerUser} may be queued or processing at once`,
    settings.pollIntervalMs,
    { limit: settings.maxActiveTasksPerUser },
  );
