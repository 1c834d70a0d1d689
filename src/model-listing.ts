/**
 * The catalogue as a frontend reads it: each model Reelay knows, with what it takes, what
 * it costs (by the rules createVideo holds by) and whether a channel serves it now.
 */
import { holdAmount, type Price, type PriceRow, pickPrice } from "./billing/prices.js";
import { allModels, type ModelSpec, requiresReferenceImage } from "./catalogue.js";
import { circuitState } from "./channels/health.js";
import type { Services } from "./context.js";
import { adaptorFor } from "./providers/index.js";
import { type VideoParams, validateVideoParams } from "./tasks/validate.js";

/** The prompt of the default request; its text does not change what is held. */
const DEFAULT_REQUEST_PROMPT = "default request";

/** One model of the catalogue with its price and availability. */
export interface ModelListing {
  spec: ModelSpec;
  /** a reference image: none taken, accepted, or required */
  referenceImage: "NONE" | "ACCEPTED" | "REQUIRED";
  /** what createVideo fills in when only model and prompt (and the image, when required) are given */
  defaultRequest: VideoParams;
  /** the price in effect at the default request's size; null when nothing prices the model */
  price: Price | null;
  /** the price in effect at each size the model makes (its sizes, else the sizes its aspect ratios select) */
  sizePrices: { size: string; price: Price | null }[];
  /** what the default request holds from the balance; null when it cannot be priced */
  defaultRequestPrice: bigint | null;
  /** an enabled channel whose provider Reelay speaks serves the model and its circuit is not open */
  available: boolean;
}

/** Every model of the catalogue: two statements (operator prices, enabled channels) however many models there are. */
export async function listModels(services: Pick<Services, "db" | "config" | "clock">): Promise<ModelListing[]> {
  const { db, config, clock } = services;
  const [priceRows, channels] = await Promise.all([
    db.modelPrice.findMany({ select: { model: true, size: true, unit: true, price: true } }),
    db.channel.findMany({
      where: { enabled: true },
      select: { models: true, provider: true, consecutiveFailures: true, circuitOpenUntil: true },
    }),
  ]);
  const rowsByModel = new Map<string, PriceRow[]>();
  for (const { model, ...row } of priceRows) rowsByModel.set(model, [...(rowsByModel.get(model) ?? []), row]);
  const now = clock.now();
  // a half-open channel still takes a trial submission, so only an open circuit takes a channel out
  const served = new Set(
    channels
      .filter((c) => adaptorFor(c.provider) && circuitState(c, config.circuitFailureThreshold, now) !== "OPEN")
      .flatMap((c) => c.models),
  );
  return allModels().map((spec) => {
    const required = requiresReferenceImage(spec);
    const defaultRequest = validateVideoParams(spec.id, spec, { prompt: DEFAULT_REQUEST_PROMPT, hasReference: required });
    const rows = rowsByModel.get(spec.id) ?? [];
    const price = pickPrice(rows, spec.id, defaultRequest.size);
    return {
      spec,
      referenceImage: required ? "REQUIRED" : spec.acceptsReferenceImage ? "ACCEPTED" : "NONE",
      defaultRequest,
      price,
      sizePrices: sizesMade(spec).map((size) => ({ size, price: pickPrice(rows, spec.id, size) })),
      defaultRequestPrice: price && holdAmount(price, defaultRequest),
      available: served.has(spec.id),
    };
  });
}

/** The sizes a request for the model can end up at: its sizes, else the ones its aspect ratios select. */
const sizesMade = (spec: ModelSpec): string[] => [...new Set(spec.sizes?.allowed ?? Object.values(spec.aspectRatios))];
