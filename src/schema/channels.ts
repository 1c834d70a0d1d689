import { adminOnly, builder, describedValues } from "../builder.js";
import { channelHealth, type ChannelHealth as Health } from "../channels/health.js";
import { createRunningTasksLoader, type RunningTasksLoader } from "../channels/running.js";
import { channelKeyHint, deleteChannel, resetChannelHealth, updateChannel, upsertChannel } from "../channels/store.js";
import type { Context } from "../context.js";
import { WhenFull as PrismaWhenFull } from "../generated/prisma/enums.js";
import { knownProviders } from "../providers/index.js";

/** per request: every Channel.runningTasks of one response comes from one grouped query */
const runningTasksLoaders = new WeakMap<Context, RunningTasksLoader>();

function runningTasksOf(ctx: Context, channelId: string): Promise<number> {
  let load = runningTasksLoaders.get(ctx);
  if (!load) {
    load = createRunningTasksLoader(ctx.services.db);
    runningTasksLoaders.set(ctx, load);
  }
  return load(channelId);
}

const WhenFull = builder.enumType(PrismaWhenFull, {
  name: "WhenFull",
  description: "what a new task does when every channel that could take it is at its maxConcurrency",
  values: describedValues({
    QUEUE: "it waits in Reelay's queue for a slot on this channel and is submitted in order as one frees (VideoTask.queuePosition)",
    REFUSE: "createVideo is refused with RATE_LIMITED and nothing is charged",
  }),
});

const CircuitState = builder.enumType("CircuitState", {
  values: describedValues({
    CLOSED: "in rotation",
    OPEN: "out of rotation after repeated failures, until openUntil",
    HALF_OPEN: "the cool-down is over: the next submission is a trial that closes or reopens it",
  }),
});

const ChannelHealth = builder.objectRef<Health>("ChannelHealth").implement({
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
    pollsPerSecond: t.exposeInt("pollsPerSecond", {
      nullable: true,
      description: "provider polls per second for this channel's tasks, shared by every worker (a poll over it waits); null = no limit",
    }),
    whenFull: t.expose("whenFull", { type: WhenFull }),
    runningTasks: t.int({
      description: "tasks QUEUED or PROCESSING on this channel now, not counting those waiting for a slot (see queueDepth)",
      resolve: (channel, _args, ctx) => runningTasksOf(ctx, channel.id),
    }),
    health: t.field({
      type: ChannelHealth,
      description: "the circuit breaker: whether the channel is in rotation, and why not",
      select: { consecutiveFailures: true, circuitOpenUntil: true, lastError: true, lastErrorAt: true },
      resolve: (channel, _args, ctx) => channelHealth(channel, ctx.services.config.circuitFailureThreshold, ctx.services.clock.now()),
    }),
    apiKeyHint: t.string({
      description: "never the key itself: a masked form such as sk-...abcd",
      select: { apiKey: true },
      resolve: (channel, _args, ctx) => channelKeyHint(channel.apiKey, ctx.services.channelKeys),
    }),
  }),
});

const ChannelInput = builder.inputType("ChannelInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    provider: t.string({ required: true, description: `${knownProviders().join(" | ")} (more may exist)` }),
    baseUrl: t.string({ required: true }),
    apiKey: t.string({ required: true, description: "provider credential; for kling the form ACCESS_KEY:SECRET_KEY" }),
    models: t.stringList({ required: true }),
    enabled: t.boolean({ defaultValue: true }),
    priority: t.int({ defaultValue: 0 }),
    weight: t.int({ defaultValue: 1, description: "1 to 1000: share of new tasks among channels of the same priority" }),
    maxConcurrency: t.int({ description: "running tasks this channel takes at most; omit or null for no limit" }),
    pollsPerSecond: t.int({
      description: "provider polls per second for this channel's tasks, across every worker; omit or null for no limit",
    }),
    whenFull: t.field({ type: WhenFull, defaultValue: "QUEUE", description: "what a new task does when the channel is full" }),
  }),
});

const ChannelPatch = builder.inputType("ChannelPatch", {
  description: "a partial change to a channel: omitted fields stay as they are, the key included",
  fields: (t) => ({
    name: t.string({ description: "a new name for the channel; its tasks follow it" }),
    baseUrl: t.string(),
    apiKey: t.string({ description: "a new provider credential; omit it to keep the stored one" }),
    models: t.stringList(),
    enabled: t.boolean(),
    priority: t.int(),
    weight: t.int({ description: "1 to 1000: share of new tasks among channels of the same priority" }),
    maxConcurrency: t.int({ description: "running tasks this channel takes at most; null for no limit" }),
    pollsPerSecond: t.int({ description: "provider polls per second for this channel's tasks, across every worker; null for no limit" }),
    whenFull: t.field({ type: WhenFull, description: "what a new task does when the channel is full" }),
  }),
});

builder.queryField("channels", (t) =>
  t.prismaField({
    type: ["Channel"],
    ...adminOnly(),
    resolve: (query, _root, _args, ctx) =>
      ctx.services.db.channel.findMany({ ...query, where: { deletedAt: null }, orderBy: [{ priority: "desc" }, { name: "asc" }] }),
  }),
);

builder.mutationField("upsertChannel", (t) =>
  t.prismaField({
    type: "Channel",
    ...adminOnly(),
    args: { input: t.arg({ type: ChannelInput, required: true }) },
    resolve: (query, _root, { input }, ctx) =>
      upsertChannel(ctx.services.db, input, { keys: ctx.services.channelKeys, actor: ctx.currentUser!, query }),
  }),
);

builder.mutationField("resetChannelHealth", (t) =>
  t.prismaField({
    type: "Channel",
    ...adminOnly("puts a channel back into rotation at once and clears its failure count"),
    args: { name: t.arg.string({ required: true }) },
    resolve: (query, _root, args, ctx) => resetChannelHealth(ctx.services.db, args.name, { actor: ctx.currentUser!, query }),
  }),
);

builder.mutationField("updateChannel", (t) =>
  t.prismaField({
    type: "Channel",
    ...adminOnly("changes only the fields given; the key stays unless a new one is given"),
    args: { name: t.arg.string({ required: true }), patch: t.arg({ type: ChannelPatch, required: true }) },
    resolve: (query, _root, args, ctx) =>
      updateChannel(ctx.services.db, args.name, args.patch, { keys: ctx.services.channelKeys, actor: ctx.currentUser!, query }),
  }),
);

builder.mutationField("deleteChannel", (t) =>
  t.boolean({
    ...adminOnly("removes a channel from the list and routing, keeping its finished tasks readable; CONFLICT while tasks run on it"),
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => deleteChannel(ctx.services.db, args.name, { keys: ctx.services.channelKeys, actor: ctx.currentUser! }),
  }),
);
