import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { errors, jwtVerify } from "jose";
import { closeNow, failureQueue, listenLocally, readJsonBody, sendJson } from "./http.js";

/**
 * A faithful stand-in for Kling's official API (see providers.md §3): a real HTTP server on
 * 127.0.0.1 that checks the per-request JWT (HS256, iss = access key, exp/nbf), answers
 * Kling's `{code, message, data}` envelope, runs tasks submitted → processing → succeed on
 * its polls, and serves the finished video from an unauthenticated CDN path.
 *
 * A create with `callback_url` gets Kling's push callback: on every change of the task's state
 * (by its polls, or by `setTaskState`), the mock POSTs the task (a query's `data` object) there.
 *
 * Prompt conventions: "[fail]" → the task fails in risk control; "[blocked]" → refused at
 * submission (code 1301); "[result:<url>]" → the finished task names that URL as its video
 * (a path is on the mock's own origin).
 *
 * Hostile routes on its origin, unauthenticated: `/redirect?to=<url>` (a 302 there),
 * `/hostile/svg`, `/hostile/html` and `/hostile/fake-mp4` (script-carrying pages served as if they were media).
 */
export interface MockKling {
  baseUrl: string;
  accessKey: string;
  secretKey: string;
  /** the channel key: ACCESS_KEY:SECRET_KEY */
  apiKey: string;
  requests: { method: string; path: string; headers: Record<string, string>; body?: any; issuer?: string }[];
  tasks: Map<string, MockKlingTask>;
  /** every callback the mock sent, in order, with the status the receiver answered (0: no answer) */
  callbacks: { taskId: string; taskStatus: KlingStatus; url: string; answer: number }[];
  /** moves a task to `status` now, whatever its polls, and pins it there; sends its callback */
  setTaskState(taskId: string, status: KlingStatus): Promise<void>;
  /** sends the callback of the task's current state again (a provider's retry); resolves with the receiver's status */
  sendCallback(taskId: string): Promise<number>;
  failNext(
    n: number,
    match: { method?: string; path?: string },
    response: { status: number; body: unknown; headers?: Record<string, string> },
  ): void;
  contentOf(taskId: string): Buffer;
  close(): Promise<void>;
}

export type KlingStatus = "submitted" | "processing" | "succeed" | "failed";

export interface MockKlingTask {
  id: string;
  family: "text2video" | "image2video";
  body: Record<string, any>;
  polls: number;
  video: Buffer;
  /** set by setTaskState: the task stays in this state */
  pinned?: KlingStatus;
  /** the state its last callback (or its creation) reported */
  reported: KlingStatus;
}

export const klingFailures = {
  rateLimit: (retryAfter = 1) => ({
    status: 429,
    headers: { "retry-after": String(retryAfter) },
    body: { code: 1302, message: "The API request is too fast, please slow down.", request_id: "r" },
  }),
  serverError: () => ({ status: 500, body: { code: 5000, message: "Server internal error", request_id: "r" } }),
  arrears: () => ({ status: 429, body: { code: 1101, message: "Account in arrears", request_id: "r" } }),
};

/** Pages with scripts, served as if they were the finished media. */
export const HOSTILE_PAGES: Record<string, { type: string; body: string }> = {
  "/hostile/svg": {
    type: "image/svg+xml",
    body: '<svg xmlns="http://www.w3.org/2000/svg"><script>fetch("/graphql?steal="+document.cookie)</script></svg>',
  },
  "/hostile/html": { type: "text/html", body: "<!doctype html><html><body><script>alert(document.domain)</script></body></html>" },
  "/hostile/fake-mp4": { type: "video/mp4", body: "<html><body><script>alert(document.cookie)</script></body></html>" },
};

const MODELS = ["kling-v1-6", "kling-v2-master", "kling-v2-1-master", "kling-v2-5-turbo", "kling-v2-6"];

