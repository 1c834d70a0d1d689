import { builder } from "../builder.js";
import { badInput, notFound } from "../errors.js";
import { adaptorFor, knownProviders } from "../providers/index.js";

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MAX_WEIGHT = 1000;

/** Never the key itself: its first three and last four characters at most. */
export function maskKey(key: string): string {
  return key.length > 12 ? `${key.slice(0, 3)}...${key.slice(-4)}` : "****";
}

const CircuitState = builder.enumType("CircuitState", {
  values: {
    CLOSED: { description: "in rotation" },
    OPEN: { description: "out of rotation after repeated failures, until openUntil" },
    HALF_OPEN: { description: "the cool-down is over: the next submission is a trial that closes or reopens it" },
  } as const,
});

const ChannelHealth = builder
  .objectRef<{
    state: "CLOSED" | "OPEN" | "HALF_OPEN";
    consecutiveFailures: number;
    openUntil: Date | null;
    lastError: string | null;
    lastErrorAt: Date | null;
  }>("ChannelHealth")
  .implement({
    fields: (t) => ({
      state: t.field({ type: CircuitState, resolve: (h) => h.state }),
      consecutiveFailures: t.exposeInt("consecutiveFailures", {
        description: "submissions that failed in a row for the channel's own reasons",
      }),
      openUntil: t.expose("openUntil", { type: "DateTime", nullable: true }),
      lastError: t.exposeString("lastError", { nullable: true }),
      lastErrorAt: t.expose("lastErrorAt", { type: "DateTime", nullable: true }),
    }),
  });

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
    weight: t.exposeInt("weight", { description: "share of new tasks among enabled channels of the same priority" }),
    maxConcurrency: t.exposeInt("maxConcurrency", {
      nullable: true,
      description: "running tasks this channel takes at most; null = no limit",
    }),
    runningTasks: t.int({
      description: "tasks QUEUED or PROCESSING on this channel now",
      resolve: (channel, _args, ctx) =>
        ctx.services.db.task.count({ where: { channelId: channel.id, status: { in: ["QUEUED", "PROCESSING"] } } }),
    }),
    health: t.field({
      type: ChannelHealth,
      description: "the circuit breaker: whether the channel is in rotation, and why not",
      select: { consecutiveFailures: true, circuitOpenUntil: true, lastError: true, lastErrorAt: true },
      resolve: (channel, _args, ctx) => {
        const open = channel.circuitOpenUntil !== null && channel.circuitOpenUntil.getTime() > Date.now();
        const tripped = channel.consecutiveFailures >= ctx.services.config.circuitFailureThreshold;
        return {
          state: (open ? "OPEN" : tripped ? "HALF_OPEN" : "CLOSED") as "OPEN" | "HALF_OPEN" | "CLOSED",
          consecutiveFailures: channel.consecutiveFailures,
          openUntil: open ? channel.circuitOpenUntil : null,
          lastError: channel.lastError,
          lastErrorAt: channel.lastErrorAt,
        };
      },
    }),
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
    weight: t.int({ defaultValue: 1, description: "1 to 1000: share of new tasks among channels of the same priority" }),
    maxConcurrency: t.int({ description: "running tasks this channel takes at most; omit or null for no limit" }),
  }),
});

builder.queryField("channels", (t) =>
  t.prismaField({
    type: ["Channel"],
    description: "ADMIN only",
    authScopes: { admin: true },
    resolve: (query, _root, _args, ctx) => ctx.services.db.channel.findMany({ ...query, orderBy: [{ priority: "desc" }, { name: "asc" }] }),
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
        weight: input.weight ?? 1,
        maxConcurrency: input.maxConcurrency ?? null,
      };
      if (!Number.isInteger(data.weight) || data.weight < 1 || data.weight > MAX_WEIGHT)
        throw badInput(`weight must be 1 to ${MAX_WEIGHT}`, { field: "weight" });
      if (data.maxConcurrency !== null && data.maxConcurrency < 1)
        throw badInput("maxConcurrency must be at least 1, or null for no limit", { field: "maxConcurrency" });
      return ctx.services.db.channel.upsert({ ...query, where: { name: input.name }, create: { name: input.name, ...data }, update: data });
    },
  }),
);

builder.mutationField("resetChannelHealth", (t) =>
  t.prismaField({
    type: "Channel",
    description: "ADMIN only: puts a channel back into rotation at once and clears its failure count",
    authScopes: { admin: true },
    args: { name: t.arg.string({ required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const found = await ctx.services.db.channel.findUnique({ where: { name: args.name }, select: { id: true } });
      if (!found) throw notFound(`No channel named "${args.name}"`);
      return ctx.services.db.channel.update({
        ...query,
        where: { id: found.id },
        data: { consecutiveFailures: 0, circuitOpenUntil: null },
      });
    },
  }),
);
