import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { tinyPng } from "../helpers/images.js";
import { closeNow, failureQueue, listenLocally, readJsonBody, sendJson } from "./http.js";

/**
 * A faithful stand-in for the Gemini API's Veo endpoints (see providers.md §2): a real
 * HTTP server on 127.0.0.1. `predictLongRunning` validates the parameters Veo checks and
 * answers an operation; the operation is done after a few polls with a file URI, or a
 * safety filter, or an error; the file URI needs the key and redirects to a storage host
 * on another origin, which must never see the key.
 *
 * Image models (`generateContent`, Imagen's `predict`) answer at once with a PNG inline;
 * "[unsafe]" makes them refuse.
 *
 * Prompt conventions: "[rai]" → done with the video filtered for safety; "[fail]" → the
 * operation ends with an error; "[blocked]" → refused at submission for safety.
 */
export interface MockGemini {
  baseUrl: string;
  apiKey: string;
  requests: { method: string; path: string; headers: Record<string, string>; body?: any }[];
  /** requests the storage host received (it serves the redirected downloads) */
  storageRequests: { path: string; headers: Record<string, string> }[];
  operations: Map<string, MockOperation>;
  /** every image generated, in order, and what was asked for each */
  images: Buffer[];
  imageRequests: { model: string; prompt: string; aspectRatio?: string; referenceSha256?: string }[];
  /** polls an operation answers with done:false before it finishes */
  setPollsUntilDone(n: number): void;
  /** the next n requests matching method + path prefix get this answer (before auth) */
  failNext(
    n: number,
    match: { method?: string; path?: string },
    response: { status: number; body?: unknown; headers?: Record<string, string> },
  ): void;
  contentOf(operationName: string): Buffer;
  close(): Promise<void>;
}

export interface MockOperation {
  name: string;
  model: string;
  prompt: string;
  parameters: Record<string, unknown>;
  image?: { mimeType: string; sha256: string };
  polls: number;
  video: Buffer;
}

