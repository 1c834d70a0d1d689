import { type AuditActor, type AuditSnapshot, recordAudit } from "./audit.js";
import type { Db, Prisma } from "./db/index.js";
import { badInput, ErrorCode, isPrismaError, notFound, PrismaErrorCode, ReelayError } from "./errors.js";
import type { Role } from "./generated/prisma/enums.js";
import { MAX_SUBJECT_LENGTH } from "./limits.js";

/** Refuses a subject no token could carry: blank, or longer than MAX_SUBJECT_LENGTH. */
export function checkSubject(subject: string): void {
  if (subject.trim() === "" || subject.length > MAX_SUBJECT_LENGTH) throw badInput(`subject must be 1 to ${MAX_SUBJECT_LENGTH} characters`);
}

/** The message a disabled user's token or API key is refused with. */
export const userDisabled = () => new ReelayError(ErrorCode.FORBIDDEN, "This user is disabled");

/** Makes a user with this subject and role, audited; CONFLICT when the subject is taken. Returns its id. */
export async function createUser(db: Db, actor: AuditActor, subject: string, role: Role): Promise<string> {
  checkSubject(subject);
  try {
    return await db.$transaction(async (tx) => {
      const user = await tx.user.create({ data: { subject, role }, select: { id: true } });
      await recordAudit(tx, { action: "USER_CREATED", actor, targetType: "user", target: subject, before: null, after: { role } });
      return user.id;
    });
  } catch (err) {
    if (isPrismaError(err, PrismaErrorCode.UNIQUE_VIOLATION))
      throw new ReelayError(ErrorCode.CONFLICT, `A user with subject ${subject} exists`);
    throw err;
  }
}

/** Gives an existing user a role, audited with the role before and after. Returns its id. */
export function setUserRole(db: Db, actor: AuditActor, subject: string, role: Role): Promise<string> {
  return changeUser(db, actor, subject, "USER_ROLE_SET", (user) => ({ data: { role }, before: { role: user.role }, after: { role } }));
}

/**
 * Disables a user, audited: from then on its tokens and API keys are refused (within the
 * second an instance may remember a caller); its running tasks go on and settle. Disabling
 * a disabled user changes nothing. Returns its id.
 */
export function disableUser(db: Db, actor: AuditActor, subject: string): Promise<string> {
  return changeUser(db, actor, subject, "USER_DISABLED", (user) => {
    if (user.disabledAt) return null;
    const disabledAt = new Date();
    return { data: { disabledAt }, before: { disabledAt: null }, after: { disabledAt: disabledAt.toISOString() } };
  });
}

type LockedUser = Awaited<ReturnType<typeof lockUser>>;
interface UserChange {
  data: Prisma.UserUpdateInput;
  before: AuditSnapshot;
  after: AuditSnapshot;
}

/** Locks the user, applies `change` (null: nothing to do) and writes its audit row, in one transaction. Returns its id. */
function changeUser(
  db: Db,
  actor: AuditActor,
  subject: string,
  action: "USER_ROLE_SET" | "USER_DISABLED",
  change: (user: LockedUser) => UserChange | null,
): Promise<string> {
  return db.$transaction(async (tx) => {
    const user = await lockUser(tx, subject);
    const planned = change(user);
    if (!planned) return user.id;
    await tx.user.update({ where: { id: user.id }, data: planned.data });
    await recordAudit(tx, { action, actor, targetType: "user", target: subject, before: planned.before, after: planned.after });
    return user.id;
  });
}

/** The user with this subject, its row locked for the transaction; NOT_FOUND when unknown. */
async function lockUser(tx: Prisma.TransactionClient, subject: string) {
  checkSubject(subject);
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM users WHERE subject = ${subject} FOR UPDATE`;
  if (rows.length === 0) throw notFound(`No user with subject ${subject}`);
  return tx.user.findUniqueOrThrow({ where: { id: rows[0].id }, select: { id: true, role: true, disabledAt: true } });
}
