import { setMaxListeners } from "node:events";
import type { Services } from "../context.js";
import { type AttemptOutcome, type ClaimedDelivery, createOutbox, type Outbox } from "../webhooks/outbox.js";
import { signingSecrets } from "../webhooks/secret.js";
import { sendWebhook } from "../webhooks/send.js";

/** deliveries one worker has in flight at once */
const DELIVERY_CONCURRENCY = 16;
/** longest wait between looks for due deliveries: new ones are noticed at least this often */
const MAX_IDLE_MS = 1_000;
const MIN_IDLE_MS = 25;

export interface WebhookWorker {
  start(): void;
  /** stops claiming, lets attempts under way finish (or, forced, cuts them short) and hands leases back */
  close(force?: boolean): Promise<void>;
}

/**
 * Sends the webhook outbox: claims due deliveries under this worker's lease (renewed while an
 * attempt lasts), signs and POSTs each, and records the outcome, with the next attempt after
 * an exponential backoff until WEBHOOK_RETRY_FOR_MS is spent. A worker that dies mid-attempt
 * leaves a lease that lapses; another worker then sends the same message again.
 */
export function createWebhookWorker(services: Services, options: { owner: string }): WebhookWorker {
  const { config, logger, clock } = services;
  const lease = { owner: `webhooks:${options.owner}`, ms: config.leaseMs };
  const outbox = createOutbox(services, lease);
  const stop = new AbortController();
  const halt = new AbortController();
  setMaxListeners(0, halt.signal);
  const inFlight = new Map<string, Promise<void>>();
  let wake: (() => void) | null = null;
  let loop: Promise<void> | null = null;

  async function claim(): Promise<void> {
    if (stop.signal.aborted) return;
    const claimed = await outbox.claimDue(DELIVERY_CONCURRENCY - inFlight.size);
    for (const delivery of claimed) {
      const running = attempt(services, outbox, delivery, halt.signal)
        .catch((err) => logger.error({ err, deliveryId: delivery.id }, "a webhook attempt failed unexpectedly"))
        .finally(() => {
          inFlight.delete(delivery.id);
          wake?.();
        });
      inFlight.set(delivery.id, running);
    }
  }

  /** until the next delivery is due, within bounds; cut short when the worker stops or a slot frees up */
  async function idle(busy: boolean) {
    let ms = MAX_IDLE_MS;
    if (!busy) {
      const next = await outbox.nextDue().catch(() => null);
      ms = Math.min(MAX_IDLE_MS, config.pollIntervalMs, Math.max(MIN_IDLE_MS, next ? next.getTime() - clock.now() : Infinity));
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        stop.signal.removeEventListener("abort", done);
        wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      if (stop.signal.aborted) return done();
      stop.signal.addEventListener("abort", done, { once: true });
      if (busy) wake = done;
    });
  }

  async function run() {
    while (!stop.signal.aborted) {
      try {
        await claim();
      } catch (err) {
        logger.error({ err }, "claiming due webhook deliveries failed");
      }
      await idle(inFlight.size >= DELIVERY_CONCURRENCY);
    }
  }

  return {
    start() {
      loop ??= run();
    },
    async close(force = false) {
      stop.abort();
      if (force) halt.abort();
      await loop;
      await Promise.allSettled(inFlight.values());
      await outbox.releaseAll().catch(() => {});
    },
  };
}

/** One attempt of a claimed delivery, its lease renewed while it lasts, and its outcome recorded. */
async function attempt(services: Services, outbox: Outbox, delivery: ClaimedDelivery, halt: AbortSignal) {
  const { config, logger, metrics } = services;
  const renew = setInterval(
    () => void outbox.renew(delivery.id).catch(() => {}), // a missed renewal is retried on the next tick
    Math.max(100, Math.floor(config.leaseMs / 3)),
  );
  try {
    const outcome = await signingSecrets(services, delivery.userId).then(
      (secrets) =>
        sendWebhook(delivery, secrets, {
          allowPrivateNetworks: config.allowPrivateNetworks,
          timeoutMs: config.webhookTimeoutMs,
          signal: halt,
        }),
      (err: unknown): AttemptOutcome => ({ delivered: false, status: null, error: `could not read the signing secret: ${String(err)}` }),
    );
    const result = await outbox.settle(delivery, outcome);
    if (result === "lost") return;
    metrics.webhookDeliveries.inc({ outcome: result });
    const fields = {
      deliveryId: delivery.id,
      taskId: delivery.taskId,
      event: delivery.event,
      attempts: delivery.attempts,
      status: outcome.status,
    };
    const error = outcome.delivered ? undefined : outcome.error;
    if (result === "delivered") logger.info(fields, "webhook delivered");
    else if (result === "gave_up") logger.warn({ ...fields, error }, "webhook given up");
    else logger.info({ ...fields, error }, "webhook attempt failed; will retry");
  } finally {
    clearInterval(renew);
  }
}
