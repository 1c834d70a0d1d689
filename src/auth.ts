import { errors, jwtVerify } from "jose";
import { ReelayError, ErrorCode } from "./errors.js";

export interface TokenClaims {
  subject: string;
  role: "USER" | "ADMIN";
}

const ALGORITHMS = ["HS256"];
/** tolerated clock difference between token issuer and this server */
const CLOCK_TOLERANCE_S = 5;
/** subjects are stored and indexed; an identity provider's ids are far shorter */
const MAX_SUBJECT_LENGTH = 255;

/** Verifies `Bearer <JWT>` (HS256, `exp` honoured). Null when no header; throws UNAUTHENTICATED when invalid. */
export async function verifyAuthorization(header: string | null | undefined, secret: Uint8Array): Promise<TokenClaims | null> {
  if (header === undefined || header === null || header === "") return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match) throw new ReelayError(ErrorCode.UNAUTHENTICATED, "Authorization must be 'Bearer <token>'");
  try {
    const { payload } = await jwtVerify(match[1], secret, { algorithms: ALGORITHMS, clockTolerance: CLOCK_TOLERANCE_S });
    if (typeof payload.sub !== "string" || payload.sub === "") {
      throw new ReelayError(ErrorCode.UNAUTHENTICATED, "Token has no subject");
    }
    if (payload.sub.includes("\u0000") || payload.sub.length > MAX_SUBJECT_LENGTH) {
      throw new ReelayError(ErrorCode.UNAUTHENTICATED, "Token subject is not acceptable");
    }
    return { subject: payload.sub, role: payload.role === "admin" ? "ADMIN" : "USER" };
  } catch (err) {
    if (err instanceof ReelayError) throw err;
    const reason = err instanceof errors.JWTExpired ? "Token has expired" : "Token is invalid";
    throw new ReelayError(ErrorCode.UNAUTHENTICATED, reason);
  }
}

export const secretKey = (secret: string) => new TextEncoder().encode(secret);
