/**
 * In-process mock of the OpenAI Videos API (`/v1/videos`, as proxied by new-api / one-api gateways),
 * served over real HTTP on 127.0.0.1 for adaptor, poller and end-to-end tests.
 *
 * Prompt conventions (usable without API access): `[moderation]` → create/remix rejected with the
 * moderation 400; `[fail]` → the job fails during generation.
 */
import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/** How a job evolves over successive `GET /v1/videos/{id}` polls. */
export interface MockVideoScript {
  /** polls answered "queued" before the job starts; default 1 */
  queuedPolls?: number;
  /** progress values reported while in_progress, one per poll; default [25, 50, 75] */
  progressSteps?: number[];
  /** end state; default "completed" */
  outcome?: "completed" | "failed";
  /** error when outcome=failed; default {code:"moderation_blocked", message:"..."} */
  failure?: { code: string; message: string };
  /** seconds the provider reports in the finished object (string); default = requested */
  reportedSeconds?: string;
  /** size of the generated video file in bytes; default 64 KiB */
  videoBytes?: number;
}

export interface MockOpenAIVideosOptions {
  /** default "sk-mock-openai" */
  apiKey?: string;
  /** default script for every new job */
  script?: MockVideoScript;
  /** per-prompt scripts from the start, as `scriptFor(prompt, script)` for each entry in order */
  scripts?: Record<string, MockVideoScript>;
  /** extra accepted `model` values (they accept all four sizes) */
  extraModels?: string[];
}

/** Job status as reported by the provider. */
export type VideoStatus = "queued" | "in_progress" | "completed" | "failed";
/** `?variant=` of `GET /v1/videos/{id}/content`. */
export type ContentVariant = "video" | "thumbnail" | "spritesheet";

/** The OpenAI Video object, as returned by create / retrieve / list / remix. */
export interface Video {
  id: string;
  object: "video";
  status: VideoStatus;
  progress: number;
  model: string;
  prompt: string;
  seconds: string;
  size: string;
  /** unix seconds */
  created_at: number;
  completed_at: number | null;
  expires_at: number | null;
  error: { code: string; message: string } | null;
  remixed_from_video_id: string | null;
}

/** What the mock received as `input_reference`: multipart file, JSON data: URL (decoded), or JSON plain URL (`url` only). */
export interface InputReferenceInfo {
  kind: "file" | "data_url" | "url";
  name?: string;
  type?: string;
  size?: number;
  sha256?: string;
  url?: string;
}

/** One request as received by the mock. */
export interface RecordedRequest {
  method: string;
  /** pathname only; the query string is in `query` */
  path: string;
  query: Record<string, string>;
  /** lower-cased header names */
  headers: Record<string, string>;
  contentType?: string;
  /** parsed text fields / JSON body */
  fields: Record<string, unknown>;
  /** input_reference file (multipart file or decoded data: URL), if any */
  file?: { name: string; type: string; size: number; sha256: string };
}

/** Server-side state of one job; `video` is the live object that GET returns. */
export interface MockJob {
  video: Video;
  /** resolved script (defaults, `[fail]` convention and scriptFor rules applied) */
  script: Required<Omit<MockVideoScript, "reportedSeconds">> & { reportedSeconds?: string };
  /** number of retrieve polls answered so far */
  polls: number;
  deleted: boolean;
  /** true after setJobState: polls no longer advance the job */
  pinned: boolean;
  inputReference?: InputReferenceInfo;
  /** sha256 (hex) of the bytes `/content?variant=video` serves (computed lazily) */
  readonly videoSha256: string;
}

/** A canned HTTP response, usable with `failNext`. */
export interface MockResponse {
  status: number;
  body?: unknown;
  /** the body made from the request it answers (e.g. echoing its headers), in place of `body` */
  bodyFor?(request: RecordedRequest): unknown;
  headers?: Record<string, string>;
}

