import type { IncomingMessage } from "node:http";
import { Webhook } from "standardwebhooks";
import { ReelayError } from "../errors.js";
import { requestPinned, validateFetchTarget } from "../media/safe-fetch.js";
import type { AttemptOutcome } from "./outbox.js";
import { webhookAddressPolicy } from "./url.js";

/** how much of a receiver's answer is read, for the error shown on a failed attempt */
const RESPONSE_BYTES_READ = 1_024;
/** how much of that answer is kept in the error */
const RESPONSE_TEXT_KEPT = 200; // characters

/**
 * The Standard Webhooks headers of one attempt: the message id (the same on every attempt),
 * the attempt's time (receivers refuse old ones) and a `v1,` signature per secret, separated
 * by spaces, so a receiver that knows either secret of a rotation accepts it.
 */
export function signatureHeaders(id: string, payload: string, secrets: readonly string[], at: Date): Record<string, string> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": secrets.map((secret) => new Webhook(secret).sign(id, at, payload)).join(" "),
  };
}

export interface SendOptions {
  allowPrivateNetworks: boolean;
  /** the whole attempt: DNS, connecting, sending and the answer's status */
  timeoutMs: number;
  /** cuts the attempt short (a forced shutdown) */
  signal?: AbortSignal;
}

/**
 * POSTs one signed delivery. The host is resolved and checked against the address rules
 * again on every attempt, and the connection goes to exactly the addresses checked, so a
 * name that now points inside the network is refused. The event's name is in the
 * `reelay-event` header. Redirects are not followed; only a
 * 2xx answer counts as delivered.
 */
export async function sendWebhook(
  delivery: { id: string; event: string; url: string; payload: string },
  secrets: readonly string[],
  options: SendOptions,
): Promise<AttemptOutcome> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let res: IncomingMessage;
  try {
    const target = await validateFetchTarget(delivery.url, webhookAddressPolicy(options.allowPrivateNetworks));
    res = await requestPinned(target, {
      method: "POST",
      body: delivery.payload,
      signal,
      headers: {
        ...signatureHeaders(delivery.id, delivery.payload, secrets, new Date()),
        "content-type": "application/json",
        // the body is the task alone, so the event it reports travels beside it
        "reelay-event": delivery.event,
        "content-length": Buffer.byteLength(delivery.payload),
        accept: "*/*",
        "user-agent": "Reelay-Webhooks",
      },
    });
  } catch (err) {
    if (timeout.aborted) return { delivered: false, status: null, error: `no answer within ${options.timeoutMs} ms` };
    if (options.signal?.aborted) return { delivered: false, status: null, error: "cut short: the worker stopped" };
    if (err instanceof ReelayError) return { delivered: false, status: null, error: err.message };
    return { delivered: false, status: null, error: `could not connect: ${err instanceof Error ? err.message : String(err)}` };
  }
  const status = res.statusCode ?? 0;
  if (status >= 200 && status <= 299) {
    res.destroy();
    return { delivered: true, status };
  }
  const text = await readSome(res, signal);
  if (status >= 300 && status <= 399) {
    return { delivered: false, status, error: `HTTP ${status}: redirects are not followed (to ${res.headers.location ?? "nowhere"})` };
  }
  return { delivered: false, status, error: text ? `HTTP ${status}: ${text}` : `HTTP ${status}` };
}

/** The start of a receiver's answer, as text, reading no more than RESPONSE_BYTES_READ. */
async function readSome(res: IncomingMessage, signal: AbortSignal): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= RESPONSE_BYTES_READ || signal.aborted) break;
    }
  } catch {
    // an answer cut off is still an answer: its status is what counts
  } finally {
    res.destroy();
  }
  return Buffer.concat(chunks).subarray(0, RESPONSE_BYTES_READ).toString("utf8").replace(/\s+/g, " ").trim().slice(0, RESPONSE_TEXT_KEPT);
}
