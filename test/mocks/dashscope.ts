import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { closeNow, failureQueue, listenLocally, readJsonBody, sendJson } from "./http.js";

/**
 * A faithful stand-in for DashScope's Wan video synthesis (see providers.md §4): a real HTTP
 * server on 127.0.0.1. Creation requires `X-DashScope-Async: enable` and the Bearer key,
 * validates model, size/resolution and duration, and answers a PENDING task; polls run it
 * PENDING → RUNNING → SUCCEEDED with `video_url` (a signed link on an unauthenticated path)
 * and `usage`. Unknown task ids answer UNKNOWN, as DashScope does after 24 h.
 *
 * Prompt conventions: "[fail]" → FAILED in output moderation; "[blocked]" → refused at
 * submission with DataInspectionFailed.
 */
export interface MockDashScope {
  baseUrl: string;
  apiKey: string;
  requests: { method: string; path: string; headers: Record<string, string>; body?: any }[];
  tasks: Map<string, { id: string; body: any; polls: number; video: Buffer; downloads: { authorization?: string }[] }>;
  failNext(
    n: number,
    match: { method?: string; path?: string },
    response: { status: number; body: unknown; headers?: Record<string, string> },
  ): void;
  contentOf(taskId: string): Buffer;
  close(): Promise<void>;
}

export const dashscopeFailures = {
  rateLimit: (retryAfter = 1) => ({
    status: 429,
    headers: { "retry-after": String(retryAfter) },
    body: { request_id: "r", code: "Throttling.RateQuota", message: "Requests rate limit exceeded, please try again later." },
  }),
  serverError: () => ({
    status: 500,
    body: { request_id: "r", code: "InternalError", message: "An internal error has occured, please try again later." },
  }),
};

const T2V: Record<string, { sizes: string[]; durations: number[] }> = {
  "wan2.2-t2v-plus": { sizes: ["832*480", "480*832", "1920*1080", "1080*1920", "1440*1440"], durations: [5] },
  "wan2.5-t2v-preview": { sizes: ["832*480", "480*832", "1280*720", "720*1280", "1920*1080", "1080*1920"], durations: [5, 10] },
};
const I2V: Record<string, { resolutions: string[]; durations: number[] }> = {
  "wan2.2-i2v-plus": { resolutions: ["480P", "1080P"], durations: [5] },
  "wan2.5-i2v-preview": { resolutions: ["480P", "720P", "1080P"], durations: [5, 10] },
};

