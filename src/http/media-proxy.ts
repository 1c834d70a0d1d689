import type { Services } from "../context.js";
import { upstreamOf } from "../providers/channel.js";
import { completedSnapshot } from "../worker/media-jobs.js";
import type { MediaProxy } from "./media.js";

/**
 * Serves a completed task's media straight from its provider, with the channel's key,
 * while the mirror into storage is still pending. The URL stays valid after the mirror
 * lands: it then serves the stored copy.
 */
export function createMediaProxy(services: Services): MediaProxy {
  return async (taskId, variant, range) => {
    const task = await services.db.task.findFirst({ where: { id: taskId, status: "COMPLETED" }, include: { channel: true } });
    if (!task) return null;
    const storedKey = variant === "video" ? task.videoKey : task.thumbnailKey;
    if (storedKey) return { storedKey };
    const target = task.mediaStatus === "PROXIED" ? upstreamOf(task, services.channelKeys) : null;
    if (!target?.upstream) return null;
    try {
      const download = await target.adaptor.download({
        channel: target.channel,
        task: target.upstream,
        snapshot: completedSnapshot(task),
        variant,
        range,
        allowPrivateNetworks: services.config.allowPrivateNetworks,
      });
      return download ? { download } : null;
    } catch (err) {
      services.logger.warn({ taskId, variant, err: String(err) }, "serving media from the provider failed");
      return null;
    }
  };
}
