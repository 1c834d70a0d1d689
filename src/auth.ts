import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from "jose";
import { ErrorCode, ReelayError } from "./errors.js";
import { MAX_SUBJECT_LENGTH } from "./limits.js";

export interface TokenClaims {
  subject: string;
  role: "USER" | "ADMIN";
}

/** How bearer tokens are checked. At least one of `secret` and `jwksUrl`. */
export interface TokenVerifierOptions {
  /** HS256 key shared with whoever issues tokens */
  secret?: Uint8Array | null;
  /** an identity provider's key set: tokens signed with one of its asymmetric keys are accepted */
  jwksUrl?: string | null;
  /** the `iss` a token must carry; not checked when null */
  issuer?: string | null;
  /** a token's `aud` must name one of these; not checked when empty */
  audience?: readonly string[];
  /** the claim that carries the role (see roleFromClaims); `role` when unset */
  roleClaim?: string;
  /** how the key set is fetched and kept; the defaults suit a hosted identity provider */
  jwksFetch?: JwksFetchOptions;
}

/** How long the JWKS may take, and how often it is fetched again. */
export interface JwksFetchOptions {
  /** a fetch of the key set slower than this fails, and the token with it; default 5 s */
  timeoutMs?: number;
  /** a token naming a key the set lacks makes it be fetched again, at most once per this; default 30 s */
  cooldownMs?: number;
  /** the key set is fetched again when older than this; default 10 min */
  maxAgeMs?: number;
}

const SECRET_ALGORITHMS = ["HS256"];
/** what identity providers sign with; never a symmetric one, which a public key set would turn into a forgery kit */
const JWKS_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];
/** tolerated clock difference between token issuer and this server */
const CLOCK_TOLERANCE_S = 5;
/** a request waits at most this long for the key set, rather than hang with a slow identity provider */
const JWKS_TIMEOUT_MS = 5_000;
/** tokens naming unknown keys make the set be fetched again no more often than this */
const JWKS_COOLDOWN_MS = 30_000;
/** how long a fetched key set is used before it is fetched again (keys the provider dropped stop working) */
const JWKS_MAX_AGE_MS = 10 * 60_000;

/** the value of the role claim that makes an admin (the contract's `role: "admin"`) */
const ADMIN_ROLE = "admin";

/** a verified token is trusted again without checking its signature for this long, never past its expiry */
const VERIFIED_TTL_MS = 60_000;
const VERIFIED_CACHE_SIZE = 10_000;

/** Checks bearer tokens, remembering the ones it accepted: a client sends the same token with every request. */
export interface TokenVerifier {
  /** `Bearer <JWT>` → its claims; null when there is no header; throws UNAUTHENTICATED when invalid */
  verify(header: string | null | undefined): Promise<TokenClaims | null>;
}

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const check = createTokenCheck(options);
  const verified = new Map<string, { claims: TokenClaims; until: number }>();
  return {
    async verify(header) {
      const token = bearerToken(header);
      if (token === null) return null;
      const known = verified.get(token);
      if (known && known.until > Date.now()) return known.claims;
      const fresh = await check(token);
      verified.delete(token);
      verified.set(token, { claims: fresh.claims, until: Math.min(Date.now() + VERIFIED_TTL_MS, fresh.expiresAt) });
      if (verified.size > VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!); // the oldest
      return fresh.claims;
    },
  };
}

/** Verifies `Bearer <JWT>` once, remembering nothing. Null when no header; throws UNAUTHENTICATED when invalid. */
export async function verifyAuthorization(header: string | null | undefined, options: TokenVerifierOptions): Promise<TokenClaims | null> {
  const token = bearerToken(header);
  return token === null ? null : (await createTokenCheck(options)(token)).claims;
}

/** The token of an Authorization header value; null when there is none. */
export function bearerToken(header: string | null | undefined): string | null {
  if (header === undefined || header === null || header === "") return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match) throw new ReelayError(ErrorCode.UNAUTHENTICATED, "Authorization must be 'Bearer <token>'");
  return match[1];
}

type TokenCheck = (token: string) => Promise<{ claims: TokenClaims; expiresAt: number }>;

/**
 * A token is accepted when its signature verifies (HS256 with the secret, or a key of the
 * JWKS), it carries `exp` and has not expired, and its `iss` and `aud` match when configured.
 */
