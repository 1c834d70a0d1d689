/**
 * SSRF-safe HTTPS GET for URLs no admin configured: users' reference images here, and
 * (through `validateFetchTarget` and `requestPinned`) providers' result links. The one
 * home of the address rules.
 *
 * Every hop (the first request and each redirect) is parsed, checked for
 * scheme and credentials, resolved, and refused if any resolved address is not
 * public unicast. The connection then goes to exactly the addresses that were
 * checked (a pinned `lookup`), so DNS rebinding between check and connect
 * cannot redirect it.
 */
import type { LookupAddress } from "node:dns";
import { lookup } from "node:dns/promises";
import http, { type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import https from "node:https";
import net from "node:net";
import ipaddr from "ipaddr.js";
import { badInput, ErrorCode, ReelayError } from "../errors.js";

/** Which targets the address rules let through. */
export interface AddressPolicy {
  /** development and tests only (ALLOW_PRIVATE_NETWORKS): permit loopback/private targets */
  allowPrivateAddresses?: boolean;
  /** development and tests only (ALLOW_PRIVATE_NETWORKS): permit plain http:// (local servers have no certificate) */
  allowPlainHttp?: boolean;
}

export interface SafeFetchOptions extends AddressPolicy {
  /** Largest accepted body; enforced while streaming. */
  maxBytes: number;
  /** Overall deadline for DNS, connecting, redirects and the body. Default 15 s. */
  timeoutMs?: number;
  /** Default 3. */
  maxRedirects?: number;
  /** tests only: extra CA for a self-signed test server */
  ca?: string | Buffer;
}

/** A URL that passed validation, with the addresses the connection is pinned to. */
export interface FetchTarget {
  url: URL;
  /** Hostname without IPv6 brackets. */
  host: string;
  addresses: LookupAddress[];
}

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_REDIRECTS = 3;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** "private" may be allowed by `allowPrivateAddresses`; "forbidden" never is. */
type AddressClass = "public" | "private" | "forbidden";

// Cloud metadata endpoints (AWS, ECS, Alibaba, Oracle, AWS IPv6): refused even in test mode.
const METADATA_ADDRESSES = new Set(
  ["169.254.169.254", "169.254.170.2", "100.100.100.200", "192.0.0.192", "fd00:ec2::254"].map((a) => ipaddr.parse(a).toNormalizedString()),
);
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR("2000::/3");

function classifyIPv4(addr: ipaddr.IPv4): AddressClass {
  if (METADATA_ADDRESSES.has(addr.toNormalizedString())) return "forbidden";
  const range = addr.range();
  if (range === "unicast") return "public";
  if (range === "loopback" || range === "private") return "private";
  return "forbidden";
}

/**
 * IPv4 addresses embedded in an IPv6 address that the network would deliver
 * to an IPv4 host. `undefined`: not a mapping range; `null`: a mapping range
 * we refuse outright.
 */
function embeddedIPv4(addr: ipaddr.IPv6): ipaddr.IPv4[] | null | undefined {
  const p = addr.parts;
  const v4 = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  switch (addr.range()) {
    case "ipv4Mapped":
    case "rfc6145":
      return [v4(p[6]!, p[7]!)];
    case "rfc6052": // NAT64 well-known prefix 64:ff9b::/96; the local-use 64:ff9b:1::/48 is refused
      return p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0 ? [v4(p[6]!, p[7]!)] : null;
    case "6to4":
      return [v4(p[1]!, p[2]!)];
    case "teredo": // server address, and the client address stored bit-inverted
      return [v4(p[2]!, p[3]!), v4(p[6]! ^ 0xffff, p[7]! ^ 0xffff)];
    default:
      return undefined;
  }
}

function classifyIPv6(addr: ipaddr.IPv6): AddressClass {
  if (METADATA_ADDRESSES.has(addr.toNormalizedString())) return "forbidden";
  const embedded = embeddedIPv4(addr);
  if (embedded === null) return "forbidden";
  if (embedded) {
    const classes = embedded.map(classifyIPv4);
    if (classes.includes("forbidden")) return "forbidden";
    return classes.includes("private") ? "private" : "public";
  }
  const range = addr.range();
  // Only 2000::/3 is allocated global unicast; this also excludes ::/96 (IPv4-compatible) and friends.
  if (range === "unicast") return addr.match(GLOBAL_UNICAST_V6) ? "public" : "forbidden";
  if (range === "loopback" || range === "uniqueLocal") return "private";
  return "forbidden";
}

function classifyIp(ip: string): AddressClass {
  if (net.isIP(ip) === 0) return "forbidden";
  const addr = ipaddr.parse(ip);
  return addr.kind() === "ipv4" ? classifyIPv4(addr as ipaddr.IPv4) : classifyIPv6(addr as ipaddr.IPv6);
}

/**
 * True only for public unicast addresses. False for loopback, private,
 * link-local (incl. 169.254.169.254), unique-local (incl. fd00:ec2::254),
 * CGNAT, unspecified, broadcast, multicast, reserved/documentation ranges,
 * IPv6 outside 2000::/3, IPv4-mapped / NAT64 / 6to4 / Teredo addresses that
 * embed a non-public IPv4 address, and anything that is not an IP address.
 */
export function isPublicAddress(ip: string): boolean {
  return classifyIp(ip) === "public";
}

function isLocalhostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, "");
  return name === "localhost" || name.endsWith(".localhost");
}

