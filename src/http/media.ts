import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { dispositionFor, safeMediaType } from "../media/media-type.js";
import type { Download } from "../providers/types.js";
import type { MediaStorage } from "../storage/types.js";

export const MEDIA_PATH_PREFIX = "/media/";
const CACHE_CONTROL = "private, max-age=3600";
/**
 * On every answer under /media, errors included: the browser takes the type as given (no
 * sniffing a "video" into a page), and a document opened from here runs nothing and loads nothing.
 */
export const MEDIA_SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "content-security-policy": "default-src 'none'; sandbox",
} as const;

/** Content-Type (allowed media types only) and, for anything else, Content-Disposition: attachment. */
function typeHeaders(declared: string | null): Record<string, string> {
  const type = safeMediaType(declared);
  const disposition = dispositionFor(type);
  return { "content-type": type, ...(disposition ? { "content-disposition": disposition } : {}) };
}
/** signed keys under this prefix name a task's media at the provider, not an object in storage */
const PROXY_PREFIX = "proxy/";
export const proxyKey = (taskId: string, variant: "video" | "thumbnail") => `${PROXY_PREFIX}${taskId}/${variant}`;

/**
 * Where a task's media is fetched from: the storage's public URL, else a signed URL on this
 * server; while it is not mirrored yet, a signed URL that serves the provider's copy. Null
 * when there is none (not finished, lost, expired).
 */
export function taskMediaUrl(
  services: { storage: MediaStorage; signer: MediaSigner },
  task: { id: string; mediaStatus: string | null; videoKey: string | null; thumbnailKey: string | null },
  variant: "video" | "thumbnail",
): string | null {
  const key = variant === "video" ? task.videoKey : task.thumbnailKey;
  if (key) return services.storage.publicUrl(key) ?? services.signer.url(key);
  return task.mediaStatus === "PROXIED" ? services.signer.url(proxyKey(task.id, variant)) : null;
}

/**
 * Serves a completed task's media from the provider while it is not in storage yet.
 * Answers the storage key instead once the media has been mirrored; null when there is nothing to serve.
 */
export type MediaProxy = (
  taskId: string,
  variant: "video" | "thumbnail",
  range: { start: number; end: number } | undefined,
) => Promise<{ storedKey: string } | { download: Download } | null>;

/**
 * Signed, expiring media URLs: a browser can put them in <video src> without an
 * Authorization header, and nobody can guess or extend one.
 */
