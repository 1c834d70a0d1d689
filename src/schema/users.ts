import { grantCredit } from "../billing/credit.js";
import { adminOnly, builder } from "../builder.js";
import type { Context } from "../context.js";
import type { Prisma } from "../db/index.js";
import { badInput } from "../errors.js";
import { Role as PrismaRole } from "../generated/prisma/enums.js";
import { MAX_SUBJECT_LENGTH } from "../limits.js";
import { createUser, disableUser, setUserRole } from "../users.js";

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
    spent: t.field({
      type: "Money",
      description: "settled charges of finished tasks, in total",
      // loaded with the user rows in one query, never one per user
      select: { ledger: { where: { kind: "SETTLE" }, select: { amount: true } } },
      resolve: (user) => user.ledger.reduce((sum, entry) => sum + entry.amount, 0n),
    }),
    disabledAt: t.expose("disabledAt", {
      type: "DateTime",
      nullable: true,
      description: "when an admin disabled this user; its tokens and API keys are refused since",
    }),
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

builder.queryField("users", (t) =>
  t.prismaConnection(
    {
      type: "User",
      cursor: "subject",
      ...adminOnly("every user, ordered by subject"),
      args: { search: t.arg.string({ description: `a part of the subject, any case (at most ${MAX_SUBJECT_LENGTH} characters)` }) },
      resolve: (query, _root, { search }, ctx) =>
        ctx.services.db.user.findMany({ ...query, where: userSearch(search), orderBy: { subject: "asc" } }),
      totalCount: (_parent, { search }, ctx) => ctx.services.db.user.count({ where: userSearch(search) }),
    },
    { name: "UserConnection" },
    { name: "UserEdge" },
  ),
);

function userSearch(search: string | null | undefined) {
  if (!search) return {};
  if (search.length > MAX_SUBJECT_LENGTH) throw badInput(`search must be at most ${MAX_SUBJECT_LENGTH} characters`);
  return { subject: { contains: search, mode: "insensitive" as const } };
}

/** The user a mutation changed, read again with the client's selection. */
const userById = (ctx: Context, query: { include?: Prisma.UserInclude; select?: Prisma.UserSelect }, id: string) =>
  ctx.services.db.user.findUniqueOrThrow({ ...query, where: { id } });

builder.mutationFields((t) => {
  type SubjectRoleChange = (
    db: Context["services"]["db"],
    actor: NonNullable<Context["currentUser"]>,
    subject: string,
    role: PrismaRole,
  ) => Promise<string>;
  /** A mutation taking a subject and a role, answering with the user it made or changed. */
  const subjectAndRoleMutation = (description: string, change: SubjectRoleChange) =>
    t.prismaField({
      type: "User",
      ...adminOnly(description),
      args: { subject: t.arg.string({ required: true }), role: t.arg({ type: Role, required: true }) },
      resolve: async (query, _root, { subject, role }, ctx) =>
        userById(ctx, query, await change(ctx.services.db, ctx.currentUser!, subject, role)),
    });
  return {
    createUser: subjectAndRoleMutation("makes a user with that subject and role; CONFLICT when it exists", createUser),
    setUserRole: subjectAndRoleMutation(
      "gives the user with that subject a role (a JWT's role claim sets it again when the user signs in with one)",
      setUserRole,
    ),
    disableUser: t.prismaField({
      type: "User",
      ...adminOnly("refuses the user's tokens and API keys from now on, on every instance within a second; its running tasks finish"),
      args: { subject: t.arg.string({ required: true }) },
      resolve: async (query, _root, { subject }, ctx) =>
        userById(ctx, query, await disableUser(ctx.services.db, ctx.currentUser!, subject)),
    }),
  };
});
