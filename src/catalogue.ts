import { usd } from "./money.js";
import type { MediaKind } from "./providers/types.js";

export type PriceUnit = "SECOND" | "IMAGE" | "TOKEN";
export type { MediaKind };

/** What Reelay knows about a model: what input it takes and how it is priced by default. */
export interface ModelSpec {
  id: string;
  /** the adaptor that speaks to this model's channels */
  provider: string;
  mediaType: MediaKind;
  seconds: { allowed: readonly number[]; default: number } | null;
  sizes: { allowed: readonly string[]; default: string } | null;
  /** aspect ratio → the size it selects when no size is given */
  aspectRatios: Readonly<Record<string, string>>;
  maxPromptLength: number;
  acceptsReferenceImage: boolean;
  priceUnit: PriceUnit;
  /** nano-dollars per unit, by size ("*" = any size) */
  defaultPrices: Readonly<Record<string, bigint>>;
  /** frames per second of the output, for models priced by tokens (tokens ≈ width × height × fps × seconds / 1024) */
  fps?: number;
  /** rules across fields (e.g. 1080p only at 8 seconds): the field at fault and why, when refused */
  check?(params: { seconds: number | null; size: string | null; hasReference: boolean }): { field: string; message: string } | null;
}

const SORA_PROMPT_LIMIT = 4_000; // characters
const SORA_SECONDS = { allowed: [4, 8, 12], default: 4 } as const;
const PORTRAIT_720 = "720x1280";
const LANDSCAPE_720 = "1280x720";

const MODELS: ModelSpec[] = [
  {
    id: "sora-2",
    provider: "openai",
    mediaType: "VIDEO",
    seconds: SORA_SECONDS,
    sizes: { allowed: [PORTRAIT_720, LANDSCAPE_720], default: PORTRAIT_720 },
    aspectRatios: { "9:16": PORTRAIT_720, "16:9": LANDSCAPE_720 },
    maxPromptLength: SORA_PROMPT_LIMIT,
    acceptsReferenceImage: true,
    priceUnit: "SECOND",
    defaultPrices: { "*": usd("0.10") },
  },
  {
    id: "sora-2-pro",
    provider: "openai",
    mediaType: "VIDEO",
    seconds: SORA_SECONDS,
    sizes: { allowed: [PORTRAIT_720, LANDSCAPE_720, "1024x1792", "1792x1024"], default: PORTRAIT_720 },
    aspectRatios: { "9:16": PORTRAIT_720, "16:9": LANDSCAPE_720 },
    maxPromptLength: SORA_PROMPT_LIMIT,
    acceptsReferenceImage: true,
    priceUnit: "SECOND",
    defaultPrices: {
      [PORTRAIT_720]: usd("0.30"),
      [LANDSCAPE_720]: usd("0.30"),
      "1024x1792": usd("0.50"),
      "1792x1024": usd("0.50"),
    },
  },
];

// Veo through the Gemini API: 4, 6 or 8 seconds; 1080p and 4k only at 8 seconds.
const VEO_720 = { "16:9": LANDSCAPE_720, "9:16": PORTRAIT_720 } as const;
const VEO_1080 = ["1920x1080", "1080x1920"];
const VEO_4K = ["3840x2160", "2160x3840"];
const VEO_PROMPT_LIMIT = 4_000; // characters; the API counts tokens (1,024), this is a safe bound
const veoOnlyAt8 = ({ seconds, size }: { seconds: number | null; size: string | null }) =>
  size && [...VEO_1080, ...VEO_4K].includes(size) && seconds !== 8
    ? { field: "seconds", message: `${size} is made only at 8 seconds` }
    : null;
function veo(id: string, pricePerSecond: string, fourK: boolean): ModelSpec {
  return {
    id,
    provider: "gemini",
    mediaType: "VIDEO",
    seconds: { allowed: [4, 6, 8], default: 8 },
    sizes: { allowed: [LANDSCAPE_720, PORTRAIT_720, ...VEO_1080, ...(fourK ? VEO_4K : [])], default: LANDSCAPE_720 },
    aspectRatios: VEO_720,
    maxPromptLength: VEO_PROMPT_LIMIT,
    acceptsReferenceImage: true,
    priceUnit: "SECOND",
    defaultPrices: { "*": usd(pricePerSecond) },
    check: veoOnlyAt8,
  };
}
MODELS.push(
  veo("veo-3.0-generate-001", "0.40", false),
  veo("veo-3.0-fast-generate-001", "0.15", false),
  veo("veo-3.1-generate-preview", "0.40", true),
  veo("veo-3.1-fast-generate-preview", "0.15", true),
);

