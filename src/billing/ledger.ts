import type { Prisma } from "../db/index.js";
import { badInput, ErrorCode, ReelayError } from "../errors.js";
import type { LedgerKind } from "../generated/prisma/enums.js";
import { formatMoney } from "../money.js";

/**
 * Every movement of money: one balance update guarded in SQL (so concurrent
 * requests can never overdraw) plus its ledger row, in the caller's transaction.
 * Amounts are nano-dollars.
 */
type Tx = Prisma.TransactionClient;

interface BalanceRow {
  balance: bigint;
}

async function record(
  tx: Tx,
  entry: {
    userId: string;
    taskId?: string;
    kind: LedgerKind;
    amount: bigint;
    balanceAfter: bigint;
    note?: string;
  },
) {
  await tx.ledgerEntry.create({ data: entry });
}

/** Adds (or, negative, removes) spendable credit; never below zero. Returns the new balance. */
export async function grant(tx: Tx, userId: string, amount: bigint, note?: string): Promise<bigint> {
  const rows = await tx.$queryRaw<BalanceRow[]>`
    UPDATE users SET balance = balance + ${amount}, "updatedAt" = now()
    WHERE id = ${userId}::uuid AND balance + ${amount} >= 0
    RETURNING balance`;
  if (rows.length === 0) throw badInput("That would take the balance below zero");
  const balanceAfter = rows[0].balance;
  if (amount !== 0n) {
    await record(tx, { userId, kind: amount > 0n ? "CREDIT" : "DEBIT", amount: amount > 0n ? amount : -amount, balanceAfter, note });
  }
  return balanceAfter;
}

/** The refusal of a task whose hold of `amount` the balance does not cover. */
export const insufficientCredit = (amount: bigint) =>
  new ReelayError(ErrorCode.INSUFFICIENT_CREDIT, "Your balance does not cover this task", { required: formatMoney(amount) });

/** Moves `amount` from spendable to held for a task; INSUFFICIENT_CREDIT when the balance is short. */
export async function hold(tx: Tx, userId: string, taskId: string, amount: bigint): Promise<void> {
  const rows = await tx.$queryRaw<BalanceRow[]>`
    UPDATE users SET balance = balance - ${amount}, held = held + ${amount}, "updatedAt" = now()
    WHERE id = ${userId}::uuid AND balance >= ${amount}
    RETURNING balance`;
  if (rows.length === 0) throw insufficientCredit(amount);
  await record(tx, { userId, taskId, kind: "HOLD", amount, balanceAfter: rows[0].balance });
}

/**
 * Ends a task's hold: `charge` (at most the hold) is spent, the rest returns to the
 * balance. Call only after the guarded status transition succeeded, so a task is
 * settled once; the ledger's unique (task, kind) enforces it as well.
 */
export async function settle(tx: Tx, userId: string, taskId: string, heldAmount: bigint, charge: bigint): Promise<bigint> {
  const spent = charge < heldAmount ? charge : heldAmount;
  const refund = heldAmount - spent;
  const rows = await tx.$queryRaw<BalanceRow[]>`
    UPDATE users SET held = held - ${heldAmount}, balance = balance + ${refund}, "updatedAt" = now()
    WHERE id = ${userId}::uuid
    RETURNING balance`;
  const balanceAfter = rows[0].balance;
  await record(tx, { userId, taskId, kind: "SETTLE", amount: spent, balanceAfter });
  if (refund > 0n) await record(tx, { userId, taskId, kind: "RELEASE", amount: refund, balanceAfter, note: "unused part of the hold" });
  return spent;
}

/** Returns a task's whole hold to the balance (failure, cancellation, rejection). */
export async function release(tx: Tx, userId: string, taskId: string, heldAmount: bigint, note?: string): Promise<void> {
  const rows = await tx.$queryRaw<BalanceRow[]>`
    UPDATE users SET held = held - ${heldAmount}, balance = balance + ${heldAmount}, "updatedAt" = now()
    WHERE id = ${userId}::uuid
    RETURNING balance`;
  if (heldAmount > 0n) await record(tx, { userId, taskId, kind: "RELEASE", amount: heldAmount, balanceAfter: rows[0].balance, note });
}
