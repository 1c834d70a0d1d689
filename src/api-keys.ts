import { createHash, randomInt } from "node:crypto";
import { type AuditActor, recordAudit } from "./audit.js";
import type { Clock } from "./clock.js";
import type { Db } from "./db/index.js";
import { badInput, ErrorCode, notFound, ReelayError } from "./errors.js";
import type { Role } from "./generated/prisma/enums.js";
import { MAX_SUBJECT_LENGTH, UUID_PATTERN } from "./limits.js";
import { userDisabled } from "./users.js";

/** What every personal API key starts with: how the one auth path tells a key from a JWT. */
export const API_KEY_PREFIX = "sk-rl-";
/** random base62 characters after the prefix: about 238 bits */
const API_KEY_RANDOM_LENGTH = 40;
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** the key's last characters kept in its hint, enough to tell a user's keys apart */
const HINT_LENGTH = 4;

export const MAX_API_KEY_NAME_LENGTH = 100;
/** keys a user holds at once, not counting revoked or expired ones */
export const MAX_ACTIVE_API_KEYS = 50;

/**
 * A key is looked up in the database again after this long, so a key revoked or expired on any
 * instance is refused on every other within a second, with no message on the bus.
 */
const KEY_CACHE_TTL_MS = 500;
const KEY_CACHE_SIZE = 10_000;
/** lastUsedAt is written at most this often per key, however many requests the key makes */
const LAST_USED_RESOLUTION_MS = 60_000;

/** The user a key acts for, as the database has them now. */
export interface ApiKeyUser {
  id: string;
  subject: string;
  role: Role;
}

/** Keys recently found valid, by hash, each with its user; owned by Services. */
export type KnownApiKeys = Map<string, { user: ApiKeyUser; until: number }>;

/** What looking a key up needs: the database, the time, and the instance's cache of valid keys. */
export interface ApiKeyLookup {
  db: Db;
  clock: Clock;
  knownApiKeys: KnownApiKeys;
}

/** A new key in clear: the only time it exists outside its owner's hands. */
export interface NewApiKey {
  key: string;
  id: string;
}

/** What a key is made for: its user, name and expiry, and the admin making it for someone else. */
export interface ApiKeyRequest {
  userId: string;
  name: string;
  /** null: the key works until revoked */
  expiresAt: Date | null;
  /**
   * set when the key is made by someone other than its user, for the audit log: an admin
   * (`actor`), or an operator's command on the server (`actor: null`); null for a user's own key
   */
  audit: { actor: AuditActor | null } | null;
  /** the user's subject, named in the audit row */
  subject: string;
}

export const hashApiKey = (key: string) => createHash("sha256").update(key).digest("hex");

const hintOf = (key: string) => `${API_KEY_PREFIX}…${key.slice(-HINT_LENGTH)}`;

function randomApiKey(): string {
  let random = "";
  for (let i = 0; i < API_KEY_RANDOM_LENGTH; i++) random += BASE62[randomInt(BASE62.length)];
  return API_KEY_PREFIX + random;
}

/** Refuses a name or expiry no key may have. */
export function checkApiKeyInput(name: string, expiresAt: Date | null, now: number): void {
  if (name.trim() === "" || name.length > MAX_API_KEY_NAME_LENGTH)
    throw badInput(`name must be 1 to ${MAX_API_KEY_NAME_LENGTH} characters`);
  if (expiresAt && expiresAt.getTime() <= now) throw badInput("expiresAt must be in the future");
}

/**
 * Makes a key for a user: stored as its SHA-256 hash and a hint, returned in clear once.
 * Refused when the user already holds MAX_ACTIVE_API_KEYS keys that still work; audited
 * when an admin makes it for someone else.
 */
export async function createApiKey(db: Db, request: ApiKeyRequest, now: number): Promise<NewApiKey> {
  checkApiKeyInput(request.name, request.expiresAt, now);
  const key = randomApiKey();
  return db.$transaction(async (tx) => {
    // serialises one user's key creations, so the limit holds under concurrent requests
    await tx.$queryRaw`SELECT id FROM users WHERE id = ${request.userId}::uuid FOR UPDATE`;
    const active = await tx.apiKey.count({
      where: { userId: request.userId, revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: new Date(now) } }] },
    });
    if (active >= MAX_ACTIVE_API_KEYS) {
      throw new ReelayError(ErrorCode.CONFLICT, `A user holds at most ${MAX_ACTIVE_API_KEYS} active API keys: revoke one first`);
    }
    const row = await tx.apiKey.create({
      data: { userId: request.userId, name: request.name, hash: hashApiKey(key), hint: hintOf(key), expiresAt: request.expiresAt },
      select: { id: true, hint: true },
    });
    if (request.audit) {
      await recordAudit(tx, {
        action: "API_KEY_CREATED",
        actor: request.audit.actor,
        targetType: "user",
        target: request.subject,
        before: null,
        after: { apiKey: row.id, name: request.name, hint: row.hint, expiresAt: request.expiresAt?.toISOString() ?? null },
      });
    }
    return { key, id: row.id };
  });
}