/** Handle to a running mock server. */
export interface MockOpenAIVideos {
  /** `http://127.0.0.1:<port>` (no trailing slash, no /v1) */
  baseUrl: string;
  apiKey: string;
  /** every request, in arrival order */
  requests: RecordedRequest[];
  /** every job ever created (deleted ones stay, with `deleted: true`) */
  jobs: Map<string, MockJob>;
  /** default script for jobs created from now on */
  setScript(script: MockVideoScript): void;
  /** per-prompt script override (merged over the default; first matching rule wins) */
  scriptFor(prompt: RegExp | string, script: MockVideoScript): void;
  /** the next n requests matching method + path (string = prefix of pathname) get `response`; checked before auth */
  failNext(n: number, match: { method?: string; path?: string | RegExp }, response: MockResponse): void;
  /** make job `id` jump to a state now; the job is then pinned (polls stop advancing it) */
  setJobState(id: string, patch: Partial<{ status: VideoStatus; progress: number; error: { code: string; message: string } | null }>): void;
  /** exact bytes `/content?variant=…` serves for job `id` (default variant "video") */
  contentOf(id: string, variant?: ContentVariant): Buffer;
  /**
   * Holds the next `count` (default 1) requests `match` selects without answering them, for
   * crash tests: a create after the job exists, a poll before it is answered, a download
   * after `afterBytes` of its body were sent. `release()` lets them go on.
   */
  hold(match: (request: RecordedRequest, job: MockJob | undefined) => boolean, options?: { count?: number; afterBytes?: number }): MockHold;
  /** polls and downloads of a job that arrived while another one for the same job was being answered */
  overlaps: { jobId: string; path: string }[];
  /** delay before answering each poll and download, so that overlapping ones would meet */
  setLatency(ms: number): void;
  /** stops listening and destroys all open sockets (including in-flight downloads) */
  close(): Promise<void>;
}

/** Requests held by `hold`. */
export interface MockHold {
  /** the requests held so far */
  arrived: RecordedRequest[];
  /** resolves once `n` requests are held */
  until(n: number, timeoutMs?: number): Promise<void>;
  release(): void;
}

/** Builds an OpenAI error envelope `{error:{message,type,param,code}}`. */
export function openAIError(message: string, type: string, code: string | null = null, param: string | null = null) {
  return { error: { message, type, param, code } };
}

/** Canned failure responses matching what OpenAI / new-api return; pass them to `failNext`. */
export const mockFailures = {
  moderation: (): MockResponse => ({
    status: 400,
    body: openAIError("Your request was blocked by our moderation system.", "invalid_request_error", "moderation_blocked"),
  }),
  rateLimit: (retryAfter = 1): MockResponse => ({
    status: 429,
    headers: { "retry-after": String(retryAfter) },
    body: openAIError("Rate limit reached for requests. Please try again later.", "rate_limit_error", "rate_limit_exceeded"),
  }),
  insufficientQuota: (): MockResponse => ({
    status: 429,
    body: openAIError(
      "You exceeded your current quota, please check your plan and billing details.",
      "insufficient_quota",
      "insufficient_quota",
    ),
  }),
  overloaded: (): MockResponse => ({
    status: 503,
    body: openAIError("The server is overloaded, please try again later.", "service_unavailable_error", "server_is_overloaded"),
  }),
  serverError: (): MockResponse => ({
    status: 500,
    body: openAIError("The server had an error while processing your request.", "server_error", null),
  }),
};

const MODELS = ["sora-2", "sora-2-pro"];
const SECONDS = ["4", "8", "12"];
const SIZES = ["720x1280", "1280x720"];
const PRO_SIZES = [...SIZES, "1024x1792", "1792x1024"];
const IMAGE_BYTES: Record<Exclude<ContentVariant, "video">, number> = { thumbnail: 4096, spritesheet: 16384 };
const CONTENT_TYPES: Record<ContentVariant, string> = { video: "video/mp4", thumbnail: "image/webp", spritesheet: "image/jpeg" };
const CHUNK = 64 * 1024;
const DEFAULT_SCRIPT = {
  queuedPolls: 1,
  progressSteps: [25, 50, 75],
  outcome: "completed" as const,
  failure: { code: "moderation_blocked", message: "The generated video was blocked by our moderation system." },
  videoBytes: 64 * 1024,
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}
const invalid = (message: string, param: string | null, code: string | null = "invalid_value") =>
  new HttpError(400, openAIError(message, "invalid_request_error", code, param));
