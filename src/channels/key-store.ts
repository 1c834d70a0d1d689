import path from "node:path";
import type { Config } from "../config.js";
import { loadOrCreateSecret, secretsDirectory } from "../secrets.js";
import { type ChannelKeys, createChannelKeys, ENCRYPTION_KEY_BYTES } from "./secret-box.js";

/** Where the generated encryption key is kept when ENCRYPTION_KEY is not set. */
export const storedEncryptionKeyFile = (dataDir: string) => path.join(secretsDirectory(dataDir), ENCRYPTION_KEY_SECRET);
const ENCRYPTION_KEY_SECRET = "encryption-key";

/** The keys channel keys are sealed and opened with, and where the current one came from. */
export interface LoadedChannelKeys {
  keys: ChannelKeys;
  /** the file the current key was read from when ENCRYPTION_KEY is not set; null when it is */
  storedIn: string | null;
}

/**
 * ENCRYPTION_KEY and ENCRYPTION_KEY_PREVIOUS; without ENCRYPTION_KEY (refused in production
 * by loadConfig), a random key generated once and kept in the data directory.
 */
export async function loadChannelKeys(
  config: Pick<Config, "encryptionKey" | "encryptionKeyPrevious" | "dataDir">,
): Promise<LoadedChannelKeys> {
  if (config.encryptionKey) return { keys: createChannelKeys(config.encryptionKey, config.encryptionKeyPrevious), storedIn: null };
  const file = storedEncryptionKeyFile(config.dataDir);
  return { keys: createChannelKeys(await loadOrCreateKeyFile(config.dataDir), config.encryptionKeyPrevious), storedIn: file };
}

/** The generated key, kept with the other secrets nobody configured (see src/secrets.ts). */
async function loadOrCreateKeyFile(dataDir: string): Promise<Buffer> {
  const key = Buffer.from(await loadOrCreateSecret(dataDir, ENCRYPTION_KEY_SECRET, ENCRYPTION_KEY_BYTES), "base64");
  // Never replaced silently: every channel key sealed under it would be lost with it.
  if (key.length !== ENCRYPTION_KEY_BYTES) {
    throw new Error(
      `${storedEncryptionKeyFile(dataDir)} does not hold a ${ENCRYPTION_KEY_BYTES}-byte key in base64: restore it from a backup, or set ENCRYPTION_KEY`,
    );
  }
  return key;
}
