import type { Logger } from "pino";
import type { Config } from "./config.js";
import type { Db } from "./db/index.js";
import type { MediaSigner } from "./http/media.js";
import type { SafeFetchOptions } from "./media/safe-fetch.js";
import type { PubSub } from "./pubsub.js";
import type { MediaStorage } from "./storage/types.js";
import { verifyAuthorization } from "./auth.js";

/** Long-lived objects one Reelay instance owns; handed to resolvers through the context. */
export interface Services {
  config: Config;
  db: Db;
  pubsub: PubSub;
  storage: MediaStorage;
  signer: MediaSigner;
  logger: Logger;
  jwtKey: Uint8Array;
  /** how reference image URLs are fetched (tests allow a local HTTPS server) */
  referenceFetch?: Omit<SafeFetchOptions, "maxBytes">;
}

export interface CurrentUser {
  id: string;
  subject: string;
  role: "USER" | "ADMIN";
}

export interface Context {
  services: Services;
  /** resolved once per request (or per WebSocket connection) from the bearer token */
  currentUser: CurrentUser | null;
}

/**
 * The caller from an Authorization header value: null without one, UNAUTHENTICATED when
 * it is bad. A user row is created on first sight of a valid subject; the token's role
 * claim is mirrored so that promotions and demotions take effect with the next token.
 */
export async function resolveUser(services: Services, authorization: string | null | undefined): Promise<CurrentUser | null> {
  const claims = await verifyAuthorization(authorization, services.jwtKey);
  if (!claims) return null;
  const user = await services.db.user.upsert({
    where: { subject: claims.subject },
    create: { subject: claims.subject, role: claims.role },
    update: {},
    select: { id: true, subject: true, role: true },
  });
  if (user.role !== claims.role) {
    await services.db.user.update({ where: { id: user.id }, data: { role: claims.role } });
  }
  return { id: user.id, subject: user.subject, role: claims.role };
}
