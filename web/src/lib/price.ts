/**
 * What a createVideo request will hold from the balance, computed before it is sent from the
 * `models` query, by the server's rule (src/billing/prices.ts): the price per unit at the size
 * the request ends up at (an operator's price over the catalogue's, exact size over "*"), times
 * the units — seconds for SECOND, one for IMAGE, and for TOKEN the most tokens the seconds and
 * size can produce. Plain TypeScript without the DOM: a Node test holds it to the server's rule.
 */
import type { ModelsQuery, PriceUnit } from "@reelay/client";
import { parseMoney } from "./money.js";

export type ModelInfo = ModelsQuery["models"][number];

/** What the form has chosen; null leaves the choice to the model's default. */
export interface Choice {
  seconds: number | null;
  size: string | null;
  aspectRatio: string | null;
}

export interface Quote {
  /** nano-dollars held at submission */
  amount: bigint;
  unit: PriceUnit;
  /** nano-dollars per unit at the size chosen */
  unitPrice: bigint;
  units: bigint;
  /** settled by what the provider reports, at most the amount held (TOKEN prices) */
  atMost: boolean;
}

/** The seconds and size a request with this choice is made at: the model's defaults fill what is not chosen. */
export function resolveChoice(model: ModelInfo, choice: Choice): { seconds: number | null; size: string | null } {
  const seconds = model.seconds.length > 0 ? (choice.seconds ?? model.defaultSeconds ?? null) : null;
  const implied = choice.aspectRatio ? model.aspectRatios.find((a) => a.aspectRatio === choice.aspectRatio)?.size : undefined;
  const size = choice.size ?? implied ?? model.defaultSize ?? null;
  return { seconds, size };
}

/** The hold for a request, or null when the console cannot tell (nothing prices the model at that size, or it lacks what its unit needs). */
export function quoteFor(model: ModelInfo, choice: Choice): Quote | null {
  const { seconds, size } = resolveChoice(model, choice);
  const sizePrice = size === null ? undefined : model.sizePrices.find((p) => p.size === size);
  // sizePrices lists every size the model makes; a size outside it is priced at "*", as pricePerUnit is when no size applies
  const unitPrice = parseMoney((sizePrice ? sizePrice.pricePerUnit : model.pricePerUnit) ?? "");
  if (unitPrice === null) return null;
  const units = unitsFor(model, seconds, size);
  if (units === null) return null;
  return { amount: unitPrice * units, unit: model.priceUnit, unitPrice, units, atMost: model.priceUnit === "TOKEN" };
}

function unitsFor(model: ModelInfo, seconds: number | null, size: string | null): bigint | null {
  switch (model.priceUnit) {
    case "SECOND":
      return seconds === null ? null : BigInt(seconds);
    case "IMAGE":
      return 1n;
    case "TOKEN":
      return tokensFor(model, seconds, size);
  }
}

/**
 * Tokens grow with width × height × seconds (× the model's frame rate, which the API does not
 * list): scaled from the default request, whose tokens are its hold over its unit price.
 */
function tokensFor(model: ModelInfo, seconds: number | null, size: string | null): bigint | null {
  const held = parseMoney(model.defaultRequestPrice ?? "");
  const unitPrice = parseMoney(model.pricePerUnit ?? "");
  const base = pixels(model.defaultSize);
  const area = pixels(size);
  if (held === null || !unitPrice || base === null || area === null || !seconds || !model.defaultSeconds) return null;
  if (held % unitPrice !== 0n) return null;
  const numerator = (held / unitPrice) * area * BigInt(seconds);
  const denominator = base * BigInt(model.defaultSeconds);
  return (numerator + denominator - 1n) / denominator;
}

function pixels(size: string | null | undefined): bigint | null {
  const m = size ? /^(\d+)x(\d+)$/.exec(size) : null;
  return m ? BigInt(m[1]) * BigInt(m[2]) : null;
}
