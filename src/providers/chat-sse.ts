import { setTimeout as sleep } from "node:timers/promises";
import { encodeReferenceImage } from "../media/reference-image.js";
import { type ErrorDialect, fromNetworkError, readUpstreamError, UpstreamError } from "./errors.js";
import { downloadResultUrl, joinUrl, postJson, type UpstreamResponse } from "./http.js";
import { usdPrices } from "./model-specs.js";
import type { ModelSpec, Provider, ProviderAdaptor, SubmitRequest, UpstreamSnapshot } from "./types.js";

/** A generation holds the connection for minutes; give up only after this long without any byte. */
const IDLE_TIMEOUT_MS = 5 * 60_000;
const MAX_STREAM_MS = 60 * 60_000;
/** The echoed parameters come first in a fenced JSON block; numbers in it are not progress. */
const ECHO_BLOCK = /```json[\s\S]*?```/g;
const PERCENT = /(\d{1,3}(?:\.\d+)?)\s*%/g;
const PROGRESS_WORD = /进度[:：\s]*(\d{1,3})/g;
const VIDEO_SRC = /<video[^>]*\ssrc=["']([^"']+)["']/g;
const MARKDOWN_LINK = /\]\((https?:\/\/[^\s)]+)\)/g;
const BARE_MEDIA_URL = /https?:\/\/\S+?\.(?:mp4|mov|webm)(?:\?[^\s)"'<]*)?/g;
const FAILURE_WORDS = /失败|failed|violat|policy|sentinel/i;

const lastMatch = (text: string, pattern: RegExp) => {
  let last: string | null = null;
  for (const m of text.matchAll(pattern)) last = m[1] ?? m[0];
  return last;
};

const unescapeAmp = (text: string) => text.replace(/&amp;/g, "&");
/** what may trail a link copied out of a JSON or HTML echo */
const ECHO_DEBRIS = /[\\"']+$/;

/** Every link in what the stream said, outside the echoed parameters, by the precedence resellers' formats need. */
function linksIn(text: string): string[][] {
  const body = text.replace(ECHO_BLOCK, "");
  return [VIDEO_SRC, MARKDOWN_LINK, BARE_MEDIA_URL].map((pattern) => [...body.matchAll(pattern)].map((m) => unescapeAmp(m[1] ?? m[0])));
}

/**
 * The result URL in what the stream said: the last link of the most specific form. A link
 * that the user's own prompt contains is never the result: a reseller that echoes the
 * prompt would otherwise hand the user's link back as "the video".
 */
export function resultUrlIn(text: string, prompt = ""): string | null {
  const inPrompt = [prompt, unescapeAmp(prompt)];
  const fromPrompt = (url: string) => inPrompt.some((p) => p !== "" && (p.includes(url) || p.includes(url.replace(ECHO_DEBRIS, ""))));
  for (const links of linksIn(text)) {
    const own = links.filter((url) => !fromPrompt(url));
    if (own.length) return own.at(-1)!;
  }
  return null;
}

/** The latest progress figure in what the stream said, outside the echoed parameters. */
export function progressIn(text: string): number | null {
  const body = text.replace(ECHO_BLOCK, "");
  const value = lastMatch(body, PERCENT) ?? lastMatch(body, PROGRESS_WORD);
  if (value === null) return null;
  return Math.max(0, Math.min(100, Math.floor(Number(value))));
}

function bodyOf(request: SubmitRequest) {
  const content: unknown = request.reference
    ? [
        { type: "text", text: request.prompt },
        {
          type: "image_url",
          image_url: { url: encodeReferenceImage.dataUrl(request.reference) },
        },
      ]
    : request.prompt;
  // Resellers encode duration and orientation in the model name itself.
  return { model: request.model, stream: true, messages: [{ role: "user", content }] };
}

const REFUSAL_WORDS = /moderation|policy|safety|sentinel/i;
/** The OpenAI-style error envelope resellers answer with; they name refusals in the code or only in the message. */
const CHAT_ERRORS: ErrorDialect<{ error?: { message?: string; code?: string; type?: string } }> = {
  read: ({ error }) => error ?? {},
  contentPolicy: { codes: REFUSAL_WORDS, messages: REFUSAL_WORDS },
};

/** Reads one chat-completions SSE response to its end: progress as it comes, then the outcome. */
async function readStream(
  res: UpstreamResponse,
  prompt: string,
  onProgress: (p: number) => void,
  signal?: AbortSignal,
): Promise<{ snapshot: UpstreamSnapshot; sawContent: boolean }> {
  const decoder = new TextDecoder();
  const body = res.body;
  let carry = "";
  let text = "";
  let lastProgress = -1;
  let idle: NodeJS.Timeout | undefined;
  const resetIdle = () => {
    clearTimeout(idle);
    idle = setTimeout(() => body.destroy(new Error("the stream went silent")), IDLE_TIMEOUT_MS);
  };
  const onAbort = () => body.destroy(signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    resetIdle();
    for await (const value of body as AsyncIterable<Uint8Array>) {
      resetIdle();
      carry += decoder.decode(value, { stream: true });
      const lines = carry.split("\n");
      carry = lines.pop() ?? "";
      for (const raw of lines) {
        const line = raw.trim();
        if (!line.startsWith("data:")) continue;
        const data = line.slice(5).trim();
        if (data === "" || data === "[DONE]") continue;
        let frame: {
          error?: { message?: string; code?: string };
          choices?: { delta?: { content?: string; reasoning_content?: string } }[];
        };
        try {
          frame = JSON.parse(data);
        } catch {
          continue; // half a frame from a sloppy proxy
        }
        if (frame.error) {
          const message = frame.error.message || "the provider reported an error in the stream";
          return {
            snapshot: {
              status: "FAILED",
              error: {
                code:
                  FAILURE_WORDS.test(message) && /policy|violat|sentinel|moderation/i.test(message)
                    ? "CONTENT_POLICY"
                    : frame.error.code || "UPSTREAM_FAILED",
                message,
              },
            },
            sawContent: true,
          };
        }
        const delta = frame.choices?.[0]?.delta;
        text += `${delta?.content ?? ""}${delta?.reasoning_content ?? ""}`;
        const progress = progressIn(text);
        if (progress !== null && progress > lastProgress) {
          lastProgress = progress;
          onProgress(progress);
        }
      }
    }
  } catch (err) {
    if (signal?.aborted) throw err;
    // The connection dropped mid-generation: the job cannot be resumed.
    return {
      snapshot: {
        status: "FAILED",
        error: { code: "STREAM_DROPPED", message: `the stream broke off before the video was ready: ${fromNetworkError(err).message}` },
      },
      sawContent: text !== "",
    };
  } finally {
    clearTimeout(idle);
    signal?.removeEventListener("abort", onAbort);
  }
  const url = resultUrlIn(text, prompt);
  if (url) return { snapshot: { status: "COMPLETED", progress: 100, result: { url } }, sawContent: true };
  if (linksIn(text).some((links) => links.length > 0)) {
    const error = { code: "RESULT_FROM_PROMPT", message: "the only link in the provider's answer is one the prompt contains" };
    return { snapshot: { status: "FAILED", error }, sawContent: true };
  }
  const tail = text.replace(ECHO_BLOCK, "").trim().slice(-300);
  return {
    snapshot: {
      status: "FAILED",
      error: {
        code: /policy|violat|sentinel|moderation/i.test(tail) ? "CONTENT_POLICY" : "STREAM_ENDED",
        message: tail ? `the stream ended without a video: ${tail}` : "the stream ended without a video",
      },
    },
    sawContent: text !== "",
  };
}

/**
 * Resellers that serve video models through `/v1/chat/completions` with `stream: true`:
 * progress is parsed from the text as it streams and pushed at once, the video URL is
 * taken from the final text. Nothing to poll: the worker holds the stream.
 */
export const chatSseAdaptor: ProviderAdaptor = {
  name: "chat-sse",
  // Result links are short-lived; mirror at once.
  resultRetentionMs: 2 * 3600_000,

  async submit() {
    throw new UpstreamError("unavailable", "STREAM_ONLY", "chat-sse channels stream; they have no separate submission");
  },

  async poll() {
    throw new UpstreamError("not_found", "STREAM_ONLY", "chat-sse jobs cannot be polled; the stream carries them");
  },

  async stream({ channel, request, onProgress, attempts = 3, retryBaseMs = 1_000, signal }) {
    for (let attempt = 1; ; attempt++) {
      let failure: UpstreamError;
      try {
        const res = await postJson(joinUrl(channel.baseUrl, "/v1/chat/completions"), {
          headers: { authorization: `Bearer ${channel.apiKey}`, accept: "text/event-stream" },
          json: bodyOf(request),
          signal,
          timeoutMs: MAX_STREAM_MS,
        });
        if (res.ok) return (await readStream(res, request.prompt, onProgress, signal)).snapshot;
        failure = await readUpstreamError(res, CHAT_ERRORS);
      } catch (err) {
        if (signal?.aborted) throw err;
        failure = fromNetworkError(err);
      }
      // Only before any content: once text has streamed the job exists and may be billed.
      if (!failure.retryable || attempt >= attempts) throw failure;
      const wait = Math.max(retryBaseMs * 2 ** (attempt - 1), failure.options.retryAfterMs ?? 0);
      await sleep(wait * (0.8 + Math.random() * 0.4), undefined, { signal });
    }
  },

  download(options) {
    return downloadResultUrl(this, options);
  },
};

/** Chat-completions resellers: duration and orientation are part of the model name. */
function resellerModel(id: string, seconds: number): Omit<ModelSpec, "provider"> {
  return {
    id,
    mediaType: "VIDEO",
    seconds: { allowed: [seconds], default: seconds },
    sizes: null,
    aspectRatios: {},
    maxPromptLength: 4_000, // characters, as Sora takes
    acceptsReferenceImage: true,
    priceUnit: "SECOND",
    defaultPrices: usdPrices({ "*": "0.01" }),
  };
}

export const chatSse: Provider = {
  adaptor: chatSseAdaptor,
  models: [
    resellerModel("sora_video2", 10),
    resellerModel("sora_video2-landscape", 10),
    resellerModel("sora_video2-15s", 15),
    resellerModel("sora_video2-landscape-15s", 15),
  ],
};
