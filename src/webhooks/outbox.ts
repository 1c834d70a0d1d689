/**
 * The webhook outbox: every statement that writes, claims, keeps or settles a delivery. A
 * delivery is written in the transaction of the task change it reports, so a change is
 * reported exactly when it commits; workers then claim due deliveries under a lease
 * (`leaseOwner`, `leaseUntil`), as they claim tasks, and one left by a dead worker is taken
 * over once its lease lapses. A task's deliveries go out one at a time, in the order of
 * the changes, so a receiver never sees `completed` before `started`.
 */
import { randomUUID } from "node:crypto";
import type { Services } from "../context.js";
import { Prisma, type Task, type WebhookDelivery } from "../generated/prisma/client.js";
import { STORED_ERROR_LENGTH } from "../limits.js";
import { openAIVideoOf } from "../rest/video-object.js";
import { sqlTime } from "../tasks/queue.js";
import type { WebhookEvent } from "./events.js";

/** a task's progress is delivered at most once in this long; its other events are never held back for it */
export const PROGRESS_INTERVAL_MS = 500;

const TERMINAL_EVENTS: ReadonlySet<WebhookEvent> = new Set(["completed", "failed", "cancelled"]);

/** The columns of a task a delivery is made from: its webhook, its owner and everything the body shows. */
export type WebhookTask = Task;

/** True when the task has a webhook and its filter lets `event` through. */
export const wantsEvent = (task: Pick<Task, "webhookUrl" | "webhookEvents">, event: WebhookEvent) =>
  task.webhookUrl !== null && (task.webhookEvents.length === 0 || task.webhookEvents.includes(event));

/** Standard Webhooks' message id: `msg_` and 32 random hex digits, the same on every attempt */
const messageId = () => `msg_${randomUUID().replaceAll("-", "")}`;

/**
 * Writes the delivery of `event` for `task` (the row as the transaction `tx` just left it),
 * if the task has a webhook that wants it. The body is taken now, so every attempt sends the
 * same bytes. A progress event that has not been attempted yet is brought up to date instead
 * of followed by another, and a new one waits until PROGRESS_INTERVAL_MS after the last one
 * went out; the task's end replaces one still waiting.
 */
export async function enqueueWebhook(
  tx: Prisma.TransactionClient,
  services: Pick<Services, "clock" | "config">,
  task: WebhookTask,
  event: WebhookEvent,
): Promise<void> {
  if (!wantsEvent(task, event)) return;
  const payload = JSON.stringify(openAIVideoOf(task));
  const now = services.clock.now();
  let nextAttemptAt = now;
  const unsentProgress = { taskId: task.id, event: "progress", attempts: 0, leaseOwner: null, deliveredAt: null, gaveUpAt: null };
  // The end of a task says everything a progress event still waiting would: it goes out in its place, at once.
  if (TERMINAL_EVENTS.has(event)) await tx.webhookDelivery.deleteMany({ where: unsentProgress });
  if (event === "progress") {
    const { count } = await tx.webhookDelivery.updateMany({ where: unsentProgress, data: { payload } });
    if (count > 0) return;
    const last = await tx.webhookDelivery.findFirst({
      where: { taskId: task.id, event, lastAttemptAt: { not: null } },
      orderBy: { seq: "desc" },
      select: { lastAttemptAt: true },
    });
    if (last?.lastAttemptAt) nextAttemptAt = Math.max(now, last.lastAttemptAt.getTime() + PROGRESS_INTERVAL_MS);
  }
  await tx.webhookDelivery.create({
    data: {
      id: messageId(),
      taskId: task.id,
      userId: task.userId,
      event,
      url: task.webhookUrl!,
      payload,
      nextAttemptAt: new Date(nextAttemptAt),
      giveUpAt: new Date(now + services.config.webhookRetryForMs),
      createdAt: new Date(now),
    },
  });
}

/** A delivery as a worker claimed it: `attempts` already counts the attempt it is about to make. */
export type ClaimedDelivery = WebhookDelivery & { previousLeaseOwner: string | null };

/** How one attempt ended. */
export type AttemptOutcome = { delivered: true; status: number } | { delivered: false; status: number | null; error: string };

/** A worker's side of the outbox: what it claims is held under its lease. */
export interface Outbox {
  /**
   * Claims up to `limit` due deliveries, each the oldest pending one of its task, and counts
   * the attempt each is about to get (so an attempt cut short by a crash counts too).
   */
  claimDue(limit: number): Promise<ClaimedDelivery[]>;
  /** when the next unclaimed pending delivery is due; null when none is */
  nextDue(): Promise<Date | null>;
  /** pushes this worker's lease on a delivery forward */
  renew(id: string): Promise<void>;
  /** records an attempt's outcome, with the next attempt's time or the giving up, if this worker still holds the delivery */
  settle(delivery: ClaimedDelivery, outcome: AttemptOutcome): Promise<"delivered" | "retry" | "gave_up" | "lost">;
  /** gives back every delivery this worker holds, instead of letting the leases lapse */
  releaseAll(): Promise<void>;
}