// Kling: 5 or 10 seconds; std renders 720p, pro 1080p (the size picks the mode).
const KLING_STD = [LANDSCAPE_720, PORTRAIT_720, "720x720"];
const KLING_PRO = ["1920x1080", "1080x1920", "1080x1080"];
const KLING_PROMPT_LIMIT = 2_500;
function kling(id: string, std: string | null, pro: string): ModelSpec {
  const prices: Record<string, bigint> = {};
  for (const size of KLING_PRO) prices[size] = usd(pro);
  if (std) for (const size of KLING_STD) prices[size] = usd(std);
  return {
    id,
    provider: "kling",
    mediaType: "VIDEO",
    seconds: { allowed: [5, 10], default: 5 },
    sizes: { allowed: [...(std ? KLING_STD : []), ...KLING_PRO], default: std ? LANDSCAPE_720 : "1920x1080" },
    aspectRatios: std
      ? { "16:9": LANDSCAPE_720, "9:16": PORTRAIT_720, "1:1": "720x720" }
      : { "16:9": "1920x1080", "9:16": "1080x1920", "1:1": "1080x1080" },
    maxPromptLength: KLING_PROMPT_LIMIT,
    acceptsReferenceImage: true,
    priceUnit: "SECOND",
    defaultPrices: prices,
  };
}
MODELS.push(
  kling("kling-v2-5-turbo", "0.042", "0.07"),
  kling("kling-v2-6", "0.042", "0.07"),
  kling("kling-v2-1-master", null, "0.28"),
  kling("kling-v1-6", "0.028", "0.049"),
);

// Wan on DashScope. Text-to-video models take no image; image-to-video models need one.
const WAN_PROMPT_LIMIT = 800;
function wan(id: string, options: { seconds: number[]; sizes: Record<string, string>; imageToVideo: boolean }): ModelSpec {
  const sizes = Object.keys(options.sizes);
  return {
    id,
    provider: "dashscope",
    mediaType: "VIDEO",
    seconds: { allowed: options.seconds, default: options.seconds[0] },
    sizes: { allowed: sizes, default: sizes.includes(LANDSCAPE_720) ? LANDSCAPE_720 : sizes[0] },
    // An aspect ratio alone picks 720p where the model makes it, else its highest tier.
    aspectRatios: Object.fromEntries(
      [
        ["16:9", [LANDSCAPE_720, "1920x1080", "832x480"].find((s) => sizes.includes(s))],
        ["9:16", [PORTRAIT_720, "1080x1920", "480x832"].find((s) => sizes.includes(s))],
      ].filter((e): e is [string, string] => Boolean(e[1])),
    ),
    maxPromptLength: WAN_PROMPT_LIMIT,
    acceptsReferenceImage: options.imageToVideo,
    priceUnit: "SECOND",
    defaultPrices: Object.fromEntries(Object.entries(options.sizes).map(([size, price]) => [size, usd(price)])),
    check: options.imageToVideo
      ? ({ hasReference }) =>
          hasReference ? null : { field: "inputReference", message: "an image-to-video model needs a reference image" }
      : undefined,
  };
}
MODELS.push(
  wan("wan2.2-t2v-plus", {
    seconds: [5],
    sizes: { "832x480": "0.02", "480x832": "0.02", "1920x1080": "0.10", "1080x1920": "0.10" },
    imageToVideo: false,
  }),
  wan("wan2.5-t2v-preview", {
    seconds: [5, 10],
    sizes: { "832x480": "0.05", "480x832": "0.05", "1280x720": "0.10", "720x1280": "0.10", "1920x1080": "0.15", "1080x1920": "0.15" },
    imageToVideo: false,
  }),
  wan("wan2.2-i2v-plus", {
    seconds: [5],
    sizes: { "832x480": "0.02", "480x832": "0.02", "1920x1080": "0.10", "1080x1920": "0.10" },
    imageToVideo: true,
  }),
  wan("wan2.5-i2v-preview", {
    seconds: [5, 10],
    sizes: { "832x480": "0.05", "480x832": "0.05", "1280x720": "0.10", "720x1280": "0.10", "1920x1080": "0.15", "1080x1920": "0.15" },
    imageToVideo: true,
  }),
);