export const geminiError = (code: number, status: string, message: string) => ({ error: { code, message, status } });
export const geminiFailures = {
  rateLimit: (retryAfter = 1) => ({
    status: 429,
    headers: { "retry-after": String(retryAfter) },
    body: geminiError(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
  }),
  serverError: () => ({ status: 500, body: geminiError(500, "INTERNAL", "An internal error has occurred.") }),
  unavailable: () => ({ status: 503, body: geminiError(503, "UNAVAILABLE", "The model is overloaded. Please try again later.") }),
};

const IMAGEN_MODELS = ["imagen-4.0-generate-001", "imagen-4.0-fast-generate-001"];
const MODELS = ["veo-3.0-generate-001", "veo-3.0-fast-generate-001", "veo-3.1-generate-preview", "veo-3.1-fast-generate-preview"];
const DURATIONS = [4, 6, 8];
const ASPECT_RATIOS = ["16:9", "9:16"];
const RESOLUTIONS = ["720p", "1080p", "4k"];

export async function startMockGemini(
  options: { apiKey?: string; videoBytes?: number /** polls an operation takes to finish (default 2) */; pollsUntilDone?: number } = {},
): Promise<MockGemini> {
  const apiKey = options.apiKey ?? "AIza-mock-gemini-key";
  const videoBytes = options.videoBytes ?? 48 * 1024;
  const requests: MockGemini["requests"] = [];
  const storageRequests: MockGemini["storageRequests"] = [];
  const operations = new Map<string, MockOperation>();
  const images: Buffer[] = [];
  const imageRequests: MockGemini["imageRequests"] = [];
  const files = new Map<string, string>(); // file id → operation name
  const failures = failureQueue();
  let pollsUntilDone = options.pollsUntilDone ?? 2;

  const storage = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://storage");
    storageRequests.push({ path: url.pathname, headers: lower(req.headers) });
    const id = /^\/blob\/([^/]+)$/.exec(url.pathname)?.[1];
    const name = id && files.get(id);
    if (!name || url.searchParams.get("sig") !== signature(id)) return sendJson(res, 403, { error: "signature does not match" });
    serveBytes(req, res, operations.get(name)!.video);
  });
  const storageOrigin = await listenLocally(storage);

  const server = createServer((req, res) => {
    void handle(req, res).catch((err) => sendJson(res, 500, geminiError(500, "INTERNAL", String(err))));
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://gemini");
    const body = req.method === "POST" ? await readJsonBody(req) : undefined;
    requests.push({ method: req.method ?? "GET", path: url.pathname, headers: lower(req.headers), body });
    if (failures.answer(req, url.pathname, res)) return;
    if (req.headers["x-goog-api-key"] !== apiKey && url.searchParams.get("key") !== apiKey) {
      return sendJson(res, 403, geminiError(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers. Please use an API key."));
    }

    const create = /^\/v1beta\/models\/([^/:]+):predictLongRunning$/.exec(url.pathname);
    if (create && req.method === "POST") return submit(res, decodeURIComponent(create[1]), body);

    const op = /^\/v1beta\/(models\/[^/]+\/operations\/[^/]+)$/.exec(url.pathname);
    if (op && req.method === "GET") return poll(res, decodeURIComponent(op[1]));

    const generate = /^\/v1beta\/models\/([^/:]+):(generateContent|predict)$/.exec(url.pathname);
    if (generate && req.method === "POST") return generateImage(res, decodeURIComponent(generate[1]), generate[2], body);

    const file = /^\/v1beta\/files\/([^/:]+):download$/.exec(url.pathname);
    if (file && req.method === "GET") {
      if (!files.has(file[1])) return sendJson(res, 404, geminiError(404, "NOT_FOUND", "File not found."));
      res.writeHead(302, { location: `${storageOrigin}/blob/${file[1]}?sig=${signature(file[1])}` }).end();
      return;
    }
    sendJson(res, 404, geminiError(404, "NOT_FOUND", `Unknown path ${url.pathname}`));
  }

  function submit(res: ServerResponse, model: string, body: any) {
    if (!MODELS.includes(model))
      return sendJson(res, 404, geminiError(404, "NOT_FOUND", `models/${model} is not found for API version v1beta`));
    const instance = body?.instances?.[0];
    const parameters = (body?.parameters ?? {}) as Record<string, unknown>;
    const invalid = (message: string) => sendJson(res, 400, geminiError(400, "INVALID_ARGUMENT", message));
    if (typeof instance?.prompt !== "string" || instance.prompt === "") return invalid("A prompt is required.");
    if (parameters.durationSeconds !== undefined && !DURATIONS.includes(parameters.durationSeconds as number))
      return invalid("durationSeconds must be 4, 6 or 8.");
    if (parameters.aspectRatio !== undefined && !ASPECT_RATIOS.includes(parameters.aspectRatio as string))
      return invalid("aspectRatio must be 16:9 or 9:16.");
    if (parameters.resolution !== undefined && !RESOLUTIONS.includes(parameters.resolution as string))
      return invalid("resolution must be 720p, 1080p or 4k.");
    if (parameters.resolution === "4k" && !model.startsWith("veo-3.1")) return invalid("4k is not supported by this model.");
    if ((parameters.resolution === "1080p" || parameters.resolution === "4k") && (parameters.durationSeconds ?? 8) !== 8) {
      return invalid("1080p and 4k videos must be 8 seconds long.");
    }
    for (const key of ["seed", "generateAudio", "fps"])
      if (key in parameters) return invalid(`${key} parameter is not supported in Gemini API.`);
    if (instance.prompt.includes("[blocked]"))
      return invalid("The prompt could not be submitted. This prompt contains words that violate the usage guidelines (safety).");
    let image: MockOperation["image"];
    if (instance.image) {
      const bytes = Buffer.from(String(instance.image.bytesBase64Encoded ?? ""), "base64");
      if (bytes.length === 0 || !instance.image.mimeType) return invalid("image must carry bytesBase64Encoded and mimeType.");
      image = { mimeType: instance.image.mimeType, sha256: createHash("sha256").update(bytes).digest("hex") };
    }
    const name = `models/${model}/operations/${randomBytes(8).toString("hex")}`;
    const video = Buffer.concat([
      Buffer.from([0, 0, 0, 24]),
      Buffer.from("ftypmp42"),
      Buffer.alloc(12),
      randomBytes(Math.max(0, videoBytes - 24)),
    ]);
    operations.set(name, { name, model, prompt: instance.prompt, parameters, image, polls: 0, video });
    sendJson(res, 200, { name });
  }

  function generateImage(res: ServerResponse, model: string, method: string, body: any) {
    const invalid = (message: string) => sendJson(res, 400, geminiError(400, "INVALID_ARGUMENT", message));
    const imagen = method === "predict";
    if (imagen ? !IMAGEN_MODELS.includes(model) : model !== "gemini-2.5-flash-image")
      return sendJson(res, 404, geminiError(404, "NOT_FOUND", `models/${model} is not found or does not support ${method}`));
    const prompt: string = imagen
      ? body?.instances?.[0]?.prompt
      : body?.contents?.[0]?.parts?.find((p: any) => typeof p.text === "string")?.text;
    if (typeof prompt !== "string" || prompt === "") return invalid("A prompt is required.");
    const ratio = imagen ? body.parameters?.aspectRatio : body.generationConfig?.imageConfig?.aspectRatio;
    if (ratio !== undefined && !["1:1", "16:9", "9:16", "4:3", "3:4"].includes(ratio))
      return invalid(`aspectRatio ${ratio} is not supported.`);
    const reference = imagen ? undefined : body.contents[0].parts.find((p: any) => p.inlineData)?.inlineData;
    imageRequests.push({
      model,
      prompt,
      aspectRatio: ratio,
      referenceSha256: reference ? createHash("sha256").update(Buffer.from(reference.data, "base64")).digest("hex") : undefined,
    });
    if (prompt.includes("[unsafe]")) {
      return sendJson(
        res,
        200,
        imagen
          ? { predictions: [{ raiFilteredReason: "Your current safety filter threshold filtered out the generated image." }] }
          : { candidates: [{ finishReason: "PROHIBITED_CONTENT", content: { parts: [] } }] },
      );
    }
    const image = Buffer.concat([tinyPng(), randomBytes(64)]);
    images.push(image);
    const data = image.toString("base64");
    sendJson(
      res,
      200,
      imagen
        ? { predictions: [{ bytesBase64Encoded: data, mimeType: "image/png" }] }
        : {
            candidates: [
              {
                finishReason: "STOP",
                content: { role: "model", parts: [{ text: "Here is your image." }, { inlineData: { mimeType: "image/png", data } }] },
              },
            ],
          },
    );
  }

  function poll(res: ServerResponse, name: string) {
    const op = operations.get(name);
    if (!op) return sendJson(res, 404, geminiError(404, "NOT_FOUND", `Operation ${name} not found.`));
    op.polls++;
    if (op.polls < pollsUntilDone) return sendJson(res, 200, { name, metadata: {} });
    if (op.prompt.includes("[fail]"))
      return sendJson(res, 200, { name, done: true, error: { code: 13, message: "Video generation failed due to an internal error." } });
    if (op.prompt.includes("[rai]")) {
      return sendJson(res, 200, {
        name,
        done: true,
        response: {
          "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse",
          generateVideoResponse: { raiMediaFilteredCount: 1, raiMediaFilteredReasons: ["The video was filtered by our safety system."] },
        },
      });
    }
    const fileId = createHash("sha256").update(name).digest("hex").slice(0, 16);
    files.set(fileId, name);
    sendJson(res, 200, {
      name,
      done: true,
      response: {
        "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse",
        generateVideoResponse: { generatedSamples: [{ video: { uri: `${baseUrl}/v1beta/files/${fileId}:download?alt=media` } }] },
      },
    });
  }

  const baseUrl = await listenLocally(server);
  const secret = randomBytes(8).toString("hex");
  function signature(id: string) {
    return createHash("sha256").update(`${secret}:${id}`).digest("hex").slice(0, 24);
  }

  return {
    baseUrl,
    apiKey,
    requests,
    storageRequests,
    operations,
    images,
    imageRequests,
    setPollsUntilDone: (n) => (pollsUntilDone = n),
    failNext: (n, match, response) => failures.add(n, match, response),
    contentOf: (name) => operations.get(name)!.video,
    async close() {
      for (const s of [server, storage]) await closeNow(s);
    },
  };
}

function serveBytes(req: IncomingMessage, res: ServerResponse, bytes: Buffer) {
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
  if (range) {
    const start = Number(range[1]);
    const end = range[2] ? Math.min(Number(range[2]), bytes.length - 1) : bytes.length - 1;
    res.writeHead(206, {
      "content-type": "video/mp4",
      "content-length": end - start + 1,
      "content-range": `bytes ${start}-${end}/${bytes.length}`,
      "accept-ranges": "bytes",
    });
    res.end(bytes.subarray(start, end + 1));
    return;
  }
  res.writeHead(200, { "content-type": "video/mp4", "content-length": bytes.length, "accept-ranges": "bytes" }).end(bytes);
}

const lower = (headers: IncomingMessage["headers"]) =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
