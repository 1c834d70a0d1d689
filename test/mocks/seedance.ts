import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { closeNow, failureQueue, listenLocally, readJsonBody, sendJson } from "./http.js";

/**
 * A faithful stand-in for Seedance content-generation tasks on BytePlus ModelArk /
 * Volcengine Ark (see providers.md §8): a real HTTP server on 127.0.0.1 with Bearer auth,
 * `--ratio/--duration/--resolution` flags read from the prompt text, tasks queued → running
 * → succeeded on its polls, `usage.total_tokens` from the frames actually made, DELETE that
 * cancels only a queued task, and the video on an unauthenticated signed path.
 *
 * Prompt conventions: "[fail]" → failed with an output moderation code; "[blocked]" →
 * refused at submission (InputTextSensitiveContentDetected).
 */
export interface MockSeedance {
  baseUrl: string;
  apiKey: string;
  requests: { method: string; path: string; body?: any }[];
  tasks: Map<string, MockSeedanceTask>;
  failNext(
    n: number,
    match: { method?: string; path?: string },
    response: { status: number; body: unknown; headers?: Record<string, string> },
  ): void;
  contentOf(taskId: string): Buffer;
  /** tokens a finished task reports */
  tokensOf(taskId: string): number;
  close(): Promise<void>;
}

export interface MockSeedanceTask {
  id: string;
  model: string;
  text: string;
  flags: { ratio: string; duration: number; resolution: string };
  image?: string;
  polls: number;
  status: "queued" | "running" | "succeeded" | "failed" | "cancelled";
  video: Buffer;
}

const arkError = (code: string, message: string) => ({ error: { code, message, type: "BadRequest" } });
export const seedanceFailures = {
  rateLimit: (retryAfter = 1) => ({
    status: 429,
    headers: { "retry-after": String(retryAfter) },
    body: arkError("RateLimitExceeded.EndpointRPMExceeded", "Request rate exceeded"),
  }),
  serverError: () => ({ status: 500, body: arkError("InternalServiceError", "The service encountered an unexpected internal error.") }),
};

const MODELS = ["seedance-1-0-pro-250528", "seedance-1-0-pro-fast-251015", "seedance-1-0-lite-t2v-250428", "seedance-1-0-lite-i2v-250428"];
const DIMENSIONS: Record<string, Record<string, [number, number]>> = {
  "480p": { "16:9": [864, 480], "9:16": [480, 864], "1:1": [640, 640] },
  "720p": { "16:9": [1280, 720], "9:16": [720, 1280], "1:1": [960, 960] },
  "1080p": { "16:9": [1920, 1080], "9:16": [1080, 1920], "1:1": [1440, 1440] },
};
const FPS = 24;

