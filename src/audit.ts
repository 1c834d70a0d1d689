import type { Prisma } from "./db/index.js";
import type { AuditAction } from "./generated/prisma/enums.js";

/** Who took an admin action: the admin's user row and JWT subject. */
export interface AuditActor {
  id: string;
  subject: string;
}

/** A target's state as the audit log keeps it: plain JSON values, and never a secret. */
export type AuditSnapshot = { [field: string]: string | number | boolean | null | string[] };

/** One admin action, as `recordAudit` writes it. */
export interface AuditRecord {
  action: AuditAction;
  /** null for an operator's command run on the server (npm run keys:rotate) */
  actor: AuditActor | null;
  targetType: "channel" | "user" | "price";
  /** a channel's name, a user's subject, a price's "<model> <size>" */
  target: string;
  /** null when the action created the target */
  before: AuditSnapshot | null;
  after: AuditSnapshot | null;
}

/** Writes an audit row in the caller's transaction, so it exists exactly when the change it describes does. */
export async function recordAudit(tx: Prisma.TransactionClient, record: AuditRecord): Promise<void> {
  await tx.auditEntry.create({
    data: {
      action: record.action,
      actorId: record.actor?.id ?? null,
      actorSubject: record.actor?.subject ?? null,
      targetType: record.targetType,
      target: record.target,
      // omitted rather than null: a Json column takes SQL NULL only as Prisma.DbNull
      ...(record.before ? { before: record.before } : {}),
      ...(record.after ? { after: record.after } : {}),
    },
  });
}
