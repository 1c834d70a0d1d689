import { builder } from "../builder.js";
import { findModel, holdUnits } from "../catalogue.js";
import type { LedgerEntry, Task } from "../generated/prisma/client.js";
import { TASK_EVENT_KINDS, TASK_EVENT_LIMIT } from "../tasks/events.js";
import { isTerminal } from "../tasks/status.js";
import { LedgerEntryRef } from "./ledger.js";
import { PriceUnit } from "./prices.js";

/** What a task's owner can read of its history: its event log, where its time went, and what it cost. */

const DEFAULT_EVENTS = 50;

/**
 * A relation's query from `nestedSelection` selects nothing when the client picked no column of
 * it (only `__typename`, or not the field at all), and Prisma refuses an empty select.
 */
const selectsNothing = (query: object) =>
  "select" in query && typeof query.select === "object" && query.select !== null && Object.keys(query.select).length === 0;

const TaskEventKind = builder.enumType("TaskEventKind", { values: TASK_EVENT_KINDS });

const TaskEventRef = builder.prismaObject("TaskEvent", {
  description: "one thing that happened to a task, and why, in Reelay's words",
  fields: (t) => ({
    at: t.expose("at", { type: "DateTime" }),
    kind: t.field({ type: TaskEventKind, resolve: (event) => event.kind as (typeof TASK_EVENT_KINDS)[number] }),
    message: t.exposeString("message"),
    count: t.exposeInt("count", { description: "how many times it happened in a row (repeated provider readings are folded into one)" }),
  }),
});

type TimingStamps = Pick<Task, "status" | "createdAt" | "startedAt" | "generatedAt" | "completedAt" | "mirroredAt">;

/** Seconds from `from` to `to`; null when either has not happened. */
const span = (from: Date | null, to: Date | null) => (from && to ? Math.max(0, to.getTime() - from.getTime()) / 1000 : null);

const TaskTimings = builder.objectRef<TimingStamps>("TaskTimings").implement({
  description: "where a task's time went, in seconds; null for a phase it has not reached or finished",
  fields: (t) => ({
    queued: t.float({
      nullable: true,
      description: "from creation until the provider started generating (or the task ended without starting)",
      resolve: (task) => span(task.createdAt, task.startedAt ?? (isTerminal(task.status) ? task.completedAt : null)),
    }),
    running: t.float({
      nullable: true,
      description: "from the start of generation until the provider had the media ready (or the task ended)",
      resolve: (task) => span(task.startedAt, task.generatedAt ?? (isTerminal(task.status) ? task.completedAt : null)),
    }),
    mirroring: t.float({
      nullable: true,
      description: "from the media being ready at the provider until it was in Reelay's storage; null until it is stored",
      resolve: (task) => span(task.generatedAt, task.mirroredAt),
    }),
    total: t.float({
      nullable: true,
      description: "from creation until the task ended; a mirror retried after completion may end later",
      resolve: (task) => span(task.createdAt, task.completedAt),
    }),
  }),
});

type BillingRow = Pick<
  Task,
  "status" | "model" | "size" | "seconds" | "priceUnit" | "unitPrice" | "holdAmount" | "charged" | "settledQuantity"
> & { ledger?: LedgerEntry[] };

const TaskBilling = builder.objectRef<BillingRow>("TaskBilling").implement({
  description: "what a task is billed: the units, their price, and what was held, settled and returned",
  fields: (t) => ({
    unit: t.field({ type: PriceUnit, resolve: (task) => task.priceUnit }),
    quantity: t.float({
      nullable: true,
      description:
        "units billed: what the provider reported it made once COMPLETED (what was asked for when it reported nothing), what the hold covers while running, 0 after FAILED or CANCELLED",
      resolve: (task) => {
        if (task.status === "FAILED" || task.status === "CANCELLED") return 0;
        if (task.status === "COMPLETED" && task.settledQuantity !== null) return task.settledQuantity;
        return holdUnits(task.priceUnit, findModel(task.model), { seconds: task.seconds, size: task.size });
      },
    }),
    unitPrice: t.field({
      type: "Money",
      description: "the price of one unit, fixed when the task was created",
      resolve: (task) => task.unitPrice,
    }),
    held: t.field({ type: "Money", description: "taken from the balance when the task was created", resolve: (task) => task.holdAmount }),
    settled: t.field({
      type: "Money",
      nullable: true,
      description: "charged once the task ended (zero after FAILED or CANCELLED); null while it runs",
      resolve: (task) => (isTerminal(task.status) ? task.charged : null),
    }),
    refunded: t.field({
      type: "Money",
      nullable: true,
      description: "held minus settled: returned to the balance once the task ended; null while it runs",
      resolve: (task) => (isTerminal(task.status) ? task.holdAmount - task.charged : null),
    }),
    ledger: t.field({
      type: [LedgerEntryRef],
      description: "the task's movements of money, oldest first: its hold, settlement and release",
      // the rows are read with the task (see VideoTask.billing's select)
      resolve: (task) => task.ledger ?? [],
    }),
  }),
});

builder.prismaObjectFields("Task", (t) => ({
  events: t.field({
    type: [TaskEventRef],
    description: `the task's event log, oldest first: the \`last\` most recent entries (at most ${TASK_EVENT_LIMIT})`,
    args: { last: t.arg.int({ defaultValue: DEFAULT_EVENTS }) },
    select: (args, _ctx, nestedSelection) => {
      const events = nestedSelection({
        orderBy: [{ at: "desc" as const }, { seq: "desc" as const }],
        take: Math.max(0, Math.min(TASK_EVENT_LIMIT, args.last ?? DEFAULT_EVENTS)),
      });
      return { events: selectsNothing(events) ? { ...events, select: { id: true } } : events };
    },
    resolve: (task) => [...task.events].reverse(),
  }),
  timings: t.field({
    type: TaskTimings,
    select: { status: true, createdAt: true, startedAt: true, generatedAt: true, completedAt: true, mirroredAt: true },
    resolve: (task) => task,
  }),
  billing: t.field({
    type: TaskBilling,
    select: (_args, _ctx, nestedSelection) => {
      // HOLD, SETTLE, RELEASE: the enum's order breaks a tie within one transaction
      const ledger = nestedSelection({ orderBy: [{ createdAt: "asc" as const }, { kind: "asc" as const }] }, ["ledger"], "LedgerEntry");
      return {
        status: true,
        model: true,
        size: true,
        seconds: true,
        priceUnit: true,
        unitPrice: true,
        holdAmount: true,
        charged: true,
        settledQuantity: true,
        // read only when billing.ledger is selected
        ...(selectsNothing(ledger) ? {} : { ledger }),
      };
    },
    resolve: (task) => task,
  }),
}));
