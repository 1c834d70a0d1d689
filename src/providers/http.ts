import type { IncomingMessage } from "node:http";
import { pipeline, type Readable, Transform } from "node:stream";
import { text as readText } from "node:stream/consumers";
import { Agent, type Dispatcher, request } from "undici";
import { ReelayError } from "../errors.js";
import { requestPinned, UnresolvedHostError, validateFetchTarget } from "../media/safe-fetch.js";
import { type ErrorDialect, fromNetworkError, readUpstreamError, UpstreamError } from "./errors.js";
import type { Download, ProviderAdaptor } from "./types.js";

/** Headers of a poll that must not be answered from a cache between Reelay and the provider (the stall check's). */
export const freshHeaders = (fresh: boolean | undefined): Record<string, string> =>
  fresh ? { "cache-control": "no-cache", pragma: "no-cache" } : {};

/** API calls (not downloads) give up after this long */
export const API_TIMEOUT_MS = 30_000;
/** a media download (the finished video, possibly gigabytes) gives up after this long; the caller's signal may cut it shorter */
const DOWNLOAD_TIMEOUT_MS = 30 * 60_000;
/** an exchange that receives nothing for this long is given up, whatever its overall timeout */
const STALL_MS = 5 * 60_000;
/** the largest media file downloaded; a longer body is cut off (no model makes anything near it) */
export const MAX_MEDIA_BYTES = 4 * 1024 ** 3;
/** redirects followed by a media download, each hop judged on its own */
const MAX_MEDIA_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

// One keep-alive pool per provider origin for the whole process. undici's request() is
// used rather than fetch(): a poll costs a fraction of the CPU (no WHATWG streams or
// Response objects), and bodies arrive as Node streams that downloads pass on as they are.
const agent = new Agent({ keepAliveTimeout: 30_000, connect: { timeout: 10_000 } });
/** redirects an API call follows, all on the origin it was sent to */
const MAX_API_REDIRECTS = 5;

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

/**
 * An HTTP call to a provider with a timeout; network failures become transient UpstreamErrors.
 * Redirects are followed on the origin the call went to (the channel an admin configured);
 * one to any other origin is refused, since nothing vouches for where it points. Media
 * downloads, which do leave the origin, go through fetchMedia and its per-hop checks.
 */
export async function upstreamFetch(url: string, init: UpstreamRequest = {}): Promise<UpstreamResponse> {
  if (init.redirect === "manual") return exchange(url, init);
  const origin = new URL(url).origin;
  let current = { url, init };
  for (let hop = 0; ; hop++) {
    const res = await exchange(current.url, current.init);
    const location = REDIRECT_STATUSES.has(res.status) ? res.headers.get("location") : null;
    if (location === null) return res;
    await res.discard();
    const next = new URL(location, current.url);
    if (next.origin !== origin) {
      throw new UpstreamError("rejected", "REDIRECT_REFUSED", "the provider redirected an API call to another origin", {
        status: res.status,
      });
    }
    if (hop >= MAX_API_REDIRECTS) throw new UpstreamError("transient", "TOO_MANY_REDIRECTS", "the provider redirected too many times");
    // As fetch does: 303, and 301/302 after a POST, go on as a GET without a body.
    const asGet = res.status === 303 || ((res.status === 301 || res.status === 302) && current.init.method === "POST");
    current = { url: next.href, init: asGet ? { ...current.init, method: "GET", body: undefined } : current.init };
  }
}

