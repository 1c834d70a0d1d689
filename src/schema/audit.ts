import { adminOnly, builder } from "../builder.js";
import { AuditAction as PrismaAuditAction } from "../generated/prisma/enums.js";

builder.scalarType("JSON", {
  description: "a JSON value (output only)",
  serialize: (value) => value,
  parseValue: () => {
    throw new TypeError("JSON is an output-only scalar");
  },
});

const AuditAction = builder.enumType(PrismaAuditAction, {
  name: "AuditAction",
  description: "what an admin (or an operator's command) changed",
});

builder.prismaNode("AuditEntry", {
  id: { field: "id" },
  description: "one admin action: who changed what, when, and the target before and after (never a secret: a channel key only as its hint)",
  authScopes: { admin: true },
  nullable: true,
  fields: (t) => ({
    action: t.expose("action", { type: AuditAction }),
    actor: t.relation("actor", {
      nullable: true,
      description: "the admin who acted; null for an operator's command (npm run keys:rotate)",
    }),
    actorSubject: t.exposeString("actorSubject", { nullable: true, description: "the actor's JWT subject when they acted" }),
    targetType: t.exposeString("targetType", { description: "channel, user or price" }),
    target: t.exposeString("target", { description: `a channel's name, a user's subject, or a price's "<model> <size>"` }),
    before: t.expose("before", {
      type: "JSON",
      nullable: true,
      description: "the target before the change; null when it created the target",
    }),
    after: t.expose("after", { type: "JSON", nullable: true, description: "the target after the change" }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

builder.queryField("auditLog", (t) =>
  t.prismaConnection(
    {
      type: "AuditEntry",
      cursor: "id",
      ...adminOnly("every admin action, newest first"),
      resolve: (query, _root, _args, ctx) =>
        ctx.services.db.auditEntry.findMany({ ...query, orderBy: [{ createdAt: "desc" }, { id: "desc" }] }),
      totalCount: (_parent, _args, ctx) => ctx.services.db.auditEntry.count(),
    },
    { name: "AuditEntryConnection" },
    { name: "AuditEntryEdge" },
  ),
);
