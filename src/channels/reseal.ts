import { recordAudit } from "../audit.js";
import type { Db } from "../db/index.js";
import { type ChannelKeys, isSealed, sealedKeyId } from "./secret-box.js";

/** channels re-sealed per transaction: a long rotation never holds many rows locked at once */
const RESEAL_BATCH = 100;

/** Which stored channel keys `resealChannelKeys` seals under the current key. */
export type ResealScope =
  /** only keys kept in clear (rows from before keys were encrypted): the start-up step */
  | "clear"
  /** every key not yet under the current key, clear or sealed under ENCRYPTION_KEY_PREVIOUS: `npm run keys:rotate` */
  | "rotate";

/** What a re-seal did. */
export interface ResealReport {
  /** channels whose key is now sealed under the current key, by this run */
  resealed: string[];
  /** channels whose key neither ENCRYPTION_KEY nor ENCRYPTION_KEY_PREVIOUS opens: left as they are */
  unreadable: string[];
}

interface StoredKey {
  id: string;
  name: string;
  apiKey: string;
}

/**
 * Seals channel keys under the current key, a transaction per batch of channels, each row
 * locked while it is re-sealed; running it again finds nothing to do. A rotation is written
 * to the audit log (actor: the operator's command) with the key ids before and after.
 *
 * Start-up seals only clear keys: re-sealing the previous key's rows there would lock out
 * instances of a rolling deploy that still run with that key as their only one.
 */
export async function resealChannelKeys(db: Db, keys: ChannelKeys, scope: ResealScope): Promise<ResealReport> {
  const report: ResealReport = { resealed: [], unreadable: [] };
  // keys stored with this prefix are left alone: sealed ones at start-up, those under the current key when rotating
  const donePrefix = scope === "clear" ? "enc:" : `enc:v1:${keys.currentKeyId}:`;
  let after = "";
  for (;;) {
    const batch = await db.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<StoredKey[]>`
        SELECT id::text, name, "apiKey" FROM channels
        WHERE id::text > ${after} AND NOT starts_with("apiKey", ${donePrefix})
        ORDER BY id::text LIMIT ${RESEAL_BATCH}
        FOR UPDATE`;
      for (const row of rows) {
        let plain: string;
        try {
          plain = keys.open(row.apiKey);
        } catch {
          report.unreadable.push(row.name);
          continue;
        }
        await tx.channel.update({ where: { id: row.id }, data: { apiKey: keys.seal(plain) } });
        if (scope === "rotate") {
          await recordAudit(tx, {
            action: "CHANNEL_KEY_ROTATED",
            actor: null,
            targetType: "channel",
            target: row.name,
            before: { keyId: isSealed(row.apiKey) ? sealedKeyId(row.apiKey) : null },
            after: { keyId: keys.currentKeyId },
          });
        }
        report.resealed.push(row.name);
      }
      return rows;
    });
    if (batch.length < RESEAL_BATCH) return report;
    after = batch[batch.length - 1].id;
  }
}

/** Channels whose key is sealed under a key this instance does not have: none of its tasks can reach the provider. */
export async function channelsWithUnknownKeys(db: Db, keys: ChannelKeys): Promise<string[]> {
  const rows = await db.$queryRaw<{ name: string }[]>`
    SELECT name FROM channels
    WHERE starts_with("apiKey", 'enc:') AND (NOT starts_with("apiKey", 'enc:v1:') OR split_part("apiKey", ':', 3) <> ALL(${[...keys.keyIds]}))
    ORDER BY name`;
  return rows.map((row) => row.name);
}