/** Parses a URL to fetch (relative to `base` for a redirect): https only, or http too when the policy allows it; never credentials. */
export function parseFetchUrl(raw: string | URL, base?: URL, policy: AddressPolicy = {}): URL {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    throw badInput(base ? "The URL redirected to an invalid location" : "Not a valid URL");
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && policy.allowPlainHttp === true)) {
    throw badInput(`Only https:// URLs can be fetched (got ${url.protocol}${base ? " in a redirect" : ""})`);
  }
  if (url.username || url.password) {
    throw badInput("URLs with embedded credentials (user:password@) are not allowed");
  }
  return url;
}

/** The host did not resolve: unlike a refusal, asking again later may work. */
export class UnresolvedHostError extends ReelayError {
  constructor(host: string) {
    super(ErrorCode.BAD_USER_INPUT, `Could not resolve host ${host}`);
    this.name = "UnresolvedHostError";
  }
}

const refused = (host: string) => badInput(`Refusing to fetch from ${host}: it is not a public internet address`);

/**
 * The check applied to every hop: https only, no credentials, and every
 * address the host resolves to (or the literal IP) must be public unicast.
 * `localhost` names are refused without resolving them. With
 * `allowPrivateAddresses` (development and tests only) loopback/private/unique-local
 * targets pass, but metadata, link-local, unspecified and other special ranges never do;
 * `allowPlainHttp` admits http:// as well.
 */
export async function validateFetchTarget(url: string | URL, options: AddressPolicy = {}): Promise<FetchTarget> {
  const parsed = parseFetchUrl(typeof url === "string" ? url : url.href, undefined, options);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  const allowed = (ip: string) => {
    const cls = classifyIp(ip);
    return cls === "public" || (cls === "private" && options.allowPrivateAddresses === true);
  };

  const family = net.isIP(host);
  if (family !== 0) {
    if (!allowed(host)) throw refused(host);
    return { url: parsed, host, addresses: [{ address: host, family }] };
  }

  if (!options.allowPrivateAddresses && isLocalhostName(host)) throw refused(host);
  let addresses: LookupAddress[];
  try {
    addresses = await lookup(host, { all: true });
  } catch {
    throw new UnresolvedHostError(host);
  }
  if (addresses.length === 0) throw new UnresolvedHostError(host);
  if (!addresses.every((a) => allowed(a.address))) throw refused(host);
  return { url: parsed, host, addresses };
}

/** A `lookup` for `https.request` that only ever answers with the validated addresses. */
function pinnedLookup(addresses: LookupAddress[]): net.LookupFunction {
  return (hostname, options, callback) => {
    const family = options.family === "IPv4" ? 4 : options.family === "IPv6" ? 6 : options.family;
    const candidates = family ? addresses.filter((a) => a.family === family) : addresses;
    if (candidates.length === 0) {
      const err: NodeJS.ErrnoException = new Error(`No validated address for ${hostname}`);
      err.code = "ENOTFOUND";
      callback(err, "");
    } else if (options.all) {
      callback(null, candidates);
    } else {
      callback(null, candidates[0]!.address, candidates[0]!.family);
    }
  };
}

