import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/** AES-256 takes a 32-byte key; ENCRYPTION_KEY is that many bytes in base64. */
export const ENCRYPTION_KEY_BYTES = 32;
const IV_BYTES = 12; // GCM's standard nonce length
const TAG_BYTES = 16;
const KEY_ID_BYTES = 6;
/** How a sealed value starts: format version 1, then the id of the key that sealed it. */
const SEALED_V1 = "enc:v1:";

/**
 * Channel keys as the database keeps them: sealed with AES-256-GCM under ENCRYPTION_KEY.
 * A sealed value reads `enc:v1:<keyId>:<iv>:<tag>:<ciphertext>` (base64url parts), so it
 * names the key that sealed it and rotation knows which rows are still under an old one.
 */
export interface ChannelKeys {
  /** the id of ENCRYPTION_KEY, the key every value is sealed under */
  readonly currentKeyId: string;
  /** the ids of every key that opens: the current one, then the previous one if set */
  readonly keyIds: readonly string[];
  /** a channel key sealed for storage under the current key */
  seal(plain: string): string;
  /**
   * The channel key a stored value holds, under the current or the previous key. A value that
   * is not sealed (a row written before keys were encrypted) is returned as it is; one
   * sealed under neither key, or altered, throws.
   */
  open(stored: string): string;
  /** true when the stored value is sealed under the current key: rotation leaves it alone */
  isCurrent(stored: string): boolean;
}

/** The key ring of one instance: ENCRYPTION_KEY seals, it and ENCRYPTION_KEY_PREVIOUS open. */
export function createChannelKeys(current: Buffer, previous: Buffer | null = null): ChannelKeys {
  const currentKeyId = keyIdOf(checkedKey(current, "ENCRYPTION_KEY"));
  const keys = new Map([[currentKeyId, current]]);
  if (previous) keys.set(keyIdOf(checkedKey(previous, "ENCRYPTION_KEY_PREVIOUS")), previous);
  return {
    currentKeyId,
    keyIds: [...keys.keys()],
    seal: (plain) => seal(plain, current, currentKeyId),
    open(stored) {
      if (!isSealed(stored)) return stored;
      const keyId = sealedKeyId(stored);
      const key = keyId === null ? undefined : keys.get(keyId);
      if (!key) {
        throw new Error(
          `A channel key is sealed under key ${keyId ?? "(unreadable)"}, which is neither ENCRYPTION_KEY (${currentKeyId}) nor ENCRYPTION_KEY_PREVIOUS`,
        );
      }
      return open(stored, key);
    },
    isCurrent: (stored) => sealedKeyId(stored) === currentKeyId,
  };
}

/** A short, stable name for a key (not the key: a truncated hash of it), stored with every value it seals. */
export function keyIdOf(key: Buffer): string {
  return createHash("sha256").update("reelay channel key id\0").update(key).digest().subarray(0, KEY_ID_BYTES).toString("base64url");
}

/** True when a stored value is sealed (of any version), false for a key kept in clear. */
export const isSealed = (stored: string) => stored.startsWith("enc:");

/** The id of the key a stored value is sealed under; null when it is not a sealed value this version reads. */
export function sealedKeyId(stored: string): string | null {
  if (!stored.startsWith(SEALED_V1)) return null;
  return stored.slice(SEALED_V1.length).split(":", 1)[0] || null;
}

function checkedKey(key: Buffer, name: string): Buffer {
  if (key.length !== ENCRYPTION_KEY_BYTES) throw new Error(`${name} must be ${ENCRYPTION_KEY_BYTES} bytes, got ${key.length}`);
  return key;
}

function seal(plain: string, key: Buffer, keyId: string): string {
  const iv = randomBytes(IV_BYTES);
  const header = `${SEALED_V1}${keyId}`;
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  // The header is authenticated too: a value cannot be relabelled with another key id.
  cipher.setAAD(Buffer.from(header));
  const ciphertext = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return [header, iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), ciphertext.toString("base64url")].join(":");
}

function open(stored: string, key: Buffer): string {
  const parts = stored.split(":");
  if (parts.length !== 6) throw new Error("A sealed channel key is malformed");
  const [, , keyId, iv, tag, ciphertext] = parts;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(`${SEALED_V1}${keyId}`));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    // GCM's tag check: the value was altered, or sealed under a different key with the same id
    throw new Error(`A channel key sealed under key ${keyId} fails its integrity check: it was altered in storage`);
  }
}
