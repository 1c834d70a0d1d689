import { badInput, ReelayError } from "../errors.js";
import { type AddressPolicy, validateFetchTarget } from "../media/safe-fetch.js";
import { WEBHOOK_EVENTS, type WebhookEvent } from "./events.js";

/** the longest webhook URL accepted, in characters (what browsers and proxies reliably carry) */
export const MAX_WEBHOOK_URL_LENGTH = 2_048;

/**
 * The address rules for a webhook receiver: http or https (a signature, not the transport,
 * proves who sent a delivery), and, like a reference image URL, no credentials and a host
 * that resolves to public addresses only unless ALLOW_PRIVATE_NETWORKS. Deliveries resolve
 * the host again and connect only to what that check allowed, so DNS rebinding gains nothing.
 */
export const webhookAddressPolicy = (allowPrivateNetworks: boolean): AddressPolicy => ({
  allowPrivateAddresses: allowPrivateNetworks,
  allowPlainHttp: true,
});

const refusedUrl = (reason: string) => badInput(`webhookUrl ${reason}`, { field: "webhookUrl" });

/**
 * The webhook of a new task, checked before anything is held: the URL (null when none was
 * given) and its event filter (empty: every event). Refusals are BAD_USER_INPUT naming the field.
 */
export async function checkWebhook(
  input: { webhookUrl?: string | null; webhookEvents?: readonly string[] | null },
  allowPrivateNetworks: boolean,
): Promise<{ url: string | null; events: WebhookEvent[] }> {
  const events = checkEvents(input.webhookEvents);
  const raw = input.webhookUrl;
  if (raw === null || raw === undefined) {
    if (events.length > 0) throw badInput("webhookEvents needs a webhookUrl to send them to", { field: "webhookEvents" });
    return { url: null, events };
  }
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) throw refusedUrl(`must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`);
  if (!URL.canParse(raw)) throw refusedUrl("is not a valid URL");
  const url = new URL(raw);
  if (url.protocol !== "https:" && url.protocol !== "http:") throw refusedUrl(`must be an https:// or http:// URL (got ${url.protocol})`);
  try {
    await validateFetchTarget(url, webhookAddressPolicy(allowPrivateNetworks));
  } catch (err) {
    if (err instanceof ReelayError) throw refusedUrl(`is refused: ${err.message}`);
    throw err;
  }
  return { url: url.href, events };
}

function checkEvents(events: readonly string[] | null | undefined): WebhookEvent[] {
  if (!events) return [];
  const known: readonly string[] = WEBHOOK_EVENTS;
  const unknown = events.filter((e) => !known.includes(e));
  if (unknown.length > 0) {
    throw badInput(
      `webhookEvents may only name ${WEBHOOK_EVENTS.join(", ")}; got ${unknown
        .slice(0, 5)
        .map((e) => JSON.stringify(e.slice(0, 40)))
        .join(", ")}`,
      {
        field: "webhookEvents",
      },
    );
  }
  // in the order a task goes through them, each once
  return WEBHOOK_EVENTS.filter((e) => events.includes(e));
}
