/** Prices per unit as people read them: per second, per image, and token prices per million tokens. */
import type { PriceUnit } from "@reelay/client";
import { formatUsd, parseMoney } from "./money.js";

const TOKENS_PER_QUOTE = 1_000_000n;

/** "$0.10 per second", "$0.039 per image", "$2.50 per million tokens" */
export function formatUnitPrice(price: string | bigint | null | undefined, unit: PriceUnit): string {
  const nanos = typeof price === "bigint" ? price : parseMoney(price ?? "");
  if (nanos === null) return "not priced";
  if (unit === "TOKEN") return `${formatUsd(nanos * TOKENS_PER_QUOTE)} per million tokens`;
  return `${formatUsd(nanos)} per ${unit === "IMAGE" ? "image" : "second"}`;
}
