import { PassThrough, type Readable } from "node:stream";
import { extensionFor, sniffMediaType } from "../media/image-sniff.js";
import { OCTET_STREAM } from "../media/media-type.js";
import type { ChannelConfig, MediaKind, ProviderAdaptor, UpstreamSnapshot, UpstreamTask } from "../providers/types.js";
import { type MediaStorage, mediaKey, type StoredObject } from "../storage/types.js";

export interface MirroredMedia {
  videoKey: string;
  videoType: string;
  thumbnailKey: string | null;
  thumbnailType: string | null;
  /** bytes copied into storage */
  bytes: number;
}

/**
 * Writing to storage failed while the provider's copy was readable: the media still
 * exists upstream, so the task can complete and be served through this server while
 * the mirror is retried. Any other mirror error is the provider's.
 */
export class StorageWriteError extends Error {
  constructor(cause: unknown) {
    super(`storing the media failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "StorageWriteError";
  }
}

const SNIFF_BYTES = 16;

/**
 * Copies a finished task's media from the provider into storage as a stream: the
 * body is never held in memory. The thumbnail is optional; the main media is not.
 */
export async function mirrorMedia(options: {
  adaptor: ProviderAdaptor;
  channel: ChannelConfig;
  task: UpstreamTask & { id: string; mediaType: MediaKind };
  snapshot: UpstreamSnapshot;
  storage: MediaStorage;
  signal?: AbortSignal;
  /** ALLOW_PRIVATE_NETWORKS: result URLs off the channel's origin may reach private addresses */
  allowPrivateNetworks?: boolean;
}): Promise<MirroredMedia> {
  const { adaptor, channel, task, snapshot, storage, signal, allowPrivateNetworks } = options;
  const main = await adaptor.download({ channel, task, snapshot, variant: "video", signal, allowPrivateNetworks });
  if (!main) throw new Error("the provider has no media for a completed task");
  const video = await store(storage, task.id, task.mediaType === "IMAGE" ? "image" : "video", main.body);
  let thumbnail: { key: string; type: string; size: number } | null = null;
  if (task.mediaType === "VIDEO") {
    const thumb = await adaptor.download({ channel, task, snapshot, variant: "thumbnail", signal, allowPrivateNetworks }).catch(() => null);
    if (thumb) thumbnail = await store(storage, task.id, "thumbnail", thumb.body).catch(() => null);
  }
  return {
    videoKey: video.key,
    videoType: video.type,
    thumbnailKey: thumbnail?.key ?? null,
    thumbnailType: thumbnail?.type ?? null,
    bytes: video.size + (thumbnail?.size ?? 0),
  };
}

/**
 * Streams one file into storage. Its type is what its first bytes say, never what the
 * provider declares: anything that is not a known video or image container is stored as
 * application/octet-stream (and served as an attachment), so no "video" can be a page.
 */
async function store(storage: MediaStorage, taskId: string, variant: "video" | "image" | "thumbnail", body: Readable) {
  const { head, stream, sourceFailed } = await peek(body, SNIFF_BYTES);
  const sniffed = sniffMediaType(head);
  const type = sniffed ?? OCTET_STREAM;
  const key = mediaKey(taskId, variant, sniffed ? extensionFor(sniffed) : "bin");
  let stored: StoredObject;
  try {
    stored = await storage.put(key, stream, { contentType: type });
  } catch (err) {
    const upstream = sourceFailed();
    if (upstream) throw upstream;
    throw new StorageWriteError(err);
  }
  return { key, type, size: stored.size };
}

/**
 * Reads the first bytes of a stream and returns a stream that still yields all of them,
 * with backpressure. `sourceFailed` tells whether it was the provider's side that broke.
 */
async function peek(body: Readable, bytes: number): Promise<{ head: Uint8Array; stream: Readable; sourceFailed: () => Error | null }> {
  const chunks: Buffer[] = [];
  let length = 0;
  let failure: Error | null = null;
  const iterator = body[Symbol.asyncIterator]();
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done) break;
    const chunk = Buffer.from(next.value as Uint8Array);
    chunks.push(chunk);
    length += chunk.length;
  }
  const out = new PassThrough();
  // Storage gave up (or finished early): stop reading from the provider.
  out.once("close", () => {
    if (!body.readableEnded) body.destroy();
  });
  for (const chunk of chunks) out.write(chunk);
  (async () => {
    try {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        if (out.destroyed) return;
        if (!out.write(next.value)) await drainedOrClosed(out);
      }
      out.end();
    } catch (err) {
      if (out.destroyed) return; // our own destroy() above, not the provider
      failure = err as Error;
      out.destroy(failure);
    }
  })();
  return { head: Buffer.concat(chunks).subarray(0, bytes), stream: out, sourceFailed: () => failure };
}

function drainedOrClosed(stream: PassThrough) {
  return new Promise<void>((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}
