import { type AuditActor, recordAudit } from "../audit.js";
import type { Db } from "../db/index.js";
import { formatMoney } from "../money.js";
import { checkSubject } from "../users.js";
import { grant } from "./ledger.js";

/** An admin's grant: to the user with this JWT subject, an amount in nano-dollars (negative takes credit away). */
export interface CreditGrant {
  subject: string;
  amount: bigint;
  /** kept on the ledger row */
  note: string;
  /** the admin granting it, for the audit log */
  actor: AuditActor;
}

/**
 * Adds (or, negative, removes) spendable credit for the user with that subject, never below
 * a zero balance; a subject not seen before becomes a user. The audit log records the
 * balance before and after, in the same transaction. Returns the user's id.
 */
export async function grantCredit(db: Db, { subject, amount, note, actor }: CreditGrant): Promise<string> {
  // the same bound as a token's subject: a user no token can name could never spend it
  checkSubject(subject);
  return db.$transaction(async (tx) => {
    const user = await tx.user.upsert({ where: { subject }, create: { subject }, update: {}, select: { id: true } });
    const balance = await grant(tx, user.id, amount, note);
    await recordAudit(tx, {
      action: "CREDIT_GRANTED",
      actor,
      targetType: "user",
      target: subject,
      before: { balance: formatMoney(balance - amount) },
      after: { balance: formatMoney(balance) },
    });
    return user.id;
  });
}
