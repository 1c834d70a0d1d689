import { grantCredit } from "../billing/credit.js";
import { adminOnly, builder } from "../builder.js";
import { Role as PrismaRole } from "../generated/prisma/enums.js";

const Role = builder.enumType(PrismaRole, { name: "Role" });

builder.prismaNode("User", {
  id: { field: "id" },
  // a user can look up only themselves; an admin anyone
  findUnique: (id, ctx) => (ctx.currentUser?.role === "ADMIN" ? { id } : { id, subject: ctx.currentUser?.subject ?? "" }),
  nullable: true,
  fields: (t) => ({
    subject: t.exposeString("subject", { description: "the JWT sub claim that identifies this user" }),
    role: t.expose("role", { type: Role }),
    balance: t.expose("balance", { type: "Money", description: "spendable balance: credited minus settled minus currently held" }),
    held: t.expose("held", { type: "Money", description: "currently held for running tasks" }),
  }),
});

builder.queryField("me", (t) =>
  t.prismaField({
    type: "User",
    description: "the caller; requires authentication",
    authScopes: { loggedIn: true },
    resolve: (query, _root, _args, ctx) => ctx.services.db.user.findUniqueOrThrow({ ...query, where: { id: ctx.currentUser!.id } }),
  }),
);

builder.mutationField("grantCredit", (t) =>
  t.prismaField({
    type: "User",
    ...adminOnly(
      "adds amount (may be negative, never below zero balance) to the balance of the user with that JWT subject; creates the user if unknown",
    ),
    args: {
      subject: t.arg.string({ required: true }),
      amount: t.arg({ type: "Money", required: true }),
      note: t.arg.string({ description: "kept on the ledger row" }),
    },
    resolve: async (query, _root, { subject, amount, note }, ctx) => {
      const { db } = ctx.services;
      const actor = ctx.currentUser!;
      const id = await grantCredit(db, { subject, amount, note: note ?? `granted by ${actor.subject}`, actor });
      return db.user.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);
