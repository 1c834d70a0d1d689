import { type AuditActor, type AuditSnapshot, recordAudit } from "../audit.js";
import { allModels, findModel, holdUnits, type PriceUnit } from "../catalogue.js";
import type { Db, Prisma } from "../db/index.js";
import { badInput } from "../errors.js";
import { SIZE_PATTERN } from "../limits.js";
import { formatMoney } from "../money.js";

export const ANY_SIZE = "*";

export interface Price {
  model: string;
  size: string;
  unit: PriceUnit;
  /** nano-dollars per unit */
  price: bigint;
}

/** An operator's price row as the ModelPrice table keeps it. */
export type PriceRow = Omit<Price, "model">;

/**
 * The price of a model at a size: an operator's own price (exact size, then "*")
 * wins over the catalogue's default (exact size, then "*"). Null when nothing prices it.
 */
export async function priceFor(db: Prisma.TransactionClient, model: string, size: string | null): Promise<Price | null> {
  const rows = await db.modelPrice.findMany({ where: { model, size: { in: size ? [size, ANY_SIZE] : [ANY_SIZE] } } });
  return pickPrice(rows, model, size);
}

/** priceFor's rule over the operator's price rows for `model`, already read (any sizes). */
export function pickPrice(rows: readonly PriceRow[], model: string, size: string | null): Price | null {
  const sizes = size ? [size, ANY_SIZE] : [ANY_SIZE];
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

/**
 * What a task of this model and these parameters holds from the balance, and the price it
 * is held at. BAD_USER_INPUT when nothing prices the model at that size, or when its price
 * unit needs parameters the request left out. Token-priced video holds the most its seconds
 * and size can produce; settlement charges what was reported.
 */
export async function quoteHold(
  db: Db,
  model: string,
  params: { seconds: number | null; size: string | null },
): Promise<{ price: Price; amount: bigint }> {
  const price = await priceFor(db, model, params.size);
  if (!price)
    throw badInput(`There is no price for ${model}${params.size ? ` at ${params.size}` : ""}; an admin can set one with setModelPrice`);
  const amount = holdAmount(price, params);
  if (amount === null) {
    const needs = price.unit === "TOKEN" ? "seconds and size are" : "seconds is";
    throw badInput(`${model} is priced per ${price.unit.toLowerCase()}: ${needs} required`, { field: "seconds" });
  }
  return { price, amount };
}

/** quoteHold's amount at a price already found; null when the price unit needs parameters the request left out. */
export function holdAmount(price: Price, params: { seconds: number | null; size: string | null }): bigint | null {
  const units = holdUnits(price.unit, findModel(price.model), params);
  return units === null ? null : costOf(price.price, units);
}

/** An operator's price for a model at a size. */
export interface PriceSetting {
  model: string;
  /** WIDTHxHEIGHT, or "*" for any size */
  size: string;
  /** nano-dollars per unit */
  price: bigint;
  /** defaults to the model's unit in the catalogue, else SECOND */
  unit?: PriceUnit | null;
}

/**
 * Checks and stores an operator's price; returns the price now in effect for that model and
 * size. The audit log records, in the same transaction, the price in effect before and after.
 */
export async function setPrice(db: Db, setting: PriceSetting, actor: AuditActor): Promise<Price> {
  const model = setting.model.trim();
  if (model === "") throw badInput("model must not be empty", { field: "model" });
  if (setting.size !== ANY_SIZE && !SIZE_PATTERN.test(setting.size)) throw badInput('size must be WIDTHxHEIGHT or "*"', { field: "size" });
  if (setting.price < 0n) throw badInput("a price cannot be negative", { field: "perSecond" });
  const unit = setting.unit ?? findModel(model)?.priceUnit ?? "SECOND";
  const size = setting.size === ANY_SIZE ? null : setting.size;
  return db.$transaction(async (tx) => {
    const before = await priceFor(tx, model, size);
    await tx.modelPrice.upsert({
      where: { model_size: { model, size: setting.size } },
      create: { model, size: setting.size, unit, price: setting.price },
      update: { unit, price: setting.price },
    });
    const after = (await priceFor(tx, model, size))!;
    await recordAudit(tx, {
      action: "PRICE_SET",
      actor,
      targetType: "price",
      target: `${model} ${setting.size}`,
      before: before && priceSnapshot(before),
      after: priceSnapshot(after),
    });
    return after;
  });
}

/** A price as the audit log keeps it: the size it applies to ("*" when it came from the any-size price), its unit and amount. */
const priceSnapshot = (price: Price): AuditSnapshot => ({ size: price.size, unit: price.unit, price: formatMoney(price.price) });

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