export function createMediaSigner(secret: string, publicBaseUrl: () => string, ttlSeconds: number) {
  const key = createHmac("sha256", "reelay-media-url").update(secret).digest();
  const signature = (objectKey: string, expires: number) =>
    createHmac("sha256", key).update(`${objectKey}\n${expires}`).digest("base64url");
  return {
    url(objectKey: string, now = Date.now()): string {
      // Rounded up to the TTL window so the URL (and the browser's cache) stays stable for a while.
      const expires = Math.ceil(now / 1000 / ttlSeconds) * ttlSeconds + ttlSeconds;
      return `${publicBaseUrl()}${MEDIA_PATH_PREFIX}${objectKey.split("/").map(encodeURIComponent).join("/")}?expires=${expires}&sig=${signature(objectKey, expires)}`;
    },
    verify(objectKey: string, expires: string | null, sig: string | null, now = Date.now()): boolean {
      if (!expires || !sig || !/^\d+$/.test(expires) || Number(expires) * 1000 < now) return false;
      const expected = Buffer.from(signature(objectKey, Number(expires)));
      const given = Buffer.from(sig);
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}
export type MediaSigner = ReturnType<typeof createMediaSigner>;

/** Parses a single `bytes=` range against a size; "invalid" means 416. Multi-range is served whole. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | "invalid" | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return null;
  const [, from, to] = m;
  if (from === "" && to === "") return "invalid";
  let start: number;
  let end: number;
  if (from === "") {
    start = Math.max(0, size - Number(to)); // suffix range: the last N bytes
    end = size - 1;
  } else {
    start = Number(from);
    end = to === "" ? size - 1 : Math.min(Number(to), size - 1);
  }
  if (start > end || start >= size) return "invalid";
  return { start, end };
}

/**
 * GET/HEAD /media/<key>?expires=&sig=: once the signature holds, answers as
 * serveMediaObject does. Every answer carries MEDIA_SECURITY_HEADERS.
 */
export async function serveMedia(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  storage: MediaStorage,
  signer: MediaSigner,
  proxy?: MediaProxy,
) {
  for (const [name, value] of Object.entries(MEDIA_SECURITY_HEADERS)) res.setHeader(name, value);
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD" }).end();
    return;
  }
  let objectKey: string;
  try {
    objectKey = decodeURIComponent(url.pathname.slice(MEDIA_PATH_PREFIX.length));
  } catch {
    res.writeHead(400, { "content-type": "text/plain" }).end("Bad request"); // malformed percent-encoding
    return;
  }
  if (!signer.verify(objectKey, url.searchParams.get("expires"), url.searchParams.get("sig"))) {
    res.writeHead(403, { "content-type": "text/plain" }).end("Forbidden");
    return;
  }
  await serveMediaObject(req, res, objectKey, storage, proxy);
}

/**
 * Answers a GET or HEAD of one media object whose access the caller has already checked (a
 * signed URL, an authenticated owner): streams it from storage with Range, ETag and caching
 * headers, or, for a proxyKey, the provider's copy while the mirror is pending. Every
 * answer carries MEDIA_SECURITY_HEADERS.
 */
export async function serveMediaObject(
  req: IncomingMessage,
  res: ServerResponse,
  key: string,
  storage: MediaStorage,
  proxy?: MediaProxy,
): Promise<void> {
  for (const [name, value] of Object.entries(MEDIA_SECURITY_HEADERS)) res.setHeader(name, value);
  let objectKey = key;
  if (objectKey.startsWith(PROXY_PREFIX)) {
    const stored = await serveFromProvider(req, res, objectKey, proxy);
    if (!stored) return;
    objectKey = stored;
  }
  const object = await storage.head(objectKey);
  if (!object) {
    res.writeHead(404, { "content-type": "text/plain" }).end("Not found");
    return;
  }
  const common = {
    "accept-ranges": "bytes",
    etag: object.etag,
    "last-modified": object.lastModified.toUTCString(),
    "cache-control": CACHE_CONTROL,
    // Objects stored before types were judged by their bytes may carry any type: checked again here.
    ...typeHeaders(object.contentType),
  };
  if (req.headers["if-none-match"] === object.etag) {
    res.writeHead(304, common).end();
    return;
  }
  // If-Range with a stale validator means "send the whole thing".
  const ifRange = req.headers["if-range"];
  const range = ifRange && ifRange !== object.etag ? null : parseRange(req.headers.range, object.size);
  if (range === "invalid") {
    res.writeHead(416, { ...common, "content-range": `bytes */${object.size}` }).end();
    return;
  }
  const status = range ? 206 : 200;
  const length = range ? range.end - range.start + 1 : object.size;
  const headers: Record<string, string | number> = { ...common, "content-length": length };
  if (range) headers["content-range"] = `bytes ${range.start}-${range.end}/${object.size}`;
  if (req.method === "HEAD") {
    res.writeHead(status, headers).end();
    return;
  }
  const found = await storage.get(objectKey, range ?? undefined);
  if (!found) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(status, headers);
  await pipeline(found.body, res).catch(() => res.destroy()); // the client went away mid-stream
}

/** Streams the provider's copy; returns the storage key instead when the media has been mirrored since. */
async function serveFromProvider(
  req: IncomingMessage,
  res: ServerResponse,
  key: string,
  proxy: MediaProxy | undefined,
): Promise<string | null> {
  const [taskId, variant] = key.slice(PROXY_PREFIX.length).split("/");
  const answer =
    proxy && (variant === "video" || variant === "thumbnail") ? await proxy(taskId, variant, explicitRange(req.headers.range)) : null;
  if (!answer) {
    res.writeHead(404, { "content-type": "text/plain" }).end("Not found");
    return null;
  }
  if ("storedKey" in answer) return answer.storedKey;
  const { download } = answer;
  const headers: Record<string, string | number> = {
    ...typeHeaders(download.contentType),
    "accept-ranges": "bytes",
    // a stopgap until the mirror lands: not worth caching
    "cache-control": "private, no-store",
  };
  if (download.contentLength !== null) headers["content-length"] = download.contentLength;
  if (download.range) headers["content-range"] = `bytes ${download.range.start}-${download.range.end}/${download.range.total ?? "*"}`;
  res.writeHead(download.range ? 206 : 200, headers);
  if (req.method === "HEAD") {
    download.body.destroy();
    res.end();
    return null;
  }
  await pipeline(download.body, res).catch(() => res.destroy());
  return null;
}

/** A `bytes=a-b` or `bytes=a-` range with an explicit start; anything else is served whole. */
function explicitRange(header: string | undefined): { start: number; end: number } | undefined {
  const m = header && /^bytes=(\d+)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = m[2] === "" ? Number.MAX_SAFE_INTEGER : Number(m[2]);
  return start <= end ? { start, end } : undefined;
}