// Seedance (BytePlus ModelArk / Volcengine Ark): priced per output token, 24 fps.
const SEEDANCE_SIZES = ["864x480", "480x864", "640x640", LANDSCAPE_720, PORTRAIT_720, "960x960", "1920x1080", "1080x1920", "1440x1440"];
function seedance(id: string, usdPerMillionTokens: number, imageToVideoOnly = false): ModelSpec {
  return {
    id,
    provider: "seedance",
    mediaType: "VIDEO",
    seconds: { allowed: [5, 10], default: 5 },
    sizes: { allowed: SEEDANCE_SIZES, default: "1920x1080" },
    aspectRatios: { "16:9": "1920x1080", "9:16": "1080x1920", "1:1": "1440x1440" },
    maxPromptLength: 2_000,
    acceptsReferenceImage: true,
    priceUnit: "TOKEN",
    // nano-dollars per token = USD per million tokens × 1000
    defaultPrices: { "*": BigInt(Math.round(usdPerMillionTokens * 1000)) },
    fps: 24,
    check: imageToVideoOnly
      ? ({ hasReference }) =>
          hasReference ? null : { field: "inputReference", message: "this image-to-video model needs a reference image" }
      : undefined,
  };
}
MODELS.push(
  seedance("seedance-1-0-pro-250528", 2.5),
  seedance("seedance-1-0-pro-fast-251015", 1.0),
  seedance("seedance-1-0-lite-t2v-250428", 1.8),
  seedance("seedance-1-0-lite-i2v-250428", 1.8, true),
);

// Chat-completions resellers: duration and orientation are part of the model name.
function reseller(id: string, seconds: number): ModelSpec {
  return {
    id,
    provider: "chat-sse",
    mediaType: "VIDEO",
    seconds: { allowed: [seconds], default: seconds },
    sizes: null,
    aspectRatios: {},
    maxPromptLength: SORA_PROMPT_LIMIT,
    acceptsReferenceImage: true,
    priceUnit: "SECOND",
    defaultPrices: { "*": usd("0.01") },
  };
}
MODELS.push(
  reseller("sora_video2", 10),
  reseller("sora_video2-landscape", 10),
  reseller("sora_video2-15s", 15),
  reseller("sora_video2-landscape-15s", 15),
);

// Gemini image models, priced per image.
const IMAGE_SIZES = { "1:1": "1024x1024", "16:9": "1344x768", "9:16": "768x1344", "4:3": "1184x864", "3:4": "864x1184" };
function image(id: string, price: string, takesReference: boolean): ModelSpec {
  return {
    id,
    provider: "gemini",
    mediaType: "IMAGE",
    seconds: null,
    sizes: { allowed: Object.values(IMAGE_SIZES), default: IMAGE_SIZES["1:1"] },
    aspectRatios: IMAGE_SIZES,
    maxPromptLength: 4_000,
    acceptsReferenceImage: takesReference,
    priceUnit: "IMAGE",
    defaultPrices: { "*": usd(price) },
  };
}
MODELS.push(
  image("gemini-2.5-flash-image", "0.039", true),
  image("imagen-4.0-generate-001", "0.04", false),
  image("imagen-4.0-fast-generate-001", "0.02", false),
);

/**
 * Units to hold for a request: its seconds, one image, or for token-priced video the
 * most tokens the request can produce. Null when the request lacks what the unit needs.
 */
export function holdUnits(
  unit: PriceUnit,
  spec: ModelSpec | undefined,
  params: { seconds: number | null; size: string | null },
): number | null {
  switch (unit) {
    case "SECOND":
      return params.seconds;
    case "IMAGE":
      return 1;
    case "TOKEN": {
      if (!params.seconds || !params.size) return null;
      const [width, height] = params.size.split("x").map(Number);
      return Math.ceil((width * height * (spec?.fps ?? DEFAULT_FPS) * params.seconds) / 1024);
    }
  }
}
const DEFAULT_FPS = 24;

const BY_ID = new Map(MODELS.map((m) => [m.id, m]));

export function findModel(id: string): ModelSpec | undefined {
  return BY_ID.get(id);
}

export function allModels(): readonly ModelSpec[] {
  return MODELS;
}