/** A pending delivery of the same task as `d` made before it: `d` waits for it. */
const EARLIER_PENDING = Prisma.sql`
  SELECT 1 FROM webhook_deliveries e
  WHERE e."taskId" = d."taskId" AND e.seq < d.seq AND e."deliveredAt" IS NULL AND e."gaveUpAt" IS NULL`;

/** first retry after base, then four times longer each time, at most max; ±20% so many failing receivers spread out */
export function retryDelay(config: Pick<Services["config"], "webhookRetryBaseMs" | "webhookRetryMaxMs">, attempts: number): number {
  const exponential = Math.min(config.webhookRetryMaxMs, config.webhookRetryBaseMs * 4 ** Math.min(Math.max(0, attempts - 1), 20));
  return Math.round(exponential * (0.8 + Math.random() * 0.4));
}

export function createOutbox(services: Pick<Services, "db" | "clock" | "config" | "logger">, lease: { owner: string; ms: number }): Outbox {
  const { db, clock, config } = services;
  return {
    async claimDue(limit) {
      if (limit <= 0) return [];
      const now = sqlTime(clock.now());
      // The NOT EXISTS keeps a task's deliveries in order: one goes out once those before it are done.
      const rows = await db.$queryRaw<ClaimedDelivery[]>`
        WITH due AS (
          SELECT d.id, d."leaseOwner" AS previous FROM webhook_deliveries d
          WHERE d."deliveredAt" IS NULL AND d."gaveUpAt" IS NULL
            AND d."nextAttemptAt" <= ${now}
            AND (d."leaseUntil" IS NULL OR d."leaseUntil" < ${now})
            AND NOT EXISTS (${EARLIER_PENDING})
          ORDER BY d."nextAttemptAt"
          LIMIT ${limit}
          FOR UPDATE OF d SKIP LOCKED)
        UPDATE webhook_deliveries w
        SET "leaseOwner" = ${lease.owner}, "leaseUntil" = ${sqlTime(clock.now() + lease.ms)},
          attempts = w.attempts + 1, "lastAttemptAt" = ${now}
        FROM due WHERE w.id = due.id
        RETURNING w.*, due.previous AS "previousLeaseOwner"`;
      const takenOver = rows.filter((r) => r.previousLeaseOwner !== null).map((r) => r.id);
      if (takenOver.length > 0) {
        services.logger.warn({ deliveries: takenOver }, "took over webhook deliveries whose lease had lapsed");
      }
      return rows;
    },

    async nextDue() {
      const now = sqlTime(clock.now());
      // Only the head of each task's line counts: one waiting behind another is not due, whatever its time says.
      const [row] = await db.$queryRaw<{ next: Date | null }[]>`
        SELECT min(d."nextAttemptAt") AS next FROM webhook_deliveries d
        WHERE d."deliveredAt" IS NULL AND d."gaveUpAt" IS NULL AND (d."leaseUntil" IS NULL OR d."leaseUntil" < ${now})
          AND NOT EXISTS (${EARLIER_PENDING})`;
      return row?.next ?? null;
    },

    async renew(id) {
      await db.webhookDelivery.updateMany({
        where: { id, leaseOwner: lease.owner },
        data: { leaseUntil: new Date(clock.now() + lease.ms) },
      });
    },

    async settle(delivery, outcome) {
      const now = clock.now();
      const result = outcome.delivered ? "delivered" : now >= delivery.giveUpAt.getTime() ? "gave_up" : "retry";
      const data: Prisma.WebhookDeliveryUpdateManyMutationInput = {
        leaseOwner: null,
        leaseUntil: null,
        lastStatus: outcome.status,
        lastError: outcome.delivered ? null : outcome.error.slice(0, STORED_ERROR_LENGTH),
        ...(result === "delivered" ? { deliveredAt: new Date(now) } : {}),
        ...(result === "gave_up" ? { gaveUpAt: new Date(now) } : {}),
        ...(result === "retry"
          ? { nextAttemptAt: new Date(Math.min(delivery.giveUpAt.getTime(), now + retryDelay(config, delivery.attempts))) }
          : {}),
      };
      const { count } = await db.webhookDelivery.updateMany({ where: { id: delivery.id, leaseOwner: lease.owner }, data });
      return count > 0 ? result : "lost";
    },

    async releaseAll() {
      await db.webhookDelivery.updateMany({ where: { leaseOwner: lease.owner }, data: { leaseOwner: null, leaseUntil: null } });
    },
  };
}
