/**
 * Channel keys at rest, without a database: the sealed format (AES-256-GCM under
 * ENCRYPTION_KEY), which keys open it, what tampering does, how ENCRYPTION_KEY is read from
 * the environment, and the key kept in the data directory when it is not set.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadChannelKeys, storedEncryptionKeyFile } from "../src/channels/key-store.js";
import { createChannelKeys, isSealed, keyIdOf, sealedKeyId } from "../src/channels/secret-box.js";
import { loadConfig } from "../src/config.js";

const KEY = "sk-live-0123456789abcdefghijklmnop";
const oldKey = randomBytes(32);
const newKey = randomBytes(32);

/** Replaces one base64url character of part `index` (0-based, of the six ':'-separated parts). */
function tamper(sealed: string, index: number): string {
  const parts = sealed.split(":");
  const part = parts[index];
  const at = Math.floor(part.length / 2);
  parts[index] = `${part.slice(0, at)}${part[at] === "A" ? "B" : "A"}${part.slice(at + 1)}`;
  return parts.join(":");
}

describe("a sealed channel key", () => {
  const keys = createChannelKeys(newKey);

  it("opens to the key it sealed, and never contains it", () => {
    const sealed = keys.seal(KEY);
    expect(keys.open(sealed)).toBe(KEY);
    expect(sealed).not.toContain(KEY);
    expect(sealed).not.toContain(Buffer.from(KEY).toString("base64url").slice(0, 12));
  });

  it("names its format version and the key that sealed it: enc:v1:<keyId>:<iv>:<tag>:<ciphertext>", () => {
    const sealed = keys.seal(KEY);
    expect(sealed).toMatch(/^enc:v1:[A-Za-z0-9_-]{8}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/);
    expect(sealedKeyId(sealed)).toBe(keyIdOf(newKey));
    expect(keys.currentKeyId).toBe(keyIdOf(newKey));
    expect(keys.isCurrent(sealed)).toBe(true);
    expect(isSealed(sealed)).toBe(true);
  });

  it("differs each time the same key is sealed (a fresh IV), and each opens", () => {
    const [a, b] = [keys.seal(KEY), keys.seal(KEY)];
    expect(a).not.toBe(b);
    expect([keys.open(a), keys.open(b)]).toEqual([KEY, KEY]);
  });

  it("keeps keys of any length and alphabet, Kling's ACCESS:SECRET form and non-ASCII included", () => {
    for (const key of ["x", "AK123:SK456", "ключ-🔑", "a".repeat(4096)]) expect(keys.open(keys.seal(key))).toBe(key);
  });

  it.each([
    ["the ciphertext", 5],
    ["the GCM tag", 4],
    ["the IV", 3],
  ])("fails its integrity check when %s is altered", (_what, part) => {
    const sealed = keys.seal(KEY);
    expect(() => keys.open(tamper(sealed, part))).toThrow(/fails its integrity check: it was altered/);
  });

  it("cannot be relabelled as sealed under another key: the header is authenticated", () => {
    const other = createChannelKeys(oldKey, newKey);
    const relabelled = keys.seal(KEY).replace(keyIdOf(newKey), keyIdOf(oldKey));
    expect(() => other.open(relabelled)).toThrow(/integrity check/);
  });

  it("fails with a message naming the key ids, never the key, when neither configured key sealed it", () => {
    const sealed = createChannelKeys(oldKey).seal(KEY);
    let message = "";
    try {
      keys.open(sealed);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(keyIdOf(oldKey));
    expect(message).toContain("neither ENCRYPTION_KEY");
    expect(message).not.toContain(KEY);
    expect(message).not.toContain(newKey.toString("base64"));
  });

  it("opens under ENCRYPTION_KEY_PREVIOUS after a rotation, and is then not current", () => {
    const sealedBefore = createChannelKeys(oldKey).seal(KEY);
    const rotated = createChannelKeys(newKey, oldKey);
    expect(rotated.open(sealedBefore)).toBe(KEY);
    expect(rotated.isCurrent(sealedBefore)).toBe(false);
    expect(rotated.keyIds).toEqual([keyIdOf(newKey), keyIdOf(oldKey)]);
    expect(rotated.isCurrent(rotated.seal(KEY))).toBe(true);
  });

  it("passes a key stored in clear (a row from before keys were sealed) through as it is, and calls it not current", () => {
    expect(keys.open(KEY)).toBe(KEY);
    expect(keys.isCurrent(KEY)).toBe(false);
    expect(isSealed(KEY)).toBe(false);
  });

  it("refuses a key of the wrong length", () => {
    expect(() => createChannelKeys(randomBytes(16))).toThrow("ENCRYPTION_KEY must be 32 bytes, got 16");
    expect(() => createChannelKeys(newKey, randomBytes(31))).toThrow("ENCRYPTION_KEY_PREVIOUS must be 32 bytes, got 31");
  });
});

describe("ENCRYPTION_KEY in the environment", () => {
  it("is 32 bytes in base64 or base64url, and ENCRYPTION_KEY_PREVIOUS likewise", () => {
    const config = loadConfig({ ENCRYPTION_KEY: newKey.toString("base64"), ENCRYPTION_KEY_PREVIOUS: oldKey.toString("base64url") });
    expect(config.encryptionKey).toEqual(newKey);
    expect(config.encryptionKeyPrevious).toEqual(oldKey);
  });

  it("of the wrong length or not base64 stops the start with a message that says what is wrong, without the value", () => {
    const short = randomBytes(16).toString("base64");
    expect(() => loadConfig({ ENCRYPTION_KEY: short })).toThrow(
      "ENCRYPTION_KEY must be 32 bytes in base64 (e.g. from `openssl rand -base64 32`), got 16 bytes",
    );
    expect(() => loadConfig({ ENCRYPTION_KEY: "not a key!" })).toThrow(/got something that is not base64$/);
    expect(() => loadConfig({ ENCRYPTION_KEY: newKey.toString("base64"), ENCRYPTION_KEY_PREVIOUS: "short" })).toThrow(
      /^ENCRYPTION_KEY_PREVIOUS must be 32 bytes/,
    );
    try {
      loadConfig({ ENCRYPTION_KEY: short });
    } catch (err) {
      expect((err as Error).message).not.toContain(short);
    }
  });

  it("is required with NODE_ENV=production, and optional otherwise", () => {
    expect(() => loadConfig({ NODE_ENV: "production", JWT_SECRET: "s" })).toThrow(
      /^NODE_ENV=production needs ENCRYPTION_KEY .* refusing to start without one$/,
    );
    expect(loadConfig({ NODE_ENV: "production", JWT_SECRET: "s", ENCRYPTION_KEY: newKey.toString("base64") }).encryptionKey).toEqual(
      newKey,
    );
    expect(loadConfig({}).encryptionKey).toBeNull();
  });
});

describe("without ENCRYPTION_KEY outside production", () => {
  const dirs: string[] = [];
  const dataDir = async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "reelay-keys-"));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  it("a random key is generated once into the data directory, readable by its owner only, and used from then on", async () => {
    const dir = await dataDir();
    const config = { dataDir: dir, encryptionKey: null, encryptionKeyPrevious: null };
    const first = await loadChannelKeys(config);
    const file = storedEncryptionKeyFile(dir);
    expect(first.storedIn).toBe(file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const stored = Buffer.from((await readFile(file, "utf8")).trim(), "base64");
    expect(stored).toHaveLength(32);
    expect(first.keys.currentKeyId).toBe(keyIdOf(stored));

    const sealed = first.keys.seal(KEY);
    const second = await loadChannelKeys(config);
    expect(second.keys.currentKeyId).toBe(first.keys.currentKeyId);
    expect(second.keys.open(sealed)).toBe(KEY);
  });

  it("processes starting at once agree on one key", async () => {
    const dir = await dataDir();
    const config = { dataDir: dir, encryptionKey: null, encryptionKeyPrevious: null };
    const loaded = await Promise.all(Array.from({ length: 8 }, () => loadChannelKeys(config)));
    expect(new Set(loaded.map((l) => l.keys.currentKeyId)).size).toBe(1);
  });

  it("a damaged key file stops the start rather than being replaced (the keys it sealed would be lost)", async () => {
    const dir = await dataDir();
    const config = { dataDir: dir, encryptionKey: null, encryptionKeyPrevious: null };
    await loadChannelKeys(config);
    await writeFile(storedEncryptionKeyFile(dir), "dGhpcyBpcyB0b28gc2hvcnQ=\n");
    await expect(loadChannelKeys(config)).rejects.toThrow(/does not hold a 32-byte key in base64: restore it from a backup/);
  });

  it("ENCRYPTION_KEY, when set, is used and nothing is written", async () => {
    const dir = await dataDir();
    const loaded = await loadChannelKeys({ dataDir: dir, encryptionKey: newKey, encryptionKeyPrevious: null });
    expect(loaded).toMatchObject({ storedIn: null, keys: { currentKeyId: keyIdOf(newKey) } });
    await expect(stat(storedEncryptionKeyFile(dir))).rejects.toThrow(/ENOENT/);
  });
});
