import { allModels, findModel, type PriceUnit } from "../catalogue.js";
import type { Db } from "../db/index.js";

export const ANY_SIZE = "*";

export interface Price {
  model: string;
  size: string;
  unit: PriceUnit;
  /** nano-dollars per unit */
  price: bigint;
}

/**
 * The price of a model at a size: an operator's own price (exact size, then "*")
 * wins over the catalogue's default (exact size, then "*"). Null when nothing prices it.
 */
export async function priceFor(db: Db, model: string, size: string | null): Promise<Price | null> {
  const sizes = size ? [size, ANY_SIZE] : [ANY_SIZE];
  const rows = await db.modelPrice.findMany({ where: { model, size: { in: sizes } } });
  for (const s of sizes) {
    const row = rows.find((r) => r.size === s);
    if (row) return { model, size: row.size, unit: row.unit, price: row.price };
  }
  const spec = findModel(model);
  if (!spec) return null;
  for (const s of sizes) {
    const price = spec.defaultPrices[s];
    if (price !== undefined) return { model, size: s, unit: spec.priceUnit, price };
  }
  return null;
}

/** Every effective price: catalogue defaults overlaid with the operator's prices, sorted. */
export async function listPrices(db: Db): Promise<Price[]> {
  const merged = new Map<string, Price>();
  for (const spec of allModels()) {
    for (const [size, price] of Object.entries(spec.defaultPrices)) {
      merged.set(`${spec.id}\n${size}`, { model: spec.id, size, unit: spec.priceUnit, price });
    }
  }
  for (const row of await db.modelPrice.findMany()) {
    merged.set(`${row.model}\n${row.size}`, { model: row.model, size: row.size, unit: row.unit, price: row.price });
  }
  return [...merged.values()].sort((a, b) => a.model.localeCompare(b.model) || a.size.localeCompare(b.size));
}

/** Units × price, for fractional units (e.g. 5.1 seconds) rounded half up to the nano-dollar. */
export function costOf(unitPrice: bigint, units: number): bigint {
  const MILLI = 1000n;
  const milliUnits = BigInt(Math.round(units * 1000));
  return (unitPrice * milliUnits + MILLI / 2n) / MILLI;
}
