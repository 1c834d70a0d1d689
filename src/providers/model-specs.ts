import { usd } from "../money.js";
import type { ModelSpec } from "./types.js";

/**
 * A provider's output sizes by its own resolution tier (Veo's "720p", Kling's "std"):
 * for each tier, the WIDTHxHEIGHT it makes at each aspect ratio. One table serves the
 * model specs (which sizes a model takes) and the adaptor (which flags a size becomes).
 */
export type SizeTiers = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** The tier and aspect ratio a size is made at; undefined when the provider does not make it. */
export function tierOf(tiers: SizeTiers, size: string | null): { tier: string; aspectRatio: string } | undefined {
  if (!size) return undefined;
  for (const [tier, ratios] of Object.entries(tiers)) {
    const ratio = Object.entries(ratios).find(([, s]) => s === size);
    if (ratio) return { tier, aspectRatio: ratio[0] };
  }
  return undefined;
}

/** Every size of the named tiers (all by default), tier by tier. */
export const sizesOf = (tiers: SizeTiers, names: readonly string[] = Object.keys(tiers)): string[] =>
  names.flatMap((name) => Object.values(tiers[name]));

/** The cross-field rule of image-to-video models: they cannot start without an image. */
export const needsReferenceImage: NonNullable<ModelSpec["check"]> = ({ hasReference }) =>
  hasReference ? null : { field: "inputReference", message: "an image-to-video model needs a reference image" };

/** Default prices given in US dollars ("0.10"), by size ("*" for any), as the nano-dollars specs hold. */
export const usdPrices = (prices: Readonly<Record<string, string>>): Record<string, bigint> =>
  Object.fromEntries(Object.entries(prices).map(([size, price]) => [size, usd(price)]));