/** What one request to a validated target sends, and how long it may stay silent. */
export interface PinnedRequestOptions {
  /** GET unless told otherwise (webhook deliveries POST) */
  method?: "GET" | "POST";
  /** sent as the request body */
  body?: string;
  headers?: OutgoingHttpHeaders;
  signal: AbortSignal;
  /** the socket is destroyed after this long without a byte either way */
  idleTimeoutMs?: number;
  /** tests only: extra CA for a self-signed test server */
  ca?: string | Buffer;
}

const DEFAULT_HEADERS = { accept: "image/*,video/*;q=0.9,*/*;q=0.5", "accept-encoding": "identity", "user-agent": "Reelay" };

/**
 * One request (a GET by default) to a target that passed `validateFetchTarget`, connected to exactly the
 * addresses that were checked. Redirects are not followed: the caller validates the next hop.
 */
export function requestPinned(target: FetchTarget, options: PinnedRequestOptions): Promise<IncomingMessage> {
  const client = target.url.protocol === "http:" ? http : https;
  return new Promise((resolve, reject) => {
    const req = client.request(
      {
        hostname: target.host,
        port: target.url.port || (target.url.protocol === "http:" ? 80 : 443),
        path: target.url.pathname + target.url.search,
        method: options.method ?? "GET",
        headers: { ...DEFAULT_HEADERS, ...options.headers },
        agent: false, // no pooled sockets: each hop connects to its own validated address
        lookup: pinnedLookup(target.addresses),
        signal: options.signal,
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
      },
      resolve,
    );
    if (options.idleTimeoutMs !== undefined) {
      req.setTimeout(options.idleTimeoutMs, () => req.destroy(new Error("the connection went silent")));
    }
    req.on("error", reject);
    req.end(options.body);
  });
}

const tooLarge = (origin: string, maxBytes: number) =>
  new ReelayError(ErrorCode.PAYLOAD_TOO_LARGE, `The file at ${origin} is larger than the ${maxBytes}-byte limit`, {
    maxBytes,
  });

/** Reads the body, aborting as soon as it exceeds `maxBytes`. The request's abort signal ends it on timeout. */
async function readBody(res: IncomingMessage, maxBytes: number, origin: string): Promise<Uint8Array> {
  const declared = Number(res.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.destroy();
    throw tooLarge(origin, maxBytes);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      res.destroy();
      throw tooLarge(origin, maxBytes);
    }
    chunks.push(chunk);
  }
  // Copy into a fresh buffer: small Buffers may be slices of Node's shared pool.
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/**
 * GETs a user-supplied https URL without letting it reach internal services.
 * Follows at most `maxRedirects` redirects, validating each hop like the
 * first. Failures are `ReelayError`s: `PAYLOAD_TOO_LARGE` once the body
 * exceeds `maxBytes` (the download is aborted right away), `BAD_USER_INPUT`
 * for refused URLs, non-2xx statuses, timeouts and network/TLS errors.
 */
export async function safeFetchBytes(
  url: string,
  options: SafeFetchOptions,
): Promise<{ bytes: Uint8Array; contentType: string | null; finalUrl: string }> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error("timeout")), timeoutMs);
  let current = parseFetchUrl(url, undefined, options);
  try {
    for (let redirects = 0; ; redirects++) {
      const target = await untilAborted(validateFetchTarget(current, options), controller.signal);
      const res = await requestPinned(target, { signal: controller.signal, ca: options.ca });
      const status = res.statusCode ?? 0;

      if (REDIRECT_STATUSES.has(status)) {
        res.destroy();
        const location = res.headers.location;
        if (!location) throw badInput(`${current.origin} answered HTTP ${status} without a redirect location`);
        if (redirects >= maxRedirects) throw badInput(`Too many redirects (more than ${maxRedirects})`);
        current = parseFetchUrl(location, current, options);
        continue;
      }
      if (status < 200 || status > 299) {
        res.destroy();
        throw badInput(`Fetching the URL failed: ${current.origin} answered HTTP ${status}`, { status });
      }
      const bytes = await readBody(res, options.maxBytes, current.origin);
      return { bytes, contentType: res.headers["content-type"] ?? null, finalUrl: current.href };
    }
  } catch (err) {
    if (err instanceof ReelayError) throw err;
    if (controller.signal.aborted) throw badInput(`Fetching ${current.origin} timed out after ${timeoutMs} ms`);
    throw badInput(`Could not fetch ${current.origin}: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    clearTimeout(timer);
  }
}
