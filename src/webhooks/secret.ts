import { randomBytes } from "node:crypto";
import type { Services } from "../context.js";

/** Standard Webhooks' prefix of a signing secret */
const SECRET_PREFIX = "whsec_";
/** random bytes in a secret: HMAC-SHA256 gains nothing from a longer key */
const SECRET_BYTES = 32;
/** how long deliveries still carry a signature with the secret a rotation replaced, so receivers can switch over */
export const ROTATION_GRACE_MS = 24 * 3600_000;

type SecretServices = Pick<Services, "db" | "channelKeys" | "clock">;

const newSecret = () => `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString("base64")}`;

/**
 * The user's webhook signing secret, in clear. Kept sealed under ENCRYPTION_KEY (the user
 * reads it back, so it cannot be hashed) and made on first use; two first uses at once
 * agree on one secret, since only the first write of a missing secret lands.
 */
export async function webhookSecretOf(services: SecretServices, userId: string): Promise<string> {
  const { db, channelKeys } = services;
  const user = await db.user.findUniqueOrThrow({ where: { id: userId }, select: { webhookSecret: true } });
  if (user.webhookSecret) return channelKeys.open(user.webhookSecret);
  await db.user.updateMany({ where: { id: userId, webhookSecret: null }, data: { webhookSecret: channelKeys.seal(newSecret()) } });
  const made = await db.user.findUniqueOrThrow({ where: { id: userId }, select: { webhookSecret: true } });
  return channelKeys.open(made.webhookSecret!);
}

/**
 * A new secret for the user, returned in clear. The one it replaces keeps signing beside
 * it for ROTATION_GRACE_MS. The row is locked while it changes, so two rotations at once
 * never leave a secret nobody was told.
 */
export async function rotateWebhookSecret(services: SecretServices, userId: string): Promise<string> {
  const { db, channelKeys, clock } = services;
  const secret = newSecret();
  await db.$transaction(async (tx) => {
    const [row] = await tx.$queryRaw<{ webhookSecret: string | null }[]>`
      SELECT "webhookSecret" FROM users WHERE id = ${userId}::uuid FOR UPDATE`;
    await tx.user.update({
      where: { id: userId },
      data: {
        webhookSecret: channelKeys.seal(secret),
        webhookSecretPrevious: row?.webhookSecret ?? null,
        webhookSecretPreviousUntil: row?.webhookSecret ? new Date(clock.now() + ROTATION_GRACE_MS) : null,
      },
    });
  });
  return secret;
}

/** The secrets a delivery is signed with now: the current one, then the one it replaced while its grace period lasts. */
export async function signingSecrets(services: SecretServices, userId: string): Promise<string[]> {
  const { db, channelKeys, clock } = services;
  const user = await db.user.findUniqueOrThrow({
    where: { id: userId },
    select: { webhookSecret: true, webhookSecretPrevious: true, webhookSecretPreviousUntil: true },
  });
  const current = user.webhookSecret ? channelKeys.open(user.webhookSecret) : await webhookSecretOf(services, userId);
  const { webhookSecretPrevious: previous, webhookSecretPreviousUntil: until } = user;
  return previous && until && until.getTime() > clock.now() ? [current, channelKeys.open(previous)] : [current];
}

/** users re-sealed per transaction, as channels are */
const RESEAL_BATCH = 100;

/**
 * `npm run keys:rotate` for webhook secrets: seals every user's secrets (current and
 * previous) under the current ENCRYPTION_KEY, a locked batch per transaction. Returns how
 * many users were re-sealed and the ids of those whose secrets no configured key opens.
 */
export async function resealWebhookSecrets(db: Services["db"], keys: Services["channelKeys"]) {
  const done = `enc:v1:${keys.currentKeyId}:`;
  const report = { resealed: 0, unreadable: [] as string[] };
  let after = "";
  for (;;) {
    const rows = await db.$transaction(async (tx) => {
      const batch = await tx.$queryRaw<{ id: string; webhookSecret: string | null; webhookSecretPrevious: string | null }[]>`
        SELECT id::text, "webhookSecret", "webhookSecretPrevious" FROM users
        WHERE id::text > ${after}
          AND (NOT starts_with("webhookSecret", ${done}) OR NOT starts_with("webhookSecretPrevious", ${done}))
        ORDER BY id::text LIMIT ${RESEAL_BATCH}
        FOR UPDATE`;
      for (const row of batch) {
        try {
          const reseal = (stored: string | null) => (stored === null ? null : keys.seal(keys.open(stored)));
          const data = { webhookSecret: reseal(row.webhookSecret), webhookSecretPrevious: reseal(row.webhookSecretPrevious) };
          await tx.user.update({ where: { id: row.id }, data });
          report.resealed++;
        } catch {
          report.unreadable.push(row.id);
        }
      }
      return batch;
    });
    if (rows.length < RESEAL_BATCH) return report;
    after = rows[rows.length - 1]!.id;
  }
}
