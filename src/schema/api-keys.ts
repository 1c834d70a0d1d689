import { createApiKey, MAX_ACTIVE_API_KEYS, MAX_API_KEY_NAME_LENGTH, revokeApiKey, userForSubject } from "../api-keys.js";
import { builder } from "../builder.js";
import { ErrorCode, ReelayError } from "../errors.js";

builder.prismaObject("ApiKey", {
  description: "a personal API key: sent as Authorization: Bearer sk-rl-…, it acts as its user with their role",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    hint: t.exposeString("hint", { description: "never the key itself: a masked form such as sk-rl-…abcd" }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    lastUsedAt: t.expose("lastUsedAt", { type: "DateTime", nullable: true, description: "to the minute; null if never used" }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true, description: "null: works until revoked" }),
    revokedAt: t.expose("revokedAt", { type: "DateTime", nullable: true }),
  }),
});

builder.prismaObjectField("User", "apiKeys", (t) =>
  t.relation("apiKeys", {
    description: "the user's API keys, newest first, revoked and expired ones included",
    query: { orderBy: [{ createdAt: "desc" }, { id: "desc" }] },
  }),
);

const CreateApiKeyInput = builder.inputType("CreateApiKeyInput", {
  fields: (t) => ({
    name: t.string({ required: true, description: `what the key is for, 1 to ${MAX_API_KEY_NAME_LENGTH} characters` }),
    expiresAt: t.field({ type: "DateTime", description: "in the future; unset: the key works until revoked" }),
    subject: t.string({ description: "ADMIN only: make the key for the user with this subject (created if unknown)" }),
  }),
});

const CreateApiKeyPayload = builder.objectRef<{ key: string; id: string }>("CreateApiKeyPayload").implement({
  fields: (t) => ({
    key: t.exposeString("key", { description: "the key itself, shown this once: Reelay keeps only its hash" }),
    apiKey: t.prismaField({
      type: "ApiKey",
      resolve: (query, payload, _args, ctx) => ctx.services.db.apiKey.findUniqueOrThrow({ ...query, where: { id: payload.id } }),
    }),
  }),
});

builder.mutationField("createApiKey", (t) =>
  t.field({
    type: CreateApiKeyPayload,
    description: `a new API key for the caller (or, for an admin, for subject's user); at most ${MAX_ACTIVE_API_KEYS} active keys per user`,
    authScopes: { loggedIn: true },
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const caller = ctx.currentUser!;
      const { db, clock } = ctx.services;
      const forOther = input.subject != null && input.subject !== caller.subject;
      if (forOther && caller.role !== "ADMIN") throw new ReelayError(ErrorCode.FORBIDDEN, "Only an admin makes API keys for other users");
      const subject = forOther ? input.subject! : caller.subject;
      const userId = forOther ? await userForSubject(db, subject) : caller.id;
      return createApiKey(
        db,
        {
          userId,
          subject,
          name: input.name,
          expiresAt: input.expiresAt ?? null,
          audit: forOther ? { actor: { id: caller.id, subject: caller.subject } } : null,
        },
        clock.now(),
      );
    },
  }),
);

builder.mutationField("revokeApiKey", (t) =>
  t.prismaField({
    type: "ApiKey",
    description: "revokes one of the caller's keys (an admin: anyone's); refused on every instance within a second",
    authScopes: { loggedIn: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, { id }, ctx) => {
      const { db, clock } = ctx.services;
      const revoked = await revokeApiKey(db, String(id), ctx.currentUser!, clock.now());
      return db.apiKey.findUniqueOrThrow({ ...query, where: { id: revoked } });
    },
  }),
);