const notFound = (id: string) =>
  new HttpError(404, openAIError(`Video with id '${id}' not found.`, "invalid_request_error", "video_not_found", "id"));
const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest("hex");
const now = () => Math.floor(Date.now() / 1000);
/** Drops `undefined` values so `{ outcome: undefined }` does not erase a default when spread. */
const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
const u32 = (n: number, le = false) => {
  const b = Buffer.alloc(4);
  le ? b.writeUInt32LE(n >>> 0) : b.writeUInt32BE(n >>> 0);
  return b;
};

/** Magic bytes overlaid at the start/end of the pseudo-random stream so content sniffers accept it. */
function framing(variant: ContentVariant, total: number): { head: Buffer; tail: Buffer } {
  if (variant === "video") {
    const ftyp = Buffer.concat([u32(28), Buffer.from("ftypmp42"), u32(0), Buffer.from("mp42isomavc1")]);
    return { head: Buffer.concat([ftyp, u32(Math.max(total - 28, 0)), Buffer.from("mdat")]), tail: Buffer.alloc(0) };
  }
  if (variant === "thumbnail")
    return {
      head: Buffer.concat([Buffer.from("RIFF"), u32(total - 8, true), Buffer.from("WEBPVP8 "), u32(total - 20, true)]),
      tail: Buffer.alloc(0),
    };
  return {
    head: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, ...Buffer.from("JFIF\0"), 1, 1, 0, 0, 1, 0, 1, 0, 0]),
    tail: Buffer.from([0xff, 0xd9]),
  };
}

/**
 * Bytes [start, end) of a job's content: an AES-256-CTR keystream keyed by sha256(id:variant), plus framing.
 * CTR mode makes every range computable on its own (counter = 16-byte block index) and is fast for big files.
 */
function contentSlice(id: string, variant: ContentVariant, total: number, start: number, end: number): Buffer {
  const block = Math.floor(start / 16);
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(BigInt(block), 8);
  const cipher = createCipheriv("aes-256-ctr", createHash("sha256").update(`${id}:${variant}`).digest(), iv);
  const out = cipher.update(Buffer.alloc(end - block * 16)).subarray(start - block * 16);
  const { head, tail } = framing(variant, total);
  const overlay = (src: Buffer, at: number) => {
    for (let i = Math.max(at, start); i < Math.min(at + src.length, end, total); i++) out[i - start] = src[i - at];
  };
  overlay(head, 0);
  overlay(tail, total - tail.length);
  return out;
}

async function* contentStream(id: string, variant: ContentVariant, total: number, start: number, end: number) {
  for (let at = start; at < end; at += CHUNK) yield contentSlice(id, variant, total, at, Math.min(at + CHUNK, end));
}

function parseDataUrl(url: string): { type: string; bytes: Buffer } | undefined {
  const m = /^data:([^;,]*)((?:;[^;,]*)*?)(;base64)?,(.*)$/s.exec(url);
  if (!m) return undefined;
  return { type: m[1] || "text/plain", bytes: m[3] ? Buffer.from(m[4], "base64") : Buffer.from(decodeURIComponent(m[4])) };
}

