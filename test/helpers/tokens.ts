import { SignJWT } from "jose";

export const TEST_JWT_SECRET = "reelay-test-secret";

/** An HS256 bearer token as Reelay's clients get them from their identity provider. */
export async function tokenFor(subject: string, options: { role?: "admin"; expiresIn?: string | number; secret?: string } = {}) {
  const jwt = new SignJWT(options.role ? { role: options.role } : {})
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? "1h");
  return jwt.sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET));
}
