import { usd } from "./money.js";

export type PriceUnit = "SECOND" | "IMAGE" | "TOKEN";
export type MediaKind = "VIDEO" | "IMAGE";

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
}

const SORA_PROMPT_LIMIT = 4_000; // characters
const SORA_SECONDS = { allowed: [4, 8, 12], default: 4 } as const;
const PORTRAIT_720 = "720x1280";
const LANDSCAPE_720 = "1280x720";

const MODELS: readonly ModelSpec[] = [
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

const BY_ID = new Map(MODELS.map((m) => [m.id, m]));

export function findModel(id: string): ModelSpec | undefined {
  return BY_ID.get(id);
}

export function allModels(): readonly ModelSpec[] {
  return MODELS;
}
