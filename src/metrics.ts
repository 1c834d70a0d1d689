import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Db } from "./db/index.js";
import { TASK_STATUSES } from "./tasks/status.js";

/**
 * What one instance reports on /metrics, in Prometheus' text format. One registry per
 * instance, so several in one process (tests, benchmarks) never mix their figures.
 */
export function createMetrics(db: Db, statements: () => number | null = () => null) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "reelay_process_" });
  return {
    registry,
    tasks: new Gauge({
      name: "reelay_tasks",
      help: "Tasks by status, read from the database at scrape time",
      labelNames: ["status"] as const,
      registers: [registry],
      async collect() {
        const groups = await db.task.groupBy({ by: ["status"], _count: { _all: true } });
        this.reset();
        for (const status of TASK_STATUSES) {
          this.set({ status }, groups.find((g) => g.status === status)?._count._all ?? 0);
        }
      },
    }),
    pollSeconds: new Histogram({
      name: "reelay_poll_duration_seconds",
      help: "Time of one provider poll, by provider",
      labelNames: ["provider"] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    upstreamErrors: new Counter({
      name: "reelay_upstream_errors_total",
      help: "Failed provider calls, by channel, operation and error code",
      labelNames: ["channel", "operation", "code"] as const,
      registers: [registry],
    }),
    mirrorBytes: new Counter({
      name: "reelay_mirror_bytes_total",
      help: "Bytes copied from providers into storage",
      registers: [registry],
    }),
    mirrorFailures: new Counter({
      name: "reelay_mirror_failures_total",
      help: "Mirrors that failed, by side (provider or storage)",
      labelNames: ["side"] as const,
      registers: [registry],
    }),
    websockets: new Gauge({ name: "reelay_websocket_connections", help: "Open graphql-ws connections", registers: [registry] }),
    dbStatements: new Counter({
      name: "reelay_db_statements_total",
      help: "SQL statements sent to PostgreSQL by this instance",
      registers: [registry],
      collect() {
        const total = statements();
        if (total === null) return;
        this.reset();
        this.inc(total);
      },
    }),
    webhookDeliveries: new Counter({
      name: "reelay_webhook_deliveries_total",
      help: "Webhook delivery attempts, by outcome: delivered, retry (failed, tried again later) or gave_up (failed past WEBHOOK_RETRY_FOR_MS)",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    leaseTakeovers: new Counter({
      name: "reelay_leases_taken_over_total",
      help: "Tasks claimed whose previous lease had lapsed (its worker died or stalled)",
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