/** The user with this subject (created when unknown, with `role` when given); their id. */
export async function userForSubject(db: Db, subject: string, role?: Role): Promise<string> {
  if (subject.trim() === "" || subject.length > MAX_SUBJECT_LENGTH) throw badInput(`subject must be 1 to ${MAX_SUBJECT_LENGTH} characters`);
  const user = await db.user.upsert({
    where: { subject },
    create: { subject, ...(role ? { role } : {}) },
    update: role ? { role } : {},
    select: { id: true },
  });
  return user.id;
}

/**
 * Revokes a key: the caller's own, or any for an admin (audited when it is another's).
 * NOT_FOUND for a key that does not exist or belongs to someone else; revoking twice keeps
 * the first time.
 */
export async function revokeApiKey(db: Db, id: string, caller: ApiKeyUser, now: number): Promise<string> {
  if (!UUID_PATTERN.test(id)) throw notFound("No such API key");
  return db.$transaction(async (tx) => {
    const key = await tx.apiKey.findUnique({
      where: { id },
      select: { userId: true, name: true, hint: true, revokedAt: true, user: { select: { subject: true } } },
    });
    if (!key || (key.userId !== caller.id && caller.role !== "ADMIN")) throw notFound("No such API key");
    if (key.revokedAt) return id;
    await tx.apiKey.update({ where: { id }, data: { revokedAt: new Date(now) } });
    if (key.userId !== caller.id) {
      await recordAudit(tx, {
        action: "API_KEY_REVOKED",
        actor: { id: caller.id, subject: caller.subject },
        targetType: "user",
        target: key.user.subject,
        before: { apiKey: id, name: key.name, hint: key.hint, revokedAt: null },
        after: { apiKey: id, name: key.name, hint: key.hint, revokedAt: new Date(now).toISOString() },
      });
    }
    return id;
  });
}

/**
 * The user a key belongs to, with the role the database gives them; UNAUTHENTICATED for an
 * unknown, revoked or expired key, FORBIDDEN for a disabled user's. A valid key is remembered for
 * KEY_CACHE_TTL_MS only, so a revocation or a disabled user reaches every instance within it.
 */
export async function resolveApiKey(services: ApiKeyLookup, key: string): Promise<ApiKeyUser> {
  const hash = hashApiKey(key);
  const cache = services.knownApiKeys;
  const known = cache.get(hash);
  if (known && known.until > Date.now()) return known.user;
  const row = await services.db.apiKey.findUnique({
    where: { hash },
    select: {
      id: true,
      expiresAt: true,
      revokedAt: true,
      lastUsedAt: true,
      user: { select: { id: true, subject: true, role: true, disabledAt: true } },
    },
  });
  const now = services.clock.now();
  if (!row || row.revokedAt) throw new ReelayError(ErrorCode.UNAUTHENTICATED, "API key is invalid or revoked");
  if (row.expiresAt && row.expiresAt.getTime() <= now) throw new ReelayError(ErrorCode.UNAUTHENTICATED, "API key has expired");
  if (!row.lastUsedAt || now - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    // conditional, so instances that read the row at once write it once between them
    await services.db.apiKey.updateMany({
      where: { id: row.id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lte: new Date(now - LAST_USED_RESOLUTION_MS) } }] },
      data: { lastUsedAt: new Date(now) },
    });
  }
  if (row.user.disabledAt) throw userDisabled();
  const { disabledAt: _, ...user } = row.user;
  // an expiring key is remembered a KEY_CACHE_TTL_MS at most past its expiry, like a revoked one
  const until = Date.now() + KEY_CACHE_TTL_MS;
  cache.delete(hash);
  cache.set(hash, { user, until });
  if (cache.size > KEY_CACHE_SIZE) cache.delete(cache.keys().next().value!); // the least recently resolved
  return user;
}