/** Starts the mock on 127.0.0.1 with a random free port. */
export async function startMockOpenAIVideos(options: MockOpenAIVideosOptions = {}): Promise<MockOpenAIVideos> {
  const apiKey = options.apiKey ?? "sk-mock-openai";
  const models = [...MODELS, ...(options.extraModels ?? [])];
  let defaultScript: MockVideoScript = { ...options.script };
  const rules: { prompt: RegExp | string; script: MockVideoScript }[] = Object.entries(options.scripts ?? {}).map(([prompt, script]) => ({
    prompt,
    script,
  }));
  const failures: { remaining: number; method?: string; path?: string | RegExp; response: MockResponse }[] = [];
  const requests: RecordedRequest[] = [];
  const jobs = new Map<string, MockJob>();
  const order: string[] = []; // creation order; created_at alone has 1s resolution
  const holds: {
    match: (r: RecordedRequest, j: MockJob | undefined) => boolean;
    remaining: number;
    afterBytes?: number;
    held: MockHold & { released: Promise<void>; notify(): void };
  }[] = [];
  const overlaps: { jobId: string; path: string }[] = [];
  const answering = new Map<string, number>(); // job id → polls/downloads being answered
  let latencyMs = 0;

  /** Waits while a hold selects this request (`download` = a content body at the hold's byte offset). */
  async function held(rec: RecordedRequest, job: MockJob | undefined, download: boolean) {
    const hold = holds.find((h) => h.remaining > 0 && (h.afterBytes !== undefined) === download && h.match(rec, job));
    if (!hold) return;
    hold.remaining--;
    hold.held.arrived.push(rec);
    hold.held.notify();
    await hold.held.released;
  }

  /** Tracks requests for one job that are answered at the same time. */
  function answeringFor(res: ServerResponse, jobId: string, path: string) {
    const now = answering.get(jobId) ?? 0;
    if (now > 0) overlaps.push({ jobId, path });
    answering.set(jobId, now + 1);
    res.once("close", () => answering.set(jobId, (answering.get(jobId) ?? 1) - 1));
  }

  function resolveScript(prompt: string): MockJob["script"] {
    const rule = rules.find((r) => (typeof r.prompt === "string" ? prompt.includes(r.prompt) : r.prompt.test(prompt)));
    const conventions: MockVideoScript = prompt.includes("[fail]") ? { outcome: "failed" } : {};
    return { ...DEFAULT_SCRIPT, ...defined(defaultScript), ...conventions, ...defined(rule?.script ?? {}) };
  }

  function createJob(
    fields: { prompt: string; model: string; seconds: string; size: string },
    remixedFrom: string | null,
    inputReference?: InputReferenceInfo,
  ): MockJob {
    const id = `video_${randomBytes(16).toString("hex")}`;
    let hash: string | undefined;
    const job: MockJob = {
      video: {
        id,
        object: "video",
        status: "queued",
        progress: 0,
        ...fields,
        created_at: now(),
        completed_at: null,
        expires_at: null,
        error: null,
        remixed_from_video_id: remixedFrom,
      },
      script: resolveScript(fields.prompt),
      polls: 0,
      deleted: false,
      pinned: false,
      inputReference,
      get videoSha256() {
        if (hash === undefined) {
          const h = createHash("sha256");
          for (let at = 0; at < this.script.videoBytes; at += 1 << 20)
            h.update(contentSlice(id, "video", this.script.videoBytes, at, Math.min(at + (1 << 20), this.script.videoBytes)));
          hash = h.digest("hex");
        }
        return hash;
      },
    };
    jobs.set(id, job);
    order.push(id);
    return job;
  }

  function finish(job: MockJob, status: "completed" | "failed", error?: { code: string; message: string } | null) {
    const v = job.video;
    v.status = status;
    if (status === "completed") {
      Object.assign(v, { progress: 100, error: null, completed_at: now(), seconds: job.script.reportedSeconds ?? v.seconds });
      v.expires_at = v.completed_at! + 3600;
    } else {
      Object.assign(v, { error: error ?? job.script.failure, completed_at: null, expires_at: null });
    }
  }

  /** One poll = one script step: queued × queuedPolls, then each progress step, then the outcome. */
  function advance(job: MockJob) {
    const v = job.video;
    if (job.pinned || v.status === "completed" || v.status === "failed") return;
    const step = ++job.polls - job.script.queuedPolls - 1;
    if (step < 0) return;
    if (step < job.script.progressSteps.length) Object.assign(v, { status: "in_progress", progress: job.script.progressSteps[step] });
    else finish(job, job.script.outcome);
  }

  function liveJob(id: string): MockJob {
    const job = jobs.get(id);
    if (!job || job.deleted) throw notFound(id);
    return job;
  }

  function validateCreate(fields: Record<string, unknown>) {
    const prompt = fields.prompt;
    if (typeof prompt !== "string" || prompt.trim() === "")
      throw invalid("Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter");
    if (prompt.includes("[moderation]")) throw new HttpError(400, mockFailures.moderation().body);
    const model = fields.model ?? "sora-2";
    if (typeof model !== "string" || !models.includes(model))
      throw invalid(`Invalid value: '${model}'. Supported values are: ${models.map((m) => `'${m}'`).join(", ")}.`, "model");
    const seconds = fields.seconds ?? "4";
    if (typeof seconds !== "string")
      throw invalid(
        `Invalid type for 'seconds': expected one of '4', '8', or '12', but got ${typeof seconds === "number" ? "an integer" : typeof seconds} instead.`,
        "seconds",
        "invalid_type",
      );
    if (!SECONDS.includes(seconds)) throw invalid(`Invalid value: '${seconds}'. Supported values are: '4', '8', and '12'.`, "seconds");
    const size = fields.size ?? "720x1280";
    const sizes = model === "sora-2" ? SIZES : PRO_SIZES;
    if (typeof size !== "string" || !sizes.includes(size))
      throw invalid(`Invalid value: '${size}'. Supported values for ${model} are: ${sizes.map((s) => `'${s}'`).join(", ")}.`, "size");
    return { prompt, model, seconds, size };
  }

  async function readBody(req: IncomingMessage, rec: RecordedRequest): Promise<InputReferenceInfo | undefined> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const ct = rec.contentType ?? "",
      kind = ct.toLowerCase(); // the multipart boundary is case-sensitive
    if (raw.length === 0) return undefined;
    if (kind.startsWith("multipart/form-data")) {
      const form = await new Request("http://mock/", { method: "POST", headers: { "content-type": ct }, body: raw }).formData();
      let ref: InputReferenceInfo | undefined;
      for (const [key, value] of form) {
        if (typeof value === "string") {
          rec.fields[key] = value;
          continue;
        }
        const bytes = Buffer.from(await value.arrayBuffer());
        rec.file = { name: value.name, type: value.type, size: bytes.length, sha256: sha256(bytes) };
        if (key === "input_reference") ref = { kind: "file", ...rec.file };
      }
      return ref;
    }
    if (kind.startsWith("application/json")) {
      let body: unknown;
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        throw invalid("We could not parse the JSON body of your request.", null, null);
      }
      if (typeof body !== "object" || body === null || Array.isArray(body))
        throw invalid("The request body must be a JSON object.", null, null);
      Object.assign(rec.fields, body);
      const url = (rec.fields.input_reference as { image_url?: unknown } | undefined)?.image_url;
      if (typeof url !== "string") return undefined;
      const data = parseDataUrl(url);
      if (!data) return { kind: "url", url };
      rec.file = { name: "input_reference", type: data.type, size: data.bytes.length, sha256: sha256(data.bytes) };
      return { kind: "data_url", ...rec.file };
    }
    throw invalid(`Unsupported content type '${ct}'; use application/json or multipart/form-data.`, null, "unsupported_content_type");
  }

  function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    const text = JSON.stringify(body);
    res.writeHead(status, { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  }

  async function sendContent(req: IncomingMessage, res: ServerResponse, job: MockJob, variantParam: string | null, rec: RecordedRequest) {
    const variant = (variantParam ?? "video") as ContentVariant;
    if (!(variant in CONTENT_TYPES))
      throw invalid(`Invalid value: '${variant}'. Supported values are: 'video', 'thumbnail', and 'spritesheet'.`, "variant");
    if (job.video.status !== "completed")
      throw new HttpError(
        404,
        openAIError(
          `Video '${job.video.id}' is not ready (status: ${job.video.status}).`,
          "invalid_request_error",
          "video_not_ready",
          "id",
        ),
      );
    const total = variant === "video" ? job.script.videoBytes : IMAGE_BYTES[variant];
    let start = 0,
      end = total,
      status = 200; // end is exclusive
    const headers: Record<string, string | number> = { "content-type": CONTENT_TYPES[variant], "accept-ranges": "bytes" };
    const range = req.headers.range && /^bytes=(\d*)-(\d*)$/.exec(req.headers.range);
    if (range && (range[1] || range[2])) {
      if (range[1]) {
        start = Number(range[1]);
        end = range[2] ? Math.min(Number(range[2]) + 1, total) : total;
      } else start = Math.max(total - Number(range[2]), 0);
      if (start >= total || end <= start) {
        res.writeHead(416, { "content-range": `bytes */${total}`, "content-type": "application/json" });
        res.end(JSON.stringify(openAIError("Requested range not satisfiable.", "invalid_request_error", "range_not_satisfiable")));
        return;
      }
      status = 206;
      headers["content-range"] = `bytes ${start}-${end - 1}/${total}`;
    }
    res.writeHead(status, { ...headers, "content-length": end - start });
    if (req.method === "HEAD") return void res.end();
    const stall = holds.find((h) => h.remaining > 0 && h.afterBytes !== undefined && h.match(rec, job));
    if (stall && stall.afterBytes! < end - start) {
      // Send the first bytes, then stop mid-body until released.
      const cut = start + stall.afterBytes!;
      await new Promise<void>((resolve) => res.write(contentSlice(job.video.id, variant, total, start, cut), () => resolve()));
      await held(rec, job, true);
      start = cut;
    }
    await pipeline(Readable.from(contentStream(job.video.id, variant, total, start, end)), res).catch(() => {}); // client may abort mid-stream
  }

  function list(query: URLSearchParams) {
    const limit = Math.min(Math.max(Number(query.get("limit") ?? 20) || 20, 1), 100);
    const ids = order.filter((id) => !jobs.get(id)!.deleted);
    if ((query.get("order") ?? "desc") === "desc") ids.reverse();
    const after = query.get("after");
    const from = after ? ids.indexOf(after) + 1 : 0;
    if (after && from === 0) throw notFound(after);
    const data = ids.slice(from, from + limit).map((id) => jobs.get(id)!.video);
    return { object: "list", data, has_more: from + limit < ids.length, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = req.method ?? "GET";
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")]));
    const rec: RecordedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      contentType: req.headers["content-type"],
      fields: {},
    };
    requests.push(rec);
    // Parse (and record) the body first, but let injected failures win over parse errors.
    const body =
      method === "POST"
        ? await readBody(req, rec).then(
            (ref) => ({ ref }),
            (error: unknown) => ({ error }),
          )
        : { ref: undefined };

    const injected = failures.find(
      (f) =>
        f.remaining > 0 &&
        (!f.method || f.method.toUpperCase() === method) &&
        (f.path === undefined || (typeof f.path === "string" ? url.pathname.startsWith(f.path) : f.path.test(url.pathname))),
    );
    if (injected) {
      injected.remaining--;
      const r = injected.response;
      const body = r.bodyFor ? r.bodyFor(rec) : r.body;
      return sendJson(res, r.status, body ?? openAIError(`Injected failure (HTTP ${r.status}).`, "server_error"), r.headers);
    }
    const auth = req.headers.authorization;
    if (auth !== `Bearer ${apiKey}`) {
      const message = auth
        ? "Incorrect API key provided."
        : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";
      throw new HttpError(401, openAIError(message, "invalid_request_error", "invalid_api_key"));
    }
    if ("error" in body) throw body.error;

    const parts = url.pathname.split("/").filter(Boolean); // ["v1", "videos", id?, action?]
    if (parts[0] !== "v1" || parts[1] !== "videos" || parts.length > 4)
      throw new HttpError(404, openAIError(`Unknown request URL: ${method} ${url.pathname}.`, "invalid_request_error", "unknown_url"));
    const [, , id, action] = parts;
    const route = `${method} ${id ? ":id" : ""}${action ? `/${action}` : ""}`;
    switch (route) {
      case "POST ": {
        const job = createJob(validateCreate(rec.fields), null, body.ref);
        await held(rec, job, false);
        return sendJson(res, 200, job.video);
      }
      case "GET ":
        return sendJson(res, 200, list(url.searchParams));
      case "GET :id": {
        const job = liveJob(id);
        answeringFor(res, id, url.pathname);
        if (latencyMs) await new Promise((resolve) => setTimeout(resolve, latencyMs));
        await held(rec, job, false);
        advance(job);
        return sendJson(res, 200, job.video);
      }
      case "HEAD :id/content":
        return sendContent(req, res, liveJob(id), url.searchParams.get("variant"), rec);
      case "GET :id/content": {
        const job = liveJob(id);
        answeringFor(res, id, url.pathname);
        if (latencyMs) await new Promise((resolve) => setTimeout(resolve, latencyMs));
        return sendContent(req, res, job, url.searchParams.get("variant"), rec);
      }
      case "DELETE :id": {
        liveJob(id).deleted = true;
        return sendJson(res, 200, { id, object: "video.deleted", deleted: true });
      }
      case "POST :id/remix": {
        const prompt = rec.fields.prompt;
        if (typeof prompt !== "string" || prompt.trim() === "")
          throw invalid("Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter");
        const source = liveJob(id).video;
        if (source.status !== "completed")
          throw invalid(
            `Video '${id}' is not completed (status: ${source.status}); only completed videos can be remixed.`,
            "id",
            "video_not_completed",
          );
        if (prompt.includes("[moderation]")) throw new HttpError(400, mockFailures.moderation().body);
        return sendJson(res, 200, createJob({ prompt, model: source.model, seconds: source.seconds, size: source.size }, id).video);
      }
      default:
        throw new HttpError(
          405,
          openAIError(`Method ${method} not allowed for ${url.pathname}.`, "invalid_request_error", "method_not_allowed"),
        );
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (err instanceof HttpError) sendJson(res, err.status, err.body);
      else sendJson(res, 500, openAIError(`Mock internal error: ${String(err)}`, "server_error"));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    apiKey,
    requests,
    jobs,
    setScript(script) {
      defaultScript = { ...script };
    },
    scriptFor(prompt, script) {
      rules.push({ prompt, script });
    },
    failNext(n, match, response) {
      failures.push({ remaining: n, ...match, response });
    },
    overlaps,
    setLatency(ms) {
      latencyMs = ms;
    },
    hold(match, options = {}) {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const waiters = new Set<() => void>();
      const hold: MockHold & { released: Promise<void>; notify(): void } = {
        arrived: [],
        released,
        notify: () => {
          for (const wake of waiters) wake();
        },
        release,
        async until(n, timeoutMs = 15_000) {
          const deadline = Date.now() + timeoutMs;
          while (hold.arrived.length < n) {
            if (Date.now() > deadline) throw new Error(`mock: ${hold.arrived.length} of ${n} held requests arrived`);
            await new Promise<void>((resolve) => {
              waiters.add(resolve);
              setTimeout(resolve, 50);
            });
          }
        },
      };
      holds.push({ match, remaining: options.count ?? 1, afterBytes: options.afterBytes, held: hold });
      return hold;
    },
    setJobState(id, patch) {
      const job = jobs.get(id);
      if (!job) throw new Error(`mock: no job ${id}`);
      job.pinned = true;
      if (patch.status === "completed" || patch.status === "failed") finish(job, patch.status, patch.error);
      else if (patch.status) Object.assign(job.video, { status: patch.status, completed_at: null, expires_at: null });
      if (patch.progress !== undefined) job.video.progress = patch.progress;
      if (patch.error !== undefined) job.video.error = patch.error;
    },
    contentOf(id, variant = "video") {
      const job = jobs.get(id);
      if (!job) throw new Error(`mock: no job ${id}`);
      const total = variant === "video" ? job.script.videoBytes : IMAGE_BYTES[variant];
      return contentSlice(id, variant, total, 0, total);
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