async function exchange(url: string, init: UpstreamRequest): Promise<UpstreamResponse> {
  const { timeoutMs = API_TIMEOUT_MS } = init;
  const { signal, settled } = deadline(timeoutMs, init.signal);
  try {
    const { headers, body } = await encodeBody(init);
    const res = await request(url, {
      method: init.method ?? "GET",
      headers,
      body,
      signal,
      dispatcher: agent,
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

/** Where a media URL came from: what decides how each hop of its download is fetched. */
export interface MediaSource {
  /** the channel's baseUrl: a hop on its origin (scheme, host and port) is trusted like the channel */
  channelBaseUrl: string;
  /** headers that go to the channel's own origin only (its key), and never once a redirect has left it */
  credentials?: Record<string, string>;
  /** ALLOW_PRIVATE_NETWORKS (development and tests only): hops elsewhere may reach private addresses over plain http */
  allowPrivateNetworks?: boolean;
}

/**
 * A GET of media, which may be large: the long download timeout, the byte range when one is
 * asked for, and at most MAX_MEDIA_BYTES. Redirects are followed by hand and every hop is
 * judged on its own. On the channel's origin the hop is fetched like any call to the channel,
 * with its credentials; anywhere else (and after any hop that left the channel's origin) it
 * is a URL no admin configured: no credentials, https to public addresses only, resolved and
 * checked address by address and connected to the addresses checked. A refused hop fails
 * with the final `RESULT_URL_REFUSED`.
 */
export async function fetchMedia(
  url: string | URL,
  init: { from: MediaSource; range?: { start: number; end: number }; signal?: AbortSignal },
): Promise<UpstreamResponse> {
  const { from, range, signal } = init;
  const channelOrigin = new URL(from.channelBaseUrl).origin;
  let current = parseMediaUrl(url);
  let onChannel = true;
  for (let hop = 0; ; hop++) {
    onChannel &&= current.origin === channelOrigin;
    const res = onChannel
      ? await upstreamFetch(current.href, {
          headers: { ...from.credentials, ...rangeHeader(range) },
          signal,
          redirect: "manual",
          timeoutMs: DOWNLOAD_TIMEOUT_MS,
        })
      : await fetchUntrusted(current, { range, signal, allowPrivateNetworks: from.allowPrivateNetworks === true });
    const location = REDIRECT_STATUSES.has(res.status) ? res.headers.get("location") : null;
    if (!location) return withinMediaLimit(res);
    await res.discard();
    if (hop >= MAX_MEDIA_REDIRECTS) throw new UpstreamError("transient", "TOO_MANY_REDIRECTS", "the download redirected too many times");
    current = parseMediaUrl(location, current);
  }
}

const refusedUrl = (reason: string) => new UpstreamError("rejected", "RESULT_URL_REFUSED", reason);

function parseMediaUrl(url: string | URL, base?: URL): URL {
  try {
    return new URL(url, base);
  } catch {
    throw refusedUrl(`the media URL ${String(url).slice(0, 200)} is not a valid URL`);
  }
}

/** One hop to a URL no admin configured: checked like a user's URL, pinned to the checked addresses, no credentials. */
async function fetchUntrusted(
  url: URL,
  init: { range?: { start: number; end: number }; signal?: AbortSignal; allowPrivateNetworks: boolean },
): Promise<UpstreamResponse> {
  const policy = { allowPrivateAddresses: init.allowPrivateNetworks, allowPlainHttp: init.allowPrivateNetworks };
  let target: Awaited<ReturnType<typeof validateFetchTarget>>;
  try {
    target = await validateFetchTarget(url, policy);
  } catch (err) {
    if (err instanceof UnresolvedHostError) throw new UpstreamError("transient", "UNRESOLVED_HOST", err.message);
    if (err instanceof ReelayError) throw refusedUrl(`${url.origin}: ${err.message}`);
    throw err;
  }
  const { signal, settled } = deadline(DOWNLOAD_TIMEOUT_MS, init.signal);
  try {
    const message = await requestPinned(target, { headers: rangeHeader(init.range), signal, idleTimeoutMs: STALL_MS });
    message.once("close", settled);
    message.on("error", () => {}); // as in upstreamFetch: an unread body cut off must not crash the process
    return responseOfMessage(message);
  } catch (err) {
    settled();
    throw fromNetworkError(err);
  }
}

/** An abort signal for the whole exchange: the caller's, or the timeout's. `settled` stops the timer. */
function deadline(timeoutMs: number, caller?: AbortSignal) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException("the provider did not answer in time", "TimeoutError")), timeoutMs);
  const onAbort = () => controller.abort(caller?.reason);
  if (caller?.aborted) onAbort();
  else caller?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    settled() {
      clearTimeout(timer);
      caller?.removeEventListener("abort", onAbort);
    },
  };
}

function responseOfMessage(message: IncomingMessage): UpstreamResponse {
  const status = message.statusCode ?? 0;
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: {
      get(name) {
        const value = message.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
      },
    },
    body: message,
    text: () => readText(message).catch((err: unknown) => Promise.reject(fromNetworkError(err))),
    discard: async () => void message.destroy(),
  };
}

/** The same answer with a body that fails with MEDIA_TOO_LARGE past MAX_MEDIA_BYTES, declared or counted. */
async function withinMediaLimit(res: UpstreamResponse): Promise<UpstreamResponse> {
  const tooLarge = () => new UpstreamError("rejected", "MEDIA_TOO_LARGE", `the media is larger than the ${MAX_MEDIA_BYTES}-byte limit`);
  const declared = Number(res.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > MAX_MEDIA_BYTES) {
    await res.discard();
    throw tooLarge();
  }
  let total = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      total += chunk.length;
      done(total > MAX_MEDIA_BYTES ? tooLarge() : null, chunk);
    },
  });
  // A reader that stops early (destroys `counted`) closes the connection too. As in upstreamFetch,
  // a body nobody reads may be cut off without crashing the process; readers see the error themselves.
  pipeline(res.body, counted, () => {});
  counted.on("error", () => {});
  return {
    ...res,
    body: counted,
    text: () => readText(counted).catch((err: unknown) => Promise.reject(fromNetworkError(err))),
    discard: async () => void counted.destroy(),
  };
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
 * credentials, guarded like any URL no admin configured unless it is on the channel's origin
 * (see fetchMedia). A snapshot without the URL (e.g. a task mirrored again later) polls for it.
 */
export async function downloadResultUrl(
  adaptor: ProviderAdaptor,
  options: Parameters<ProviderAdaptor["download"]>[0],
): Promise<Download | null> {
  const { channel, task, snapshot, variant, range, signal, allowPrivateNetworks } = options;
  if (variant === "thumbnail") return null; // these providers make none
  const urlOf = (s: { result?: unknown }) => (s.result as { url?: string } | undefined)?.url;
  const url = urlOf(snapshot) ?? urlOf(await adaptor.poll({ channel, task, signal }));
  if (!url) throw new UpstreamError("not_found", "NO_MEDIA", "the task names no video");
  const res = await fetchMedia(url, { from: { channelBaseUrl: channel.baseUrl, allowPrivateNetworks }, range, signal });
  if (!res.ok) {
    await res.discard();
    // Expired signed links answer 403 or 404: the copy is gone.
    const kind = res.status === 403 || res.status === 404 || res.status === 410 ? "not_found" : "transient";
    throw new UpstreamError(kind, `HTTP_${res.status}`, "the video could not be downloaded", { status: res.status });
  }
  return toDownload(res);
}
