import { MAX_USAGE_DAYS, type UsageGroup, usage } from "../billing/usage.js";
import { adminOnly, builder, describedValues } from "../builder.js";
import { LedgerKind as PrismaLedgerKind } from "../generated/prisma/enums.js";
import { NIL_UUID } from "../limits.js";

const LedgerKind = builder.enumType(PrismaLedgerKind, {
  name: "LedgerKind",
  description: "CREDIT/DEBIT: granted or removed by an admin; HOLD, SETTLE, RELEASE: a task's hold, its charge and its refund",
});

export const LedgerEntryRef = builder.prismaNode("LedgerEntry", {
  id: { field: "id" },
  // node(id) finds the caller's own entries; an admin's any entry, as for User and VideoTask
  findUnique: (id, ctx) => (ctx.currentUser?.role === "ADMIN" ? { id } : { id, userId: ctx.currentUser?.id ?? NIL_UUID }),
  nullable: true,
  description: "one movement of money on a user's account",
  fields: (t) => ({
    kind: t.expose("kind", { type: LedgerKind }),
    amount: t.expose("amount", { type: "Money", description: "the amount moved; always positive, the kind says which way" }),
    balanceAfter: t.expose("balanceAfter", { type: "Money", description: "the spendable balance right after this movement" }),
    task: t.relation("task", { nullable: true, description: "the task this hold, settlement or release belongs to" }),
    note: t.exposeString("note", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

/** One connection type for a user's own ledger and an admin's view of anyone's. */
const LedgerEntryConnection = builder.connectionObject(
  { type: LedgerEntryRef, name: "LedgerEntryConnection" },
  { name: "LedgerEntryEdge" },
);

// newest first; id breaks ties so every cursor is stable
const NEWEST_FIRST = [{ createdAt: "desc" as const }, { id: "desc" as const }];

builder.prismaObjectField("User", "ledger", (t) =>
  t.relatedConnection(
    "ledger",
    { cursor: "id", description: "every movement of this user's money, newest first", query: { orderBy: NEWEST_FIRST } },
    LedgerEntryConnection,
  ),
);

builder.queryField("ledger", (t) =>
  t.prismaConnection(
    {
      type: "LedgerEntry",
      cursor: "id",
      ...adminOnly("the ledger of the user with that JWT subject, newest first"),
      args: { subject: t.arg.string({ required: true }) },
      resolve: (query, _root, { subject }, ctx) =>
        ctx.services.db.ledgerEntry.findMany({ ...query, where: { user: { subject } }, orderBy: NEWEST_FIRST }),
    },
    LedgerEntryConnection,
  ),
);

const UsageGroupType = builder.objectRef<UsageGroup>("UsageGroup").implement({
  description: "what the tasks of one group, created in the window, made and cost",
  fields: (t) => ({
    key: t.exposeString("key", { description: "the user's subject, the model, or the day (YYYY-MM-DD, UTC)" }),
    tasksCompleted: t.exposeInt("tasksCompleted"),
    seconds: t.exposeInt("seconds", { description: "seconds of video the completed tasks made" }),
    images: t.exposeInt("images", { description: "images the completed tasks made" }),
    charged: t.expose("charged", { type: "Money", description: "settled charges" }),
    held: t.expose("held", { type: "Money", description: "held now for tasks not yet settled or released" }),
  }),
});

const UsageGroupBy = builder.enumType("UsageGroupBy", {
  values: describedValues({
    USER: "by the subject of the task's owner",
    MODEL: "by the task's model",
    DAY: "by the UTC day the task was created, as YYYY-MM-DD",
  }),
});

builder.queryField("usage", (t) =>
  t.field({
    type: [UsageGroupType],
    ...adminOnly(`usage of the tasks created in [from, to), at most ${MAX_USAGE_DAYS} days, per group`),
    args: {
      from: t.arg({ type: "DateTime", required: true }),
      to: t.arg({ type: "DateTime", required: true }),
      groupBy: t.arg({ type: UsageGroupBy, required: true }),
    },
    resolve: (_root, { from, to, groupBy }, ctx) => usage(ctx.services.db, from, to, groupBy),
  }),
);
