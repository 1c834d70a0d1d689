import { extensionFor, sniffMediaType } from "../media/image-sniff.js";
import type { ProviderAdaptor, UpstreamSnapshot, UpstreamTask, ChannelConfig } from "../providers/types.js";
import { mediaKey, type MediaStorage } from "../storage/types.js";
import { PassThrough, type Readable } from "node:stream";

export interface MirroredMedia {
  videoKey: string;
  videoType: string;
  thumbnailKey: string | null;
  thumbnailType: string | null;
}

const FALLBACK_TYPE = { video: "video/mp4", thumbnail: "image/webp" } as const;
const SNIFF_BYTES = 16;

/**
 * Copies a finished task's media from the provider into storage as a stream: the
 * body is never held in memory. The thumbnail is optional; the video is not.
 */
export async function mirrorMedia(options: {
  adaptor: ProviderAdaptor;
  channel: ChannelConfig;
  task: UpstreamTask & { id: string; mediaType: "VIDEO" | "IMAGE" };
  snapshot: UpstreamSnapshot;
  storage: MediaStorage;
  signal?: AbortSignal;
}): Promise<MirroredMedia> {
  const { adaptor, channel, task, snapshot, storage, signal } = options;
  const main = await adaptor.download({ channel, task, snapshot, variant: "video", signal });
  if (!main) throw new Error("the provider has no media for a completed task");
  const video = await store(storage, task.id, "video", main.body, main.contentType);
  let thumbnail: { key: string; type: string } | null = null;
  if (task.mediaType === "VIDEO") {
    const thumb = await adaptor.download({ channel, task, snapshot, variant: "thumbnail", signal }).catch(() => null);
    if (thumb) thumbnail = await store(storage, task.id, "thumbnail", thumb.body, thumb.contentType).catch(() => null);
  }
  return { videoKey: video.key, videoType: video.type, thumbnailKey: thumbnail?.key ?? null, thumbnailType: thumbnail?.type ?? null };
}

async function store(storage: MediaStorage, taskId: string, variant: "video" | "thumbnail", body: Readable, declared: string | null) {
  // Providers often say application/octet-stream; the first bytes say what it really is.
  const { head, stream } = await peek(body, SNIFF_BYTES);
  const sniffed = sniffMediaType(head);
  const type = sniffed ?? usable(declared) ?? FALLBACK_TYPE[variant];
  const extension = sniffed ? extensionFor(sniffed) : type.split("/")[1].replace(/[^a-z0-9]/g, "") || "bin";
  const key = mediaKey(taskId, variant, extension);
  await storage.put(key, stream, { contentType: type });
  return { key, type };
}

const usable = (type: string | null) => {
  const base = type?.split(";")[0].trim().toLowerCase();
  return base && /^(video|image)\//.test(base) ? base : null;
};

/** Reads the first bytes of a stream and returns a stream that still yields all of them. */
async function peek(body: Readable, bytes: number): Promise<{ head: Uint8Array; stream: Readable }> {
  const chunks: Buffer[] = [];
  let length = 0;
  const iterator = body[Symbol.asyncIterator]();
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done) break;
    const chunk = Buffer.from(next.value as Uint8Array);
    chunks.push(chunk);
    length += chunk.length;
  }
  const out = new PassThrough();
  for (const chunk of chunks) out.write(chunk);
  (async () => {
    try {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        if (!out.write(next.value)) await new Promise((resolve) => out.once("drain", resolve));
      }
      out.end();
    } catch (err) {
      out.destroy(err as Error);
    }
  })();
  return { head: Buffer.concat(chunks).subarray(0, bytes), stream: out };
}
