import type { ChannelKeys } from "../channels/secret-box.js";
import type { Channel, Task } from "../generated/prisma/client.js";
import { adaptorFor } from "./index.js";
import { redactingKey } from "./key-redaction.js";
import type { ChannelConfig, ProviderAdaptor, UpstreamTask } from "./types.js";

/** The columns of a channel an adaptor calls the provider with. */
export type ChannelFields = Pick<Channel, "id" | "name" | "provider" | "baseUrl" | "apiKey">;

/**
 * What an adaptor sees of a channel: its name, protocol, address and key, the key opened
 * from its sealed form here and nowhere else.
 */
export const channelConfig = (channel: ChannelFields, keys: ChannelKeys): ChannelConfig => ({
  id: channel.id,
  name: channel.name,
  provider: channel.provider,
  baseUrl: channel.baseUrl,
  apiKey: keys.open(channel.apiKey),
});

/**
 * A task row with its channel, or a task about to be submitted on a channel (no upstream
 * job yet): what it takes to call its provider.
 */
export type UpstreamRow = Pick<Task, "provider" | "model"> &
  Partial<Pick<Task, "upstreamId" | "upstreamState">> & { channel: ChannelFields };

/** Everything a call to a task's provider needs. */
export interface TaskUpstream {
  /** the protocol of the task's provider; errors it reports never carry the channel's key */
  adaptor: ProviderAdaptor;
  /** the channel the task runs on */
  channel: ChannelConfig;
  /** the provider's job, once the provider accepted the task; null before */
  upstream: UpstreamTask | null;
}

/** The adaptor, channel and upstream job of a task; null when no adaptor speaks its provider's protocol. */
export function upstreamOf(task: UpstreamRow, keys: ChannelKeys): TaskUpstream | null {
  const adaptor = adaptorFor(task.provider);
  if (!adaptor) return null;
  const upstream = task.upstreamId ? { upstreamId: task.upstreamId, state: task.upstreamState ?? null, model: task.model } : null;
  const channel = channelConfig(task.channel, keys);
  return { adaptor: redactingKey(adaptor, channel.apiKey), channel, upstream };
}