function createTokenCheck({
  secret = null,
  jwksUrl = null,
  issuer = null,
  audience = [],
  roleClaim = "role",
  jwksFetch = {},
}: TokenVerifierOptions): TokenCheck {
  if (!secret && !jwksUrl) throw new Error("Bearer tokens need a secret or a JWKS URL to be verified with");
  const jwks = jwksUrl
    ? createRemoteJWKSet(new URL(jwksUrl), {
        timeoutDuration: jwksFetch.timeoutMs ?? JWKS_TIMEOUT_MS,
        cooldownDuration: jwksFetch.cooldownMs ?? JWKS_COOLDOWN_MS,
        cacheMaxAge: jwksFetch.maxAgeMs ?? JWKS_MAX_AGE_MS,
      })
    : null;
  const keyFor: JWTVerifyGetKey = async (header, token) => {
    if (header.alg === "HS256") return secret!;
    try {
      return await jwks!(header, token);
    } catch (err) {
      throw keySetFailure(err);
    }
  };
  const algorithms = [...(secret ? SECRET_ALGORITHMS : []), ...(jwks ? JWKS_ALGORITHMS : [])];
  const claimChecks = {
    algorithms,
    clockTolerance: CLOCK_TOLERANCE_S,
    requiredClaims: ["exp"],
    ...(issuer ? { issuer } : {}),
    ...(audience.length ? { audience: [...audience] } : {}),
  };
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, keyFor, claimChecks);
      if (typeof payload.sub !== "string" || payload.sub === "") {
        throw new ReelayError(ErrorCode.UNAUTHENTICATED, "Token has no subject");
      }
      if (payload.sub.includes("\u0000") || payload.sub.length > MAX_SUBJECT_LENGTH) {
        throw new ReelayError(ErrorCode.UNAUTHENTICATED, "Token subject is not acceptable");
      }
      return {
        claims: { subject: payload.sub, role: roleFromClaims(payload, roleClaim) },
        // requiredClaims makes exp a number; remembered only until then, tolerance or not
        expiresAt: (payload.exp as number) * 1000,
      };
    } catch (err) {
      if (err instanceof ReelayError) throw err;
      throw new ReelayError(ErrorCode.UNAUTHENTICATED, refusal(err));
    }
  };
}

/**
 * The role a verified token gives: ADMIN when the claim `roleClaim` is "admin" or a list
 * holding "admin", USER otherwise. The claim is looked up by its exact name first (Auth0's
 * namespaced `https://example.com/role`), then as a dotted path into nested objects
 * (Keycloak's `realm_access.roles`, Supabase's `app_metadata.role`, Clerk's `metadata.role`).
 */
export function roleFromClaims(payload: Record<string, unknown>, roleClaim = "role"): TokenClaims["role"] {
  const value = claimAt(payload, roleClaim);
  const isAdmin = Array.isArray(value) ? value.includes(ADMIN_ROLE) : value === ADMIN_ROLE;
  return isAdmin ? "ADMIN" : "USER";
}

/** The claim named `name`, or else at the dotted path `name`; undefined when neither is there. */
function claimAt(payload: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(payload, name)) return payload[name];
  let value: unknown = payload;
  for (const key of name.split(".")) {
    // own properties only: a path such as `constructor.name` must not reach into prototypes
    if (typeof value !== "object" || value === null || Array.isArray(value) || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** A key set that could not be fetched or read: no token can be checked until it can. */
class KeySetUnavailable extends Error {
  override name = "KeySetUnavailable";
}

/**
 * What the key set's failure means: the token's own fault (it names a key or an algorithm the
 * set has none for) passes through; anything else (a timeout, a refused connection, an answer
 * other than 200, a body that is no key set) is the identity provider's.
 */
function keySetFailure(err: unknown): unknown {
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys || err instanceof errors.JOSENotSupported) {
    return err;
  }
  return new KeySetUnavailable("The identity provider's key set (JWT_JWKS_URL) could not be fetched or read", { cause: err });
}

/** Why a token was refused, in words that reveal nothing about the keys. */
function refusal(err: unknown): string {
  if (err instanceof KeySetUnavailable) return "Token could not be checked: the identity provider's keys are unreachable";
  if (err instanceof errors.JWKSNoMatchingKey) return "Token is signed with a key the identity provider does not publish (kid)";
  if (err instanceof errors.JWTExpired) return "Token has expired";
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === "exp") return "Token has no expiry (exp)";
    if (err.claim === "iss") return "Token was issued by someone else (iss)";
    if (err.claim === "aud") return "Token is meant for someone else (aud)";
  }
  return "Token is invalid";
}

export const secretKey = (secret: string) => new TextEncoder().encode(secret);
