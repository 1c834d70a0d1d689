import { builder } from "../builder.js";
import { badInput } from "../errors.js";
import { knownProviders, adaptorFor } from "../providers/index.js";

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Never the key itself: its first three and last four characters at most. */
export function maskKey(key: string): string {
  return key.length > 12 ? `${key.slice(0, 3)}...${key.slice(-4)}` : "****";
}

builder.prismaNode("Channel", {
  id: { field: "id" },
  authScopes: { admin: true },
  nullable: true,
  fields: (t) => ({
    name: t.exposeString("name"),
    provider: t.exposeString("provider"),
    baseUrl: t.exposeString("baseUrl"),
    models: t.exposeStringList("models"),
    enabled: t.exposeBoolean("enabled"),
    priority: t.exposeInt("priority"),
    apiKeyHint: t.string({
      description: "never the key itself: a masked form such as sk-...abcd",
      select: { apiKey: true },
      resolve: (channel) => maskKey(channel.apiKey),
    }),
  }),
});

const ChannelInput = builder.inputType("ChannelInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    provider: t.string({ required: true, description: "openai | gemini | kling | dashscope | seedance | chat-sse (more may exist)" }),
    baseUrl: t.string({ required: true }),
    apiKey: t.string({ required: true, description: "provider credential; for kling the form ACCESS_KEY:SECRET_KEY" }),
    models: t.stringList({ required: true }),
    enabled: t.boolean({ defaultValue: true }),
    priority: t.int({ defaultValue: 0 }),
  }),
});

builder.queryField("channels", (t) =>
  t.prismaField({
    type: ["Channel"],
    description: "ADMIN only",
    authScopes: { admin: true },
    resolve: (query, _root, _args, ctx) =>
      ctx.services.db.channel.findMany({ ...query, orderBy: [{ priority: "desc" }, { name: "asc" }] }),
  }),
);

builder.mutationField("upsertChannel", (t) =>
  t.prismaField({
    type: "Channel",
    description: "ADMIN only",
    authScopes: { admin: true },
    args: { input: t.arg({ type: ChannelInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      if (!NAME_PATTERN.test(input.name)) throw badInput("name must be 1 to 64 letters, digits, '.', '_' or '-'", { field: "name" });
      if (!adaptorFor(input.provider)) {
        throw badInput(`provider must be one of ${knownProviders().join(", ")}`, { field: "provider", allowed: knownProviders() });
      }
      let url: URL;
      try {
        url = new URL(input.baseUrl);
      } catch {
        throw badInput("baseUrl must be an absolute http(s) URL", { field: "baseUrl" });
      }
      if (url.protocol !== "https:" && url.protocol !== "http:") throw badInput("baseUrl must be an http(s) URL", { field: "baseUrl" });
      const models = [...new Set(input.models.map((m) => m.trim()).filter(Boolean))];
      if (models.length === 0) throw badInput("models must name at least one model", { field: "models" });
      if (input.apiKey.trim() === "") throw badInput("apiKey must not be empty", { field: "apiKey" });
      const data = {
        provider: input.provider,
        baseUrl: url.toString().replace(/\/+$/, ""),
        apiKey: input.apiKey.trim(),
        models,
        enabled: input.enabled ?? true,
        priority: input.priority ?? 0,
      };
      return ctx.services.db.channel.upsert({ ...query, where: { name: input.name }, create: { name: input.name, ...data }, update: data });
    },
  }),
);
