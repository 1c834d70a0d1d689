import { Readable } from "node:stream";
import { fromNetworkError, UpstreamError } from "./errors.js";
import type { Download, ProviderAdaptor } from "./types.js";

/** API calls (not downloads) give up after this long */
export const API_TIMEOUT_MS = 30_000;

/** fetch with a timeout; network failures become transient UpstreamErrors. */
export async function upstreamFetch(url: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<Response> {
  const { timeoutMs = API_TIMEOUT_MS, signal, ...rest } = init;
  const signals = [AbortSignal.timeout(timeoutMs), ...(signal ? [signal] : [])];
  try {
    return await fetch(url, { ...rest, signal: AbortSignal.any(signals), redirect: rest.redirect ?? "follow" });
  } catch (err) {
    throw fromNetworkError(err);
  }
}

/** Reads a JSON body; a non-JSON body becomes a transient error (gateways answer HTML when they break). */
export async function readJson<T>(res: Response): Promise<T> {
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new UpstreamError("transient", "BAD_RESPONSE", `the provider answered HTTP ${res.status} with a body that is not JSON`, {
      status: res.status,
    });
  }
}

/** A streaming download: the body is handed on unread, so memory stays flat whatever the size. */
export function toDownload(res: Response): Download {
  if (!res.body) throw new UpstreamError("transient", "EMPTY_BODY", "the provider sent no content");
  const length = res.headers.get("content-length");
  const download: Download = {
    body: Readable.fromWeb(res.body as import("node:stream/web").ReadableStream),
    contentType: res.headers.get("content-type"),
    contentLength: length && /^\d+$/.test(length) ? Number(length) : null,
  };
  const range = res.status === 206 && /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get("content-range") ?? "");
  if (range) download.range = { start: Number(range[1]), end: Number(range[2]), total: range[3] === "*" ? null : Number(range[3]) };
  return download;
}

/** The Range header for an inclusive byte range, or nothing. */
export const rangeHeader = (range?: { start: number; end: number }): Record<string, string> =>
  range ? { range: `bytes=${range.start}-${range.end >= Number.MAX_SAFE_INTEGER ? "" : range.end}` } : {};

/** Joins a channel's base URL (origin, maybe with a path prefix) and an API path. */
export const joinUrl = (base: string, path: string) => `${base.replace(/\/+$/, "")}${path}`;

/**
 * For providers that report no progress: an estimate that rises with the time since
 * submission over a typical generation time and stops short of done.
 */
export function estimatedProgress(submittedAt: number | undefined, typicalMs: number, now = Date.now()): number {
  if (!submittedAt) return 0;
  const MAX_ESTIMATE = 90;
  return Math.max(0, Math.min(MAX_ESTIMATE, Math.floor(((now - submittedAt) / typicalMs) * MAX_ESTIMATE)));
}

/**
 * For providers whose finished task names a plain (CDN or signed) URL: download it with no
 * credentials. A snapshot without the URL (e.g. a task mirrored again later) polls for it.
 */
export async function downloadResultUrl(adaptor: ProviderAdaptor, options: Parameters<ProviderAdaptor["download"]>[0]): Promise<Download | null> {
  const { channel, task, snapshot, variant, range, signal } = options;
  if (variant === "thumbnail") return null; // these providers make none
  const urlOf = (s: { result?: unknown }) => (s.result as { url?: string } | undefined)?.url;
  const url = urlOf(snapshot) ?? urlOf(await adaptor.poll({ channel, task, signal }));
  if (!url) throw new UpstreamError("not_found", "NO_MEDIA", "the task names no video");
  const res = await upstreamFetch(url, { headers: rangeHeader(range), signal, timeoutMs: 30 * 60_000 });
  if (!res.ok) {
    await res.body?.cancel();
    // Expired signed links answer 403 or 404: the copy is gone.
    const kind = res.status === 403 || res.status === 404 || res.status === 410 ? "not_found" : "transient";
    throw new UpstreamError(kind, `HTTP_${res.status}`, "the video could not be downloaded", { status: res.status });
  }
  return toDownload(res);
}
