import { createHmac, timingSafeEqual } from "node:crypto";
import type { Config } from "../config.js";

/** Where providers call back: `POST /callbacks/<provider>/<task id>/<token>` (served by callbacks.ts). */
export const CALLBACK_PATH_PREFIX = "/callbacks/";

/** Makes and checks the URLs providers call back at. */
export interface CallbackSigner {
  /** the URL for this task's provider to call; null when callbacks are off (PROVIDER_CALLBACKS) or the public URL is not known yet */
  urlFor(provider: string, taskId: string): string | null;
  /** whether `token` is this provider's and task's */
  verify(provider: string, taskId: string, token: string): boolean;
}

/** A signer keyed from `secret` (MEDIA_SIGNING_SECRET or its stored stand-in), with a key of its own for callbacks. */
export function createCallbackSigner(
  secret: string,
  config: Pick<Config, "providerCallbacks" | "publicBaseUrl" | "role">,
  publicBaseUrl: () => string,
): CallbackSigner {
  const key = createHmac("sha256", "reelay-provider-callback").update(secret).digest();
  const tokenOf = (provider: string, taskId: string) => createHmac("sha256", key).update(`${provider}\n${taskId}`).digest();
  return {
    urlFor(provider, taskId) {
      // A worker serves no API: without PUBLIC_BASE_URL its own address would answer 404.
      if (!config.providerCallbacks || (config.role === "worker" && !config.publicBaseUrl)) return null;
      let base: string;
      try {
        base = publicBaseUrl();
      } catch {
        return null; // not listening yet: the task is polled as usual
      }
      return `${base}${CALLBACK_PATH_PREFIX}${encodeURIComponent(provider)}/${taskId}/${tokenOf(provider, taskId).toString("base64url")}`;
    },
    verify(provider, taskId, token) {
      const expected = tokenOf(provider, taskId);
      const given = Buffer.from(token, "base64url");
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
