import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { closeNow, failureQueue, listenLocally, readJsonBody, sendJson } from "./http.js";

/**
 * A reseller serving video models through `/v1/chat/completions` with `stream: true`
 * (see providers.md §5): a real HTTP server on 127.0.0.1 that echoes the parameters in a
 * JSON block, then streams queue and progress text as chat.completion.chunk frames, and
 * ends with a markdown link (or `<video src>`) to the finished file, then `[DONE]`.
 *
 * Prompt conventions: "[fail]" → an in-stream error frame; "[drop]" → the connection is cut
 * after some progress; "[nourl]" → the stream ends without a link; "[html]" → the link comes
 * as `<video src>` with an escaped query; "[blocked]" → 400 moderation error before any stream;
 * "[held]" → after the usual progress the stream goes on reporting progress until
 * `releaseHeld()`, then ends as usual; "[echo]" → the prompt is repeated as plain text at the
 * very end, after any link (as careless resellers do).
 */
export interface MockChatSse {
  baseUrl: string;
  apiKey: string;
  requests: { body: any; at: number }[];
  /** every video served, by the id in its URL */
  videos: Map<string, Buffer>;
  /** ids in the order their streams finished */
  finished: string[];
  failNext(n: number, response: { status: number; body: unknown; headers?: Record<string, string> }): void;
  /** lets every "[held]" stream, open now or later, go on to its end */
  releaseHeld(): void;
  /** streams whose connection is still open */
  openStreams(): number;
  close(): Promise<void>;
}

export const chatError = (message: string, type: string, code: string) => ({ error: { message, type, code } });
export const chatSseFailures = {
  rateLimit: (retryAfter = 1) => ({
    status: 429,
    headers: { "retry-after": String(retryAfter) },
    body: chatError("当前分组上游负载已饱和，请稍后再试", "upstream_error", "rate_limit_exceeded"),
  }),
  overloaded: () => ({
    status: 503,
    body: chatError("No available channel for model under group default", "new_api_error", "model_not_found"),
  }),
  serverError: () => ({ status: 500, body: chatError("upstream error: do request failed", "upstream_error", "do_request_failed") }),
};

const FRAME_GAP_MS = 15;
/** how often a held stream reports progress */
const HELD_FRAME_MS = 100;

export async function startMockChatSse(): Promise<MockChatSse> {
  const apiKey = "sk-mock-reseller";
  const requests: MockChatSse["requests"] = [];
  const videos = new Map<string, Buffer>();
  const finished: string[] = [];
  const failures = failureQueue();
  let heldReleased = false;
  let openStreams = 0;

  const server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://reseller");
    const file = /^\/files\/([^/]+)\.mp4$/.exec(url.pathname);
    if (file && req.method === "GET") {
      const video = videos.get(file[1]);
      if (!video || req.headers.authorization) return sendJson(res, 404, { error: "not found" });
      res.writeHead(200, { "content-type": "video/mp4", "content-length": video.length }).end(video);
      return;
    }
    if (url.pathname !== "/v1/chat/completions" || req.method !== "POST")
      return sendJson(res, 404, chatError("Invalid URL", "invalid_request_error", "not_found"));
    const body = await readJsonBody(req);
    requests.push({ body, at: Date.now() });
    if (failures.answer(req, url.pathname, res)) return;
    if (req.headers.authorization !== `Bearer ${apiKey}`)
      return sendJson(res, 401, chatError("无效的令牌", "new_api_error", "invalid_api_key"));
    if (body?.stream !== true)
      return sendJson(res, 400, chatError("this model only supports stream mode", "invalid_request_error", "stream_required"));
    const content = body.messages?.[0]?.content;
    const prompt = typeof content === "string" ? content : (content?.find((c: any) => c.type === "text")?.text ?? "");
    if (prompt.includes("[blocked]"))
      return sendJson(
        res,
        400,
        chatError("Your prompt was blocked by our moderation system.", "invalid_request_error", "moderation_blocked"),
      );

    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    openStreams++;
    let hungUp = false;
    res.on("close", () => {
      hungUp = true;
      openStreams--;
    });
    const id = `task_${randomBytes(6).toString("hex")}`;
    const say = async (text: string) => {
      res.write(
        `data: ${JSON.stringify({ id: "chatcmpl-1", object: "chat.completion.chunk", model: body.model, choices: [{ index: 0, delta: { content: text }, finish_reason: null }] })}\n\n`,
      );
      await new Promise((resolve) => setTimeout(resolve, FRAME_GAP_MS));
    };
    await say(`\`\`\`json\n{"prompt": ${JSON.stringify(prompt)}, "orientation": "portrait", "duration": 100%}\n\`\`\`\n`);
    await say(`> ID: \`${id}\`\n`);
    await say("⌛️ 任务正在队列中，请耐心等待...\n");
    for (const p of ["12.0", "36.0", "76.5"]) await say(`🏃 进度：${p}%\n`);
    if (prompt.includes("[drop]")) return res.destroy();
    // Held: one more percent per frame, up to 98, until released or the client hangs up.
    for (let p = 77; prompt.includes("[held]") && !heldReleased && !hungUp; p = Math.min(98, p + 1)) {
      await say(`🏃 进度：${p}.0%\n`);
      await new Promise((resolve) => setTimeout(resolve, HELD_FRAME_MS));
    }
    if (hungUp) return;
    if (prompt.includes("[fail]")) {
      res.write(
        `data: ${JSON.stringify(chatError("生成失败: the content violates our policy (sentinel_block)", "upstream_error", "content_policy_violation"))}\n\n`,
      );
      res.end("data: [DONE]\n\n");
      return;
    }
    const echo = async () => {
      if (prompt.includes("[echo]")) await say(`\n提示词 (prompt): ${prompt}\n`);
    };
    if (prompt.includes("[nourl]")) {
      await say("任务结束\n");
      await echo();
      res.end("data: [DONE]\n\n");
      return;
    }
    const video = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from("ftypmp42"), Buffer.alloc(12), randomBytes(25_000)]);
    videos.set(id, video);
    finished.push(id);
    const link = `${baseUrl}/files/${id}.mp4?sign=abc&expires=1`;
    await say(
      prompt.includes("[html]")
        ? `<video src="${link.replace(/&/g, "&amp;")}" controls></video>`
        : `✅ 视频生成成功，[点击这里](${link}) 查看视频`,
    );
    await echo();
    res.write(
      `data: ${JSON.stringify({ id: "chatcmpl-1", object: "chat.completion.chunk", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\n`,
    );
    res.end("data: [DONE]\n\n");
  }

  const baseUrl = await listenLocally(server);
  return {
    baseUrl,
    apiKey,
    requests,
    videos,
    finished,
    failNext: (n, response) => failures.add(n, {}, response),
    releaseHeld: () => {
      heldReleased = true;
    },
    openStreams: () => openStreams,
    close: () => closeNow(server),
  };
}