export async function startMockSeedance(): Promise<MockSeedance> {
  const apiKey = "ark-mock-seedance";
  const requests: MockSeedance["requests"] = [];
  const tasks = new Map<string, MockSeedanceTask>();
  const failures = failureQueue();
  const server = createServer(
    (req, res) => void handle(req, res).catch((err) => sendJson(res, 500, arkError("InternalServiceError", String(err)))),
  );

  const tokensOf = (task: MockSeedanceTask) => {
    const [w, h] = DIMENSIONS[task.flags.resolution][task.flags.ratio];
    return Math.floor((w * h * (FPS * task.flags.duration - 1)) / 1024); // one frame short of the nominal count
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://ark");
    const file = /^\/tos\/([^/]+)\.mp4$/.exec(url.pathname);
    if (file && req.method === "GET") {
      const task = tasks.get(file[1]);
      if (task?.status !== "succeeded" || req.headers.authorization) return sendJson(res, 403, { error: "AccessDenied" });
      res.writeHead(200, { "content-type": "video/mp4", "content-length": task.video.length }).end(task.video);
      return;
    }
    const body = req.method === "POST" ? await readJsonBody(req) : undefined;
    requests.push({ method: req.method ?? "GET", path: url.pathname, body });
    if (failures.answer(req, url.pathname, res)) return;
    if (req.headers.authorization !== `Bearer ${apiKey}`)
      return sendJson(res, 401, arkError("AuthenticationError", "The API key in the request is missing or invalid."));
    if (url.pathname === "/api/v3/contents/generations/tasks" && req.method === "POST") return submit(res, body);
    const one = /^\/api\/v3\/contents\/generations\/tasks\/([^/]+)$/.exec(url.pathname);
    const task = one && tasks.get(one[1]);
    if (one && !task) return sendJson(res, 404, arkError("ResourceNotFound", "The specified task is not found."));
    if (task && req.method === "GET") {
      task.polls++;
      if (task.status === "queued" && task.polls >= 1) task.status = "running";
      if (task.status === "running" && task.polls >= 3) task.status = task.text.includes("[fail]") ? "failed" : "succeeded";
      return sendJson(res, 200, view(task));
    }
    if (task && req.method === "DELETE") {
      if (task.status !== "queued")
        return sendJson(res, 400, arkError("InvalidAction.TaskStatus", `A task in status ${task.status} cannot be cancelled.`));
      task.status = "cancelled";
      return sendJson(res, 200, {});
    }
    sendJson(res, 404, arkError("NotFound", "not found"));
  }

  function submit(res: ServerResponse, body: any) {
    const invalid = (message: string) => sendJson(res, 400, arkError("InvalidParameter", message));
    if (!MODELS.includes(body?.model))
      return sendJson(res, 404, arkError("InvalidEndpointOrModel.NotFound", `The model ${body?.model} does not exist.`));
    const text = body.content?.find((c: any) => c.type === "text")?.text;
    const image = body.content?.find((c: any) => c.type === "image_url")?.image_url?.url;
    if (typeof text !== "string" || text === "") return invalid("content must include a text item");
    if (body.model.includes("-i2v-") && !image) return invalid("this model requires an image_url content item");
    const flag = (name: string) => new RegExp(`--${name} (\\S+)`).exec(text)?.[1];
    const flags = { ratio: flag("ratio") ?? "16:9", duration: Number(flag("duration") ?? 5), resolution: flag("resolution") ?? "1080p" };
    if (!DIMENSIONS[flags.resolution]?.[flags.ratio]) return invalid(`unsupported ratio ${flags.ratio} at ${flags.resolution}`);
    if (![5, 10].includes(flags.duration)) return invalid("duration must be 5 or 10");
    if (text.includes("[blocked]"))
      return sendJson(
        res,
        400,
        arkError("InputTextSensitiveContentDetected", "The request failed because the input text may contain sensitive information."),
      );
    const id = `cgt-${randomBytes(8).toString("hex")}`;
    const video = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from("ftypisom"), Buffer.alloc(12), randomBytes(36_000)]);
    tasks.set(id, { id, model: body.model, text, flags, image, polls: 0, status: "queued", video });
    sendJson(res, 200, { id });
  }

  function view(task: MockSeedanceTask) {
    const base = {
      id: task.id,
      model: task.model,
      status: task.status,
      created_at: 1_764_000_000,
      updated_at: 1_764_000_100,
      error: null as unknown,
    };
    if (task.status === "failed")
      return {
        ...base,
        error: { code: "OutputVideoSensitiveContentDetected", message: "The generated video may contain sensitive content." },
      };
    if (task.status !== "succeeded") return base;
    const tokens = tokensOf(task);
    return {
      ...base,
      content: { video_url: `${baseUrl}/tos/${task.id}.mp4?X-Tos-Signature=mock` },
      usage: { completion_tokens: tokens, total_tokens: tokens },
      duration: task.flags.duration,
      resolution: task.flags.resolution,
      ratio: task.flags.ratio,
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
    tokensOf: (id) => tokensOf(tasks.get(id)!),
    close: () => closeNow(server),
  };
}
