import { randomBytes } from "node:crypto";
import { chmod, link, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Config } from "./config.js";

/** Owner only: secrets are readable by the account Reelay runs as and nobody else. */
const DIRECTORY_MODE = 0o700;
const FILE_MODE = 0o600;

/** Where the secrets that nobody configured are kept: one file per secret under `<dataDir>/secrets/`. */
export const secretsDirectory = (dataDir: string) => path.join(dataDir, "secrets");

/**
 * The secret called `name` kept in `<dataDir>/secrets/<name>` (base64 of `bytes` random
 * bytes), created on first use with mode 0600. Every process sharing the data directory
 * (the server, `npm run token`, a second instance) reads the same value; two of them
 * starting at once still agree on one, since the file appears whole or not at all.
 */
export async function loadOrCreateSecret(dataDir: string, name: string, bytes: number): Promise<string> {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`"${name}" is not a secret name`);
  const directory = secretsDirectory(dataDir);
  const file = path.join(directory, name);
  const existing = await readSecret(file);
  if (existing !== null) return existing;
  await mkdir(directory, { recursive: true, mode: DIRECTORY_MODE });
  // Written aside, then linked into place: link() refuses to replace a file another process created meanwhile.
  const draft = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
  await writeFile(draft, `${randomBytes(bytes).toString("base64")}\n`, { mode: FILE_MODE, flag: "wx" });
  try {
    await link(draft, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  } finally {
    await rm(draft, { force: true });
  }
  const created = await readSecret(file);
  if (created === null) throw new Error(`${file} vanished as it was created`);
  return created;
}

async function readSecret(file: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  const value = text.trim();
  // Never replaced silently: whatever it signed or encrypted would be lost with it.
  if (value === "") throw new Error(`${file} is empty: restore it from a backup, or delete it to start with a new secret`);
  if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, FILE_MODE);
  return value;
}

/** The keys Reelay signs and verifies with, from the configuration or, where it names none, from the data directory. */
export interface Secrets {
  /** HS256 key for bearer tokens; null when only the JWKS (JWT_JWKS_URL) verifies them */
  jwtSecret: string | null;
  /** key for media URLs: never the token secret, so a leaked media link says nothing about tokens */
  mediaSigningSecret: string;
  /** the files in the data directory that secrets were read from, for the start-up log */
  storedIn: string[];
}

type SecretsConfig = Pick<Config, "dataDir" | "jwtSecret" | "jwtJwksUrl" | "mediaSigningSecret">;

const SECRET_BYTES = 32;

/** JWT_SECRET, MEDIA_SIGNING_SECRET, and in place of each one not set, its stored random secret (see loadTokenSecret). */
export async function loadSecrets(config: SecretsConfig): Promise<Secrets> {
  const storedIn: string[] = [];
  const jwtSecret = await loadTokenSecret(config, storedIn);
  const mediaSigningSecret = config.mediaSigningSecret ?? (await stored(config.dataDir, "media-signing-secret", storedIn));
  return { jwtSecret, mediaSigningSecret, storedIn };
}

/**
 * JWT_SECRET; else null when a JWKS verifies tokens; else the stored `jwt-secret`, which the
 * server and `npm run token` share. loadConfig has already refused production without either.
 */
export async function loadTokenSecret(config: Omit<SecretsConfig, "mediaSigningSecret">, storedIn: string[] = []): Promise<string | null> {
  if (config.jwtSecret) return config.jwtSecret;
  return config.jwtJwksUrl ? null : stored(config.dataDir, "jwt-secret", storedIn);
}

function stored(dataDir: string, name: string, storedIn: string[]): Promise<string> {
  storedIn.push(path.join(secretsDirectory(dataDir), name));
  return loadOrCreateSecret(dataDir, name, SECRET_BYTES);
}
