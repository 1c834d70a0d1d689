import type { ModelSpec } from "../catalogue.js";
import { badInput } from "../errors.js";
import { SIZE_PATTERN } from "../limits.js";

/** prompt length for models the catalogue does not describe */
const DEFAULT_PROMPT_LIMIT = 4_000;
const MAX_SECONDS = 120;

export interface VideoParams {
  prompt: string;
  seconds: number | null;
  size: string | null;
  aspectRatio: string | null;
}

const list = (values: readonly (string | number)[]) => values.join(", ");

/**
 * Checks a request against what the model accepts, before any money or upstream call,
 * and fills in the model's defaults. Errors name the allowed values.
 */
export function validateVideoParams(
  model: string,
  spec: ModelSpec | undefined,
  input: { prompt: string; seconds?: number | null; size?: string | null; aspectRatio?: string | null; hasReference: boolean },
): VideoParams {
  const prompt = input.prompt.trim();
  if (prompt === "") throw badInput("prompt must not be empty", { field: "prompt" });
  // PostgreSQL text cannot hold NUL: refuse it here rather than fail at the insert
  if (prompt.includes("\u0000")) throw badInput("prompt must not contain NUL characters", { field: "prompt" });
  const promptLimit = spec?.maxPromptLength ?? DEFAULT_PROMPT_LIMIT;
  if (prompt.length > promptLimit) {
    throw badInput(`prompt is ${prompt.length} characters; ${model} accepts at most ${promptLimit}`, { field: "prompt" });
  }
  if (input.hasReference && spec && !spec.acceptsReferenceImage) {
    throw badInput(`${model} does not take a reference image`, { field: "inputReference" });
  }

  let seconds = input.seconds ?? null;
  if (spec && !spec.seconds && seconds !== null)
    throw badInput(`${model} makes ${spec.mediaType === "IMAGE" ? "images" : "media of a fixed length"}: seconds does not apply`, {
      field: "seconds",
    });
  if (seconds !== null && (!Number.isInteger(seconds) || seconds <= 0 || seconds > MAX_SECONDS)) {
    throw badInput(`seconds must be a positive whole number${spec?.seconds ? `: one of ${list(spec.seconds.allowed)}` : ""}`, {
      field: "seconds",
    });
  }
  if (spec?.seconds) {
    if (seconds === null) seconds = spec.seconds.default;
    else if (!spec.seconds.allowed.includes(seconds)) {
      throw badInput(`${model} makes videos of ${list(spec.seconds.allowed)} seconds, not ${seconds}`, {
        field: "seconds",
        allowed: spec.seconds.allowed,
      });
    }
  }

  let size = input.size ?? null;
  const aspectRatio = input.aspectRatio ?? null;
  if (size !== null && !SIZE_PATTERN.test(size)) throw badInput(`size must look like 1280x720, got "${size}"`, { field: "size" });
  if (spec?.sizes) {
    if (size !== null && !spec.sizes.allowed.includes(size)) {
      throw badInput(`${model} makes sizes ${list(spec.sizes.allowed)}, not ${size}`, { field: "size", allowed: spec.sizes.allowed });
    }
  }
  if (aspectRatio !== null && spec) {
    // own keys only: "constructor" or "__proto__" must not find what every object inherits
    const implied = Object.hasOwn(spec.aspectRatios, aspectRatio) ? spec.aspectRatios[aspectRatio] : undefined;
    const ratios = Object.keys(spec.aspectRatios);
    if (!implied) {
      if (ratios.length === 0)
        throw badInput(`${model} takes no aspect ratio: its shape is part of the model`, { field: "aspectRatio", allowed: ratios });
      throw badInput(`${model} takes aspect ratios ${list(ratios)}, not ${aspectRatio}`, { field: "aspectRatio", allowed: ratios });
    }
    if (size !== null && !sameShape(size, implied)) {
      throw badInput(`size ${size} does not have aspect ratio ${aspectRatio}`, { field: "aspectRatio" });
    }
    size ??= implied;
  }
  if (spec?.sizes && size === null) size = spec.sizes.default;
  const refused = spec?.check?.({ seconds, size, hasReference: input.hasReference });
  if (refused) throw badInput(`${model}: ${refused.message}`, { field: refused.field });
  return { prompt, seconds, size, aspectRatio };
}

/** Same orientation (portrait, landscape or square): 1024x1792 is a 9:16 size for sora-2-pro. */
function sameShape(a: string, b: string) {
  const [aw, ah] = a.split("x").map(Number);
  const [bw, bh] = b.split("x").map(Number);
  return Math.sign(aw - ah) === Math.sign(bw - bh);
}
