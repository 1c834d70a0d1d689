/**
 * The models Reelay knows: each provider module lists its own (what they take, their
 * default prices); the catalogue gathers them and answers lookups.
 */
import { providerModels } from "./providers/index.js";
import type { ModelSpec, PriceUnit } from "./providers/types.js";

export type { MediaKind, ModelSpec, PriceUnit } from "./providers/types.js";

const MODELS: readonly ModelSpec[] = providerModels();

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

/**
 * Whether the model refuses a request without a reference image (image-to-video models),
 * read from the model's own cross-field rule at its default seconds and size.
 */
export function requiresReferenceImage(spec: ModelSpec): boolean {
  if (!spec.acceptsReferenceImage || !spec.check) return false;
  const defaults = { seconds: spec.seconds?.default ?? null, size: spec.sizes?.default ?? null };
  return spec.check({ ...defaults, hasReference: false })?.field === "inputReference" && !spec.check({ ...defaults, hasReference: true });
}
