import type { IncomingMessage, ServerResponse } from "node:http";
import ipaddr from "ipaddr.js";
import { resolveUser, type Services } from "../context.js";

/**
 * RATE_LIMIT_ANON_PER_MINUTE: a request without valid credentials is counted against its
 * client address and answered 429 RATE_LIMITED (with Retry-After) once the address is over
 * the limit. A bad token counts as none, so sending garbage does not escape the limit;
 * CORS preflights are not counted.
 * Returns true when it answered the request.
 */
export async function refuseAnonymousOverLimit(services: Services, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const { config, limits } = services;
  // A CORS preflight never carries credentials, whoever sends it, and runs nothing.
  if (config.rateLimitAnonPerMinute === 0 || req.method === "OPTIONS" || (await hasValidCredentials(services, req))) return false;
  const refusal = await limits.countAnonymousRequest(clientAddress(req, config.trustProxy));
  if (!refusal) return false;
  res
    .writeHead(429, {
      "content-type": "application/json",
      "cache-control": "no-store",
      "retry-after": String(refusal.extensions.retryAfter),
    })
    .end(JSON.stringify({ errors: [refusal.toJSON()] }));
  return true;
}

/** The same check the GraphQL context makes, remembered there, so the request does not pay for it twice. */
async function hasValidCredentials(services: Services, req: IncomingMessage): Promise<boolean> {
  try {
    return (await resolveUser(services, req.headers.authorization)) !== null;
  } catch {
    return false;
  }
}

/**
 * Whom a request is counted against: with `trustProxy`, the left-most X-Forwarded-For entry
 * (the client as the first proxy saw it; anyone can write that header, so only behind a
 * proxy that sets it); otherwise the socket's peer. An IPv6 client is counted by its /64,
 * the block one subscriber is usually given; an IPv4-mapped address as the IPv4 one.
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy ? forwardedFor(req.headers["x-forwarded-for"]) : null;
  const address = forwarded ?? req.socket.remoteAddress ?? "";
  if (!ipaddr.isValid(address)) return address;
  const ip = ipaddr.process(address);
  if (ip instanceof ipaddr.IPv4) return ip.toString();
  return `${new ipaddr.IPv6([...ip.parts.slice(0, 4), 0, 0, 0, 0]).toString()}/64`;
}

/** The left-most entry of X-Forwarded-For when it is an IP address; null otherwise. */
function forwardedFor(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header;
  const first = value?.split(",", 1)[0].trim();
  return first && ipaddr.isValid(first) ? first : null;
}