export interface MockKlingOptions {
  videoBytes?: number;
  /** the key pair the mock accepts; default ak-mock-kling / sk-mock-kling-secret */
  accessKey?: string;
  secretKey?: string;
}

export async function startMockKling(options: MockKlingOptions = {}): Promise<MockKling> {
  const { accessKey = "ak-mock-kling", secretKey = "sk-mock-kling-secret" } = options;
  const key = new TextEncoder().encode(secretKey);
  const requests: MockKling["requests"] = [];
  const tasks = new Map<string, MockKlingTask>();
  const callbacks: MockKling["callbacks"] = [];
  const failures = failureQueue();

  const server = createServer((req, res) => void handle(req, res).catch((err) => sendJson(res, 500, { code: 5000, message: String(err) })));

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://kling");
    if (url.pathname === "/redirect") return void res.writeHead(302, { location: url.searchParams.get("to") ?? "/" }).end();
    const hostile = HOSTILE_PAGES[url.pathname];
    if (hostile) return void res.writeHead(200, { "content-type": hostile.type }).end(hostile.body);
    const cdn = /^\/cdn\/([^/]+)\.mp4$/.exec(url.pathname);
    if (cdn && req.method === "GET") {
      const task = tasks.get(cdn[1]);
      if (!task || statusOf(task) !== "succeed") return sendJson(res, 404, { message: "not found" });
      res.writeHead(200, { "content-type": "video/mp4", "content-length": task.video.length }).end(task.video);
      return;
    }
    const body = req.method === "POST" ? await readJsonBody(req) : undefined;
    const entry: MockKling["requests"][number] = {
      method: req.method ?? "GET",
      path: url.pathname,
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
      body,
    };
    requests.push(entry);
    if (failures.answer(req, url.pathname, res)) return;
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (!token) return sendJson(res, 401, { code: 1001, message: "Authorization is empty" });
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ["HS256"], issuer: accessKey, requiredClaims: ["exp", "nbf"] });
      entry.issuer = payload.iss;
    } catch (err) {
      return sendJson(
        res,
        401,
        err instanceof errors.JWTExpired
          ? { code: 1004, message: "Authorization is expired" }
          : { code: 1002, message: "Authorization is invalid" },
      );
    }

    const create = /^\/v1\/videos\/(text2video|image2video)$/.exec(url.pathname);
    if (create && req.method === "POST") return submit(res, create[1] as MockKlingTask["family"], body);
    const query = /^\/v1\/videos\/(text2video|image2video)\/([^/]+)$/.exec(url.pathname);
    if (query && req.method === "GET") {
      const task = tasks.get(query[2]);
      if (!task || task.family !== query[1]) return sendJson(res, 404, { code: 1203, message: "task not found" });
      task.polls++;
      sendJson(res, 200, { code: 0, message: "SUCCEED", request_id: "r", data: view(task) });
      if (statusOf(task) !== task.reported) void notify(task);
      return;
    }
    sendJson(res, 404, { code: 1202, message: "invalid request method or path" });
  }

  function submit(res: ServerResponse, family: MockKlingTask["family"], body: any) {
    const invalid = (message: string) => sendJson(res, 400, { code: 1201, message, request_id: "r" });
    if (!MODELS.includes(body?.model_name)) return invalid(`model_name ${body?.model_name} is not supported`);
    if (family === "text2video" && (typeof body.prompt !== "string" || body.prompt === "")) return invalid("prompt is required");
    if (typeof body.prompt === "string" && body.prompt.length > 2500) return invalid("prompt is too long");
    if (!["5", "10"].includes(body.duration ?? "5")) return invalid('duration must be "5" or "10"');
    if (!["std", "pro"].includes(body.mode ?? "std")) return invalid("mode must be std or pro");
    if (family === "text2video" && !["16:9", "9:16", "1:1"].includes(body.aspect_ratio ?? "16:9"))
      return invalid("aspect_ratio is invalid");
    if (family === "image2video") {
      if (typeof body.image !== "string" || body.image === "") return invalid("image is required");
      if (body.image.startsWith("data:")) return invalid("image must be a URL or raw base64 without a data: prefix");
    }
    if (String(body.prompt ?? "").includes("[blocked]"))
      return sendJson(res, 400, { code: 1301, message: "Failure to pass the risk control system", request_id: "r" });
    const id = randomBytes(9).toString("hex");
    const video = Buffer.concat([
      Buffer.from([0, 0, 0, 24]),
      Buffer.from("ftypisom"),
      Buffer.alloc(12),
      randomBytes((options.videoBytes ?? 40 * 1024) - 24),
    ]);
    const task: MockKlingTask = { id, family, body, polls: 0, video, reported: "submitted" };
    tasks.set(id, task);
    sendJson(res, 200, {
      code: 0,
      message: "SUCCEED",
      request_id: "r",
      data: { task_id: id, task_status: "submitted", task_info: {}, created_at: Date.now(), updated_at: Date.now() },
    });
  }

  /** submitted → processing → succeed (or failed) over its first polls, unless pinned */
  function statusOf(task: MockKlingTask): KlingStatus {
    if (task.pinned) return task.pinned;
    if (task.polls < 2) return task.polls === 0 ? "submitted" : "processing";
    return String(task.body.prompt ?? "").includes("[fail]") ? "failed" : "succeed";
  }

  function view(task: MockKlingTask) {
    const base = { task_id: task.id, task_info: {}, created_at: Date.now(), updated_at: Date.now() };
    const status = statusOf(task);
    if (status === "submitted" || status === "processing") return { ...base, task_status: status, task_status_msg: "" };
    if (status === "failed") return { ...base, task_status: "failed", task_status_msg: "Failure to pass the risk control system" };
    const duration = `${task.body.duration ?? "5"}.1`; // Kling reports a little more than asked
    return {
      ...base,
      task_status: "succeed",
      task_status_msg: "",
      task_result: { videos: [{ id: `v-${task.id}`, url: resultUrlOf(task), duration }] },
    };
  }

  function resultUrlOf(task: MockKlingTask) {
    // Up to the "]" that ends the word: IPv6 literals carry brackets of their own.
    const named = /\[result:(\S+?)\](?=\s|$)/.exec(String(task.body.prompt ?? ""))?.[1];
    if (!named) return `${baseUrl}/cdn/${task.id}.mp4`;
    return named.startsWith("/") ? `${baseUrl}${named}` : named;
  }

  /** POSTs the task's state to its callback_url, as Kling does on a change of state; the receiver's status (0: none) */
  async function notify(task: MockKlingTask): Promise<number> {
    const url = task.body.callback_url;
    task.reported = statusOf(task);
    if (typeof url !== "string") return 0;
    const entry = { taskId: task.id, taskStatus: task.reported, url, answer: 0 };
    callbacks.push(entry);
    try {
      const answer = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(view(task)),
      });
      await answer.body?.cancel();
      entry.answer = answer.status;
    } catch {
      // the receiver is down: Kling gives up on this call
    }
    return entry.answer;
  }

  function taskOf(id: string) {
    const task = tasks.get(id);
    if (!task) throw new Error(`mock kling: no task ${id}`);
    return task;
  }

  const baseUrl = await listenLocally(server);
  return {
    baseUrl,
    accessKey,
    secretKey,
    apiKey: `${accessKey}:${secretKey}`,
    requests,
    tasks,
    callbacks,
    async setTaskState(id, status) {
      const task = taskOf(id);
      task.pinned = status;
      await notify(task);
    },
    sendCallback: (id) => notify(taskOf(id)),
    failNext: (n, match, response) => failures.add(n, match, response),
    contentOf: (id) => tasks.get(id)!.video,
    close: () => closeNow(server),
  };
}

export const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
