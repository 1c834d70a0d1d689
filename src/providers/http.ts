import type { Readable } from "node:stream";
import { Agent, type Dispatcher, interceptors, request } from "undici";
import { type ErrorDialect, fromNetworkError, readUpstreamError, UpstreamError } from "./errors.js";
import type { Download, ProviderAdaptor } from "./types.js";

/** API calls (not downloads) give up after this long */
export const API_TIMEOUT_MS = 30_000;
/** a media download (the finished video, possibly gigabytes) gives up after this long; the caller's signal may cut it shorter */
const DOWNLOAD_TIMEOUT_MS = 30 * 60_000;
/** an exchange that receives nothing for this long is given up, whatever its overall timeout */
const STALL_MS = 5 * 60_000;

// One keep-alive pool per provider origin for the whole process. undici's request() is
// used rather than fetch(): a poll costs a fraction of the CPU (no WHATWG streams or
// Response objects), and bodies arrive as Node streams that downloads pass on as they are.
const agent = new Agent({ keepAliveTimeout: 30_000, connect: { timeout: 10_000 } });
// Redirects are followed with the Authorization header dropped when the origin changes.
const following = agent.compose(interceptors.redirect({ maxRedirections: 5 }));

/** What the adaptors read of an upstream answer. */
export interface UpstreamResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  /** the body, unread: a Node stream, so a download flows through without being buffered */
  readonly body: Readable;
  text(): Promise<string>;
  /** drops the body unread and frees the connection */
  discard(): Promise<void>;
}

export interface UpstreamRequest {
  method?: Dispatcher.HttpMethod;
  headers?: Record<string, string>;
  body?: string | FormData;
  signal?: AbortSignal;
  /** the whole exchange, body included, must finish within this */
  timeoutMs?: number;
  /** "manual" hands a redirect back to the caller (who decides which headers go where) */
  redirect?: "follow" | "manual";
}

/** An HTTP call to a provider with a timeout; network failures become transient UpstreamErrors. */
export async function upstreamFetch(url: string, init: UpstreamRequest = {}): Promise<UpstreamResponse> {
  const { timeoutMs = API_TIMEOUT_MS, signal, redirect = "follow" } = init;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException("the provider did not answer in time", "TimeoutError")), timeoutMs);
  const onAbort = () => controller.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  const settled = () => {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  };
  try {
    const { headers, body } = await encodeBody(init);
    const res = await request(url, {
      method: init.method ?? "GET",
      headers,
      body,
      signal: controller.signal,
      dispatcher: redirect === "follow" ? following : agent,
      // The timer above bounds the whole exchange; these catch a connection gone silent
      // sooner, so a stalled 30-minute download does not hold its slot for 30 minutes.
      headersTimeout: Math.min(timeoutMs, STALL_MS),
      bodyTimeout: Math.min(timeoutMs, STALL_MS),
    });
    res.body.once("close", settled);
    // A body nobody reads may still be cut off (timeout, abort); that must not crash the process.
    // Readers (pipeline, for await) see the error through their own listeners.
    res.body.on("error", () => {});
    return responseOf(res);
  } catch (err) {
    settled();
    throw fromNetworkError(err);
  }
}

/** A multipart form is encoded up front (it holds one reference image, already in memory), with its boundary. */
async function encodeBody(init: UpstreamRequest): Promise<{ headers?: Record<string, string>; body?: string | Buffer }> {
  if (!(init.body instanceof FormData)) return { headers: init.headers, body: init.body };
  const encoded = new Response(init.body);
  return {
    headers: { ...init.headers, "content-type": encoded.headers.get("content-type")! },
    body: Buffer.from(await encoded.arrayBuffer()),
  };
}

function responseOf(res: Dispatcher.ResponseData): UpstreamResponse {
  const { statusCode, headers, body } = res;
  return {
    status: statusCode,
    ok: statusCode >= 200 && statusCode < 300,
    headers: {
      get(name) {
        const value = headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
      },
    },
    body,
    text: () => body.text().catch((err: unknown) => Promise.reject(fromNetworkError(err))),
    // reads a short body to its end (the connection is reused), closes on a long one
    discard: () => body.dump().catch(() => {}),
  };
}

/** A GET of media, which may be large: the long download timeout, and the byte range when one is asked for. */
export function fetchMedia(
  url: string,
  init: Pick<UpstreamRequest, "headers" | "signal" | "redirect"> & { range?: { start: number; end: number } },
): Promise<UpstreamResponse> {
  const { range, headers, ...rest } = init;
  return upstreamFetch(url, { ...rest, headers: { ...headers, ...rangeHeader(range) }, timeoutMs: DOWNLOAD_TIMEOUT_MS });
}

/** A POST of a JSON body. */
export function postJson(url: string, init: Omit<UpstreamRequest, "method" | "body"> & { json: unknown }): Promise<UpstreamResponse> {
  const { json, headers, ...rest } = init;
  return upstreamFetch(url, {
    ...rest,
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify(json),
  });
}

/** Stops a job with a DELETE; a job the provider no longer knows counts as stopped. */
export async function deleteJob<Body>(
  url: string,
  init: Pick<UpstreamRequest, "headers" | "signal">,
  dialect: ErrorDialect<Body>,
): Promise<void> {
  const res = await upstreamFetch(url, { ...init, method: "DELETE" });
  if (res.ok || res.status === 404) {
    await res.discard();
    return;
  }
  throw await readUpstreamError(res, dialect);
}

/** An accepted answer that lacks the job's id: the provider (or a gateway) misbehaved, and trying again may work. */
export const missingId = (res: UpstreamResponse, what: string) =>
  new UpstreamError("transient", "BAD_RESPONSE", `the provider's answer has no ${what}`, { status: res.status });

/** Reads a JSON body; a non-JSON body becomes a transient error (gateways answer HTML when they break). */
export async function readJson<T>(res: UpstreamResponse): Promise<T> {
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
export function toDownload(res: UpstreamResponse): Download {
  const length = res.headers.get("content-length");
  const download: Download = {
    body: res.body,
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
 * For providers whose finished task names a plain (CDN or signed) URL: download it with no
 * credentials. A snapshot without the URL (e.g. a task mirrored again later) polls for it.
 */
export async function downloadResultUrl(
  adaptor: ProviderAdaptor,
  options: Parameters<ProviderAdaptor["download"]>[0],
): Promise<Download | null> {
  const { channel, task, snapshot, variant, range, signal } = options;
  if (variant === "thumbnail") return null; // these providers make none
  const urlOf = (s: { result?: unknown }) => (s.result as { url?: string } | undefined)?.url;
  const url = urlOf(snapshot) ?? urlOf(await adaptor.poll({ channel, task, signal }));
  if (!url) throw new UpstreamError("not_found", "NO_MEDIA", "the task names no video");
  const res = await fetchMedia(url, { range, signal });
  if (!res.ok) {
    await res.discard();
    // Expired signed links answer 403 or 404: the copy is gone.
    const kind = res.status === 403 || res.status === 404 || res.status === 410 ? "not_found" : "transient";
    throw new UpstreamError(kind, `HTTP_${res.status}`, "the video could not be downloaded", { status: res.status });
  }
  return toDownload(res);
}
