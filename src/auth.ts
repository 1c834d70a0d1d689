import { errors, jwtVerify } from "jose";
import { ErrorCode, ReelayError } from "./errors.js";
import { MAX_SUBJECT_LENGTH } from "./limits.js";

export interface TokenClaims {
  subject: string;
  role: "USER" | "ADMIN";
}

const ALGORITHMS = ["HS256"];
/** tolerated clock difference between token issuer and this server */
const CLOCK_TOLERANCE_S = 5;

/** a verified token is trusted again without checking its signature for this long, never past its expiry */
const VERIFIED_TTL_MS = 60_000;
const VERIFIED_CACHE_SIZE = 10_000;

/** Checks bearer tokens against one secret, remembering the ones it accepted: a client sends the same token with every request. */
export interface TokenVerifier {
  /** `Bearer <JWT>` → its claims; null when there is no header; throws UNAUTHENTICATED when invalid */
  verify(header: string | null | undefined): Promise<TokenClaims | null>;
}

export function createTokenVerifier(secret: Uint8Array): TokenVerifier {
  const verified = new Map<string, { claims: TokenClaims; until: number }>();
  return {
    async verify(header) {
      const token = bearerToken(header);
      if (token === null) return null;
      const known = verified.get(token);
      if (known && known.until > Date.now()) return known.claims;
      const fresh = await verifyToken(token, secret);
      verified.delete(token);
      verified.set(token, { claims: fresh.claims, until: Math.min(Date.now() + VERIFIED_TTL_MS, fresh.expiresAt) });
      if (verified.size > VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!); // the oldest
      return fresh.claims;
    },
  };
}

/** Verifies `Bearer <JWT>` (HS256, `exp` honoured) once, remembering nothing. Null when no header; throws UNAUTHENTICATED when invalid. */
export async function verifyAuthorization(header: string | null | undefined, secret: Uint8Array): Promise<TokenClaims | null> {
  const token = bearerToken(header);
  return token === null ? null : (await verifyToken(token, secret)).claims;
}

/** The token of an Authorization header value; null when there is none. */
function bearerToken(header: string | null | undefined): string | null {
  if (header === undefined || header === null || header === "") return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match) throw new ReelayError(ErrorCode.UNAUTHENTICATED, "Authorization must be 'Bearer <token>'");
  return match[1];
}

async function verifyToken(token: string, secret: Uint8Array): Promise<{ claims: TokenClaims; expiresAt: number }> {
  try {
    const { payload } = await jwtVerify(token, secret, { algorithms: ALGORITHMS, clockTolerance: CLOCK_TOLERANCE_S });
    if (typeof payload.sub !== "string" || payload.sub === "") {
      throw new ReelayError(ErrorCode.UNAUTHENTICATED, "Token has no subject");
    }
    if (payload.sub.includes("\u0000") || payload.sub.length > MAX_SUBJECT_LENGTH) {
      throw new ReelayError(ErrorCode.UNAUTHENTICATED, "Token subject is not acceptable");
    }
    return {
      claims: { subject: payload.sub, role: payload.role === "admin" ? "ADMIN" : "USER" },
      expiresAt: typeof payload.exp === "number" ? (payload.exp + CLOCK_TOLERANCE_S) * 1000 : Infinity,
    };
  } catch (err) {
    if (err instanceof ReelayError) throw err;
    const reason = err instanceof errors.JWTExpired ? "Token has expired" : "Token is invalid";
    throw new ReelayError(ErrorCode.UNAUTHENTICATED, reason);
  }
}

export const secretKey = (secret: string) => new TextEncoder().encode(secret);