export async function startMockDashScope(): Promise<MockDashScope> {
  const apiKey = "sk-mock-dashscope";
  const requests: MockDashScope["requests"] = [];
  const tasks: MockDashScope["tasks"] = new Map();
  const failures = failureQueue();
  const server = createServer(
    (req, res) => void handle(req, res).catch((err) => sendJson(res, 500, { code: "InternalError", message: String(err) })),
  );

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://dashscope");
    const oss = /^\/oss\/([^/]+)\.mp4$/.exec(url.pathname);
    if (oss && req.method === "GET") {
      const task = tasks.get(oss[1]);
      if (!task || url.searchParams.get("Signature") !== `sig-${task.id}`) return sendJson(res, 403, { Code: "AccessDenied" });
      task.downloads.push({ authorization: req.headers.authorization });
      res.writeHead(200, { "content-type": "video/mp4", "content-length": task.video.length }).end(task.video);
      return;
    }
    const body = req.method === "POST" ? await readJsonBody(req) : undefined;
    requests.push({
      method: req.method ?? "GET",
      path: url.pathname,
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
      body,
    });
    if (failures.answer(req, url.pathname, res)) return;
    if (req.headers.authorization !== `Bearer ${apiKey}`)
      return sendJson(res, 401, { request_id: "r", code: "InvalidApiKey", message: "Invalid API-key provided." });

    if (url.pathname === "/api/v1/services/aigc/video-generation/video-synthesis" && req.method === "POST") {
      if (req.headers["x-dashscope-async"] !== "enable")
        return sendJson(res, 403, {
          request_id: "r",
          code: "AccessDenied",
          message: "current user api does not support synchronous calls",
        });
      return submit(res, body);
    }
    const poll = /^\/api\/v1\/tasks\/([^/]+)$/.exec(url.pathname);
    if (poll && req.method === "GET") {
      const task = tasks.get(poll[1]);
      if (!task) return sendJson(res, 200, { request_id: "r", output: { task_id: poll[1], task_status: "UNKNOWN" } });
      task.polls++;
      return sendJson(res, 200, view(task));
    }
    sendJson(res, 404, { request_id: "r", code: "NotFound", message: "not found" });
  }

  function submit(res: ServerResponse, body: any) {
    const invalid = (message: string) => sendJson(res, 400, { request_id: "r", code: "InvalidParameter", message });
    const t2v = T2V[body?.model];
    const i2v = I2V[body?.model];
    if (!t2v && !i2v) return invalid(`Model not exist: ${body?.model}`);
    const params = body.parameters ?? {};
    if (t2v) {
      if (typeof body.input?.prompt !== "string" || body.input.prompt === "") return invalid("input.prompt is required");
      if (params.size !== undefined && !t2v.sizes.includes(params.size)) return invalid(`size ${params.size} is not supported`);
    }
    if (i2v) {
      if (typeof body.input?.img_url !== "string" || !/^(https?:|data:image\/)/.test(body.input.img_url))
        return invalid("input.img_url is required");
      if (params.resolution !== undefined && !i2v.resolutions.includes(params.resolution))
        return invalid(`resolution ${params.resolution} is not supported`);
    }
    if (params.duration !== undefined && !(t2v ?? i2v).durations.includes(params.duration))
      return invalid(`duration ${params.duration} is not supported`);
    if (String(body.input?.prompt ?? "").includes("[blocked]"))
      return sendJson(res, 400, {
        request_id: "r",
        code: "DataInspectionFailed",
        message: "Input data may contain inappropriate content.",
      });
    const id = `${randomBytes(4).toString("hex")}-${randomBytes(2).toString("hex")}-task`;
    tasks.set(id, {
      id,
      body,
      polls: 0,
      video: Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from("ftypisom"), Buffer.alloc(12), randomBytes(30_000)]),
      downloads: [],
    });
    sendJson(res, 200, { request_id: "r", output: { task_id: id, task_status: "PENDING" } });
  }

  function view(task: MockDashScope["tasks"] extends Map<string, infer T> ? T : never) {
    const base = { task_id: task.id, submit_time: "2026-11-24 10:00:00.000" };
    if (task.polls < 2) return { request_id: "r", output: { ...base, task_status: task.polls === 0 ? "PENDING" : "RUNNING" } };
    if (String(task.body.input?.prompt ?? "").includes("[fail]")) {
      return {
        request_id: "r",
        output: { ...base, task_status: "FAILED", code: "DataInspectionFailed", message: "Output data may contain inappropriate content." },
      };
    }
    const duration = task.body.parameters?.duration ?? 5;
    return {
      request_id: "r",
      output: {
        ...base,
        task_status: "SUCCEEDED",
        end_time: "2026-11-24 10:02:00.000",
        video_url: `${baseUrl}/oss/${task.id}.mp4?Expires=9999999999&OSSAccessKeyId=x&Signature=sig-${task.id}`,
      },
      usage: { video_duration: duration, video_count: 1, video_ratio: task.body.parameters?.size ?? "1280*720" },
    };
  }

  const baseUrl = await listenLocally(server);
  return {
    baseUrl,
    apiKey,
    requests,
    tasks,
    failNext: (n, match, response) => failures.add(n, match, response),
    contentOf: (id) => tasks.get(id)!.video,
    close: () => closeNow(server),
  };
}
