import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Config } from "../config.js";
import { type ChannelKeys, createChannelKeys, ENCRYPTION_KEY_BYTES } from "./secret-box.js";

/** Where the generated encryption key is kept when ENCRYPTION_KEY is not set. */
export const storedEncryptionKeyFile = (dataDir: string) => path.join(dataDir, "secrets", "encryption-key");

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
  return { keys: createChannelKeys(await loadOrCreateKeyFile(file), config.encryptionKeyPrevious), storedIn: file };
}

/**
 * The key kept in `file` (base64, mode 0600), created with random bytes on first use. Two
 * processes starting at once agree on one key: the file is linked into place whole, and
 * link() refuses to replace one another process created meanwhile.
 */
async function loadOrCreateKeyFile(file: string): Promise<Buffer> {
  const existing = await readKeyFile(file);
  if (existing) return existing;
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const draft = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
  await writeFile(draft, `${randomBytes(ENCRYPTION_KEY_BYTES).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  try {
    await link(draft, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  } finally {
    await rm(draft, { force: true });
  }
  const created = await readKeyFile(file);
  if (!created) throw new Error(`${file} vanished as it was created`);
  return created;
}

async function readKeyFile(file: string): Promise<Buffer | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  const key = Buffer.from(text.trim(), "base64");
  // Never replaced silently: every channel key sealed under it would be lost with it.
  if (key.length !== ENCRYPTION_KEY_BYTES) {
    throw new Error(`${file} does not hold a ${ENCRYPTION_KEY_BYTES}-byte key in base64: restore it from a backup, or set ENCRYPTION_KEY`);
  }
  return key;
}
