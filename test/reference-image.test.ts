import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { ReelayError } from "../src/errors.js";
import { extensionFor, sniffImageType, sniffMediaType } from "../src/media/image-sniff.js";
import { readReferenceImage } from "../src/media/reference-image.js";
import { isPublicAddress, safeFetchBytes, validateFetchTarget } from "../src/media/safe-fetch.js";
import { tinyPng } from "./helpers/images.js";

// ---------------------------------------------------------------------------
// Fake DNS: the code under test resolves through node:dns/promises, so tests
// decide what a hostname resolves to and no real DNS query is ever made.
// ---------------------------------------------------------------------------
const fakeDns = vi.hoisted(() => ({
  records: new Map<string, string[]>(),
  queries: [] as string[],
}));
vi.mock("node:dns/promises", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:dns/promises")>();
  const { isIP } = await import("node:net");
  const lookup = async (host: string) => {
    fakeDns.queries.push(host);
    const answers = fakeDns.records.get(host);
    if (!answers) throw Object.assign(new Error(`fake DNS has no record for ${host}`), { code: "ENOTFOUND" });
    return answers.map((address) => ({ address, family: isIP(address) }));
  };
  return { ...actual, lookup, default: { ...actual, lookup } };
});

// ---------------------------------------------------------------------------
// Real images, built byte by byte.
// ---------------------------------------------------------------------------
/** 1×1 red RGB PNG. */
const PNG = tinyPng();
/** SOI, JFIF APP0 segment, EOI. */
const JPEG = Buffer.from([
  0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xd9,
]);
/** 1×1 lossless WebP: RIFF <size> WEBP VP8L <chunk>. */
const WEBP = (() => {
  const vp8l = Buffer.from([0x2f, 0x00, 0x00, 0x00, 0x10, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xfe, 0x07, 0x00]);
  const chunk = Buffer.concat([Buffer.from("VP8L", "latin1"), Buffer.alloc(4), vp8l]);
  chunk.writeUInt32LE(13, 4);
  const riff = Buffer.concat([Buffer.from("RIFF", "latin1"), Buffer.alloc(4), Buffer.from("WEBP", "latin1"), chunk]);
  riff.writeUInt32LE(riff.length - 8, 4);
  return riff;
})();
/** 1×1 transparent GIF89a. */
const GIF = Buffer.concat([
  Buffer.from("GIF89a", "latin1"),
  Buffer.from([0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff]),
  Buffer.from([0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00]),
  Buffer.from([0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x01, 0x44, 0x00, 0x3b]),
]);
// Trailing data after the image end marker is ignored by decoders; every byte value
// appears in it, so any text/encoding mangling of the bytes would be caught.
const ALL_BYTE_VALUES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const withTail = (image: Buffer) => Buffer.concat([image, ALL_BYTE_VALUES]);

const IMAGES = [
  { name: "png", mime: "image/png", bytes: withTail(PNG), filename: "reference.png" },
  { name: "jpeg", mime: "image/jpeg", bytes: withTail(JPEG), filename: "reference.jpg" },
  { name: "webp", mime: "image/webp", bytes: withTail(WEBP), filename: "reference.webp" },
  { name: "gif", mime: "image/gif", bytes: withTail(GIF), filename: "reference.gif" },
] as const;
const NOT_AN_IMAGE = Buffer.from("%PDF-1.7 definitely not an image\n");
const NOT_IMAGE_MESSAGE = "inputReference is not a PNG, JPEG, WebP or GIF image";

// ---------------------------------------------------------------------------
// Local HTTPS server on 127.0.0.1 with a throwaway self-signed certificate.
// ---------------------------------------------------------------------------
const ENDLESS_CAP = 64 * 1024 * 1024;
let certDir: string;
let ca: string;
let server: https.Server;
let port: number;
let base: string;
let connections = 0;
let requests: string[] = [];
let endless: { written: number; closed: Promise<void> } | null = null;

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? "/", "https://127.0.0.1");
  requests.push(url.pathname);
  const image = IMAGES.find((i) => url.pathname === `/img/${i.name}`);
  if (image) {
    res.writeHead(200, { "content-type": "text/plain" }).end(image.bytes); // wrong type on purpose
  } else if (url.pathname === "/text") {
    res.writeHead(200, { "content-type": "image/png" }).end(NOT_AN_IMAGE);
  } else if (url.pathname === "/sized") {
    const size = Number(url.searchParams.get("n"));
    const body = Buffer.alloc(size, 7);
    PNG.copy(body, 0, 0, Math.min(size, PNG.length));
    res.writeHead(200, { "content-length": size }).end(body);
  } else if (url.pathname === "/endless") {
    // No content-length: only a limit enforced while streaming can stop this.
    res.writeHead(200, { "content-type": "image/png" });
    const state = { written: 0, closed: new Promise<void>((r) => res.on("close", () => r())) };
    endless = state;
    const chunk = Buffer.alloc(16 * 1024, 1);
    PNG.copy(chunk);
    const pump = () => {
      while (!res.destroyed && state.written < ENDLESS_CAP) {
        state.written += chunk.length;
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
      if (!res.destroyed) res.end();
    };
    pump();
  } else if (url.pathname.startsWith("/hop/")) {
    const left = Number(url.pathname.slice("/hop/".length));
    if (left === 0) res.writeHead(200).end(PNG);
    else res.writeHead(302, { location: `/hop/${left - 1}` }).end(); // relative Location
  } else if (url.pathname === "/to") {
    res.writeHead(307, { location: url.searchParams.get("url") ?? "" }).end();
  } else if (url.pathname === "/no-location") {
    res.writeHead(302).end();
  } else if (url.pathname === "/stall") {
    // never answers
  } else if (url.pathname === "/declared-huge") {
    res.writeHead(200, { "content-length": 1_000_000_000 });
    res.write(PNG); // then stalls: only the declared length can refuse this quickly
  } else if (url.pathname === "/stall-body") {
    res.writeHead(200, { "content-length": 1000 });
    res.write(PNG); // then nothing more
  } else {
    res.writeHead(404).end("not found");
  }
}

beforeAll(async () => {
  certDir = mkdtempSync(join(tmpdir(), "reelay-tls-"));
  const keyPath = join(certDir, "key.pem");
  const certPath = join(certDir, "cert.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:rebind.test",
      "-days",
      "1",
      "-keyout",
      keyPath,
      "-out",
      certPath,
    ],
    { stdio: "ignore" },
  );
  ca = readFileSync(certPath, "utf8");
  server = https.createServer({ key: readFileSync(keyPath), cert: ca }, handle);
  server.on("connection", () => connections++); // raw TCP accepts, before TLS or HTTP
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  base = `https://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(certDir, { recursive: true, force: true });
});

beforeEach(() => {
  connections = 0;
  requests = [];
  endless = null;
  fakeDns.records.clear();
  fakeDns.queries.length = 0;
});

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------
async function rejectionOf(promise: Promise<unknown>): Promise<ReelayError> {
  let error: unknown;
  try {
    await promise;
  } catch (err) {
    error = err;
  }
  expect(error, "expected the promise to reject").toBeInstanceOf(ReelayError);
  return error as ReelayError;
}
async function expectBadInput(promise: Promise<unknown>, message?: RegExp | string): Promise<ReelayError> {
  const err = await rejectionOf(promise);
  expect(err.code).toBe("BAD_USER_INPUT");
  expect(err.extensions.code).toBe("BAD_USER_INPUT");
  if (typeof message === "string") expect(err.message).toBe(message);
  else if (message) expect(err.message).toMatch(message);
  return err;
}
async function expectTooLarge(promise: Promise<unknown>): Promise<ReelayError> {
  const err = await rejectionOf(promise);
  expect(err.code).toBe("PAYLOAD_TOO_LARGE");
  expect(err.extensions.code).toBe("PAYLOAD_TOO_LARGE");
  return err;
}
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual).toBeInstanceOf(Uint8Array);
  expect(Buffer.from(actual).toString("hex")).toBe(Buffer.from(expected).toString("hex"));
}
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const dataUrl = (mime: string, bytes: Uint8Array) => `data:${mime};base64,${Buffer.from(bytes).toString("base64")}`;
const LIMIT = 64 * 1024;
/** Fetch options for the local test server (trusts its CA, permits loopback). */
const local = () => ({ allowPrivateAddresses: true, ca });

// ---------------------------------------------------------------------------
describe("sniffImageType / sniffMediaType / extensionFor", () => {
  it.each(IMAGES)("recognises $name from magic bytes", ({ bytes, mime }) => {
    expect(sniffImageType(bytes)).toBe(mime);
    expect(sniffMediaType(bytes)).toBe(mime);
  });

  it("accepts GIF87a as well as GIF89a", () => {
    expect(sniffImageType(Buffer.concat([Buffer.from("GIF87a"), GIF.subarray(6)]))).toBe("image/gif");
  });

  it("rejects non-images, truncated headers and RIFF files that are not WebP", () => {
    expect(sniffImageType(NOT_AN_IMAGE)).toBeNull();
    expect(sniffImageType(new Uint8Array())).toBeNull();
    expect(sniffImageType(PNG.subarray(0, 7))).toBeNull();
    expect(sniffImageType(Buffer.from([0xff, 0xd8]))).toBeNull();
    expect(sniffImageType(Buffer.from("GIF90a......"))).toBeNull();
    expect(sniffImageType(Buffer.from("RIFF\x24\x00\x00\x00WAVEfmt "))).toBeNull();
    expect(sniffImageType(Buffer.from("RIFF\x24\x00\x00\x00WEB"))).toBeNull();
  });

  it("recognises MP4, QuickTime and WebM containers but not HEIF/AVIF stills", () => {
    const ftyp = (brand: string) => Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from(`ftyp${brand}\0\0\0\0`)]);
    expect(sniffMediaType(ftyp("isom"))).toBe("video/mp4");
    expect(sniffMediaType(ftyp("mp42"))).toBe("video/mp4");
    expect(sniffMediaType(ftyp("qt  "))).toBe("video/quicktime");
    expect(sniffMediaType(Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81]))).toBe("video/webm");
    expect(sniffMediaType(ftyp("avif"))).toBeNull();
    expect(sniffMediaType(ftyp("heic"))).toBeNull();
    expect(sniffMediaType(Buffer.from([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70]))).toBeNull(); // no brand
    expect(sniffImageType(ftyp("isom"))).toBeNull(); // videos are not reference images
  });

  it("maps types to file extensions", () => {
    expect(IMAGES.map((i) => extensionFor(i.mime))).toEqual(["png", "jpg", "webp", "gif"]);
    expect([extensionFor("video/mp4"), extensionFor("video/quicktime"), extensionFor("video/webm")]).toEqual(["mp4", "mov", "webm"]);
  });
});

// ---------------------------------------------------------------------------
describe("isPublicAddress", () => {
  it.each([
    "8.8.8.8",
    "1.1.1.1",
    "2606:4700::1",
    "2001:4860:4860::8888",
    "::ffff:8.8.8.8", // IPv4-mapped public address
    "2002:808:808::1", // 6to4 of 8.8.8.8
  ])("%s is public", (ip) => {
    expect(isPublicAddress(ip)).toBe(true);
  });

  it.each([
    ["127.0.0.1", "loopback"],
    ["127.8.9.10", "loopback /8"],
    ["10.0.0.1", "private"],
    ["172.16.5.4", "private"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "cloud metadata"],
    ["169.254.170.2", "ECS metadata"],
    ["169.254.1.1", "link-local"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["100.100.100.200", "Alibaba metadata"],
    ["0.0.0.0", "unspecified"],
    ["255.255.255.255", "broadcast"],
    ["224.0.0.1", "multicast"],
    ["240.0.0.1", "reserved"],
    ["192.0.2.1", "documentation"],
    ["198.18.0.1", "benchmarking"],
    ["::1", "IPv6 loopback"],
    ["::", "IPv6 unspecified"],
    ["fe80::1", "IPv6 link-local"],
    ["fe80::1%eth0", "IPv6 link-local with zone"],
    ["fc00::1", "unique local"],
    ["fd00:ec2::254", "AWS IPv6 metadata"],
    ["ff02::1", "IPv6 multicast"],
    ["2001:db8::1", "IPv6 documentation"],
    ["::7f00:1", "IPv4-compatible (deprecated) 127.0.0.1"],
    ["::ffff:127.0.0.1", "IPv4-mapped loopback"],
    ["::ffff:7f00:1", "IPv4-mapped loopback, hex form"],
    ["::ffff:10.0.0.1", "IPv4-mapped private"],
    ["::ffff:169.254.169.254", "IPv4-mapped metadata"],
    ["64:ff9b::a00:1", "NAT64 of 10.0.0.1"],
    ["2002:7f00:1::1", "6to4 of 127.0.0.1"],
    ["2002:a9fe:a9fe::1", "6to4 of 169.254.169.254"],
    ["2001:0:4136:e378:8000:63bf:f5ff:fffe", "Teredo with client 10.0.0.1"],
    ["localhost", "not an IP"],
    ["", "empty"],
    ["8.8.8", "malformed"],
  ])("%s is not public (%s)", (ip) => {
    expect(isPublicAddress(ip)).toBe(false);
  });
});

// ---------------------------------------------------------------------------
describe("validateFetchTarget (the check applied to every hop)", () => {
  it.each([
    "https://127.0.0.1/",
    "https://[::1]/",
    "https://[::ffff:127.0.0.1]/",
    "https://169.254.169.254/latest/meta-data",
    "https://[fd00:ec2::254]/",
    "https://10.0.0.1/",
    "https://0.0.0.0/",
    "https://2130706433/", // 127.0.0.1 written as a number
    "https://0x7f.1/", // 127.0.0.1 in hex shorthand
  ])("refuses the literal address %s without any DNS lookup", async (url) => {
    await expectBadInput(validateFetchTarget(url), /not a public internet address/);
    expect(fakeDns.queries).toEqual([]);
  });

  it.each(["https://localhost/", "https://LOCALHOST./", "https://api.localhost/"])(
    "refuses %s by name, before resolving it",
    async (url) => {
      await expectBadInput(validateFetchTarget(url), /not a public internet address/);
      expect(fakeDns.queries).toEqual([]);
    },
  );

  it("refuses a hostname if ANY of its addresses is not public", async () => {
    fakeDns.records.set("internal.test", ["10.1.2.3"]);
    fakeDns.records.set("mixed.test", ["93.184.215.14", "2606:4700::1", "127.0.0.1"]);
    fakeDns.records.set("mixed6.test", ["93.184.215.14", "::ffff:169.254.169.254"]);
    for (const host of ["internal.test", "mixed.test", "mixed6.test"]) {
      await expectBadInput(validateFetchTarget(`https://${host}/x.png`), /not a public internet address/);
    }
    expect(fakeDns.queries).toEqual(["internal.test", "mixed.test", "mixed6.test"]);
  });

  it("returns the validated addresses of a public hostname (what the connection is pinned to)", async () => {
    fakeDns.records.set("cdn.test", ["93.184.215.14", "2606:4700::1"]);
    const target = await validateFetchTarget("https://cdn.test/a.png?sig=1");
    expect(target.host).toBe("cdn.test");
    expect(target.url.href).toBe("https://cdn.test/a.png?sig=1");
    expect(target.addresses).toEqual([
      { address: "93.184.215.14", family: 4 },
      { address: "2606:4700::1", family: 6 },
    ]);
  });

  it("reports unresolvable hosts as bad input", async () => {
    await expectBadInput(validateFetchTarget("https://nowhere.test/"), /Could not resolve host nowhere\.test/);
  });

  it.each(["http://8.8.8.8/", "file:///etc/passwd", "ftp://8.8.8.8/x", "data:image/png;base64,AAAA", "gopher://8.8.8.8/"])(
    "refuses the non-https URL %s",
    async (url) => {
      await expectBadInput(validateFetchTarget(url), /Only https:\/\/ URLs/);
    },
  );

  it("refuses URLs with credentials and invalid URLs", async () => {
    await expectBadInput(validateFetchTarget("https://user:secret@8.8.8.8/"), /credentials/);
    await expectBadInput(validateFetchTarget("https://:secret@8.8.8.8/"), /credentials/);
    await expectBadInput(validateFetchTarget("not a url"), /Not a valid URL/);
  });

  it("allowPrivateAddresses (tests only) admits loopback/private but never metadata, link-local or 0.0.0.0", async () => {
    for (const url of ["https://127.0.0.1/", "https://[::1]/", "https://10.0.0.1/", "https://[::ffff:127.0.0.1]/"]) {
      await expect(validateFetchTarget(url, { allowPrivateAddresses: true })).resolves.toMatchObject({});
    }
    for (const url of [
      "https://169.254.169.254/",
      "https://[fd00:ec2::254]/",
      "https://[::ffff:169.254.169.254]/",
      "https://169.254.1.1/",
      "https://0.0.0.0/",
      "https://224.0.0.1/",
    ]) {
      await expectBadInput(validateFetchTarget(url, { allowPrivateAddresses: true }), /not a public internet address/);
    }
  });
});

// ---------------------------------------------------------------------------
describe("safeFetchBytes against a local HTTPS server", () => {
  it("returns the exact body, the server's content type and the final URL", async () => {
    const result = await safeFetchBytes(`${base}/img/png`, { maxBytes: LIMIT, ...local() });
    expectSameBytes(result.bytes, IMAGES[0].bytes);
    expect(result.contentType).toBe("text/plain");
    expect(result.finalUrl).toBe(`${base}/img/png`);
    expect(requests).toEqual(["/img/png"]);
  });

  it("verifies the TLS certificate (fails without the test CA)", async () => {
    await expectBadInput(safeFetchBytes(`${base}/img/png`, { maxBytes: LIMIT, allowPrivateAddresses: true }), /certificate/);
    expect(requests).toEqual([]);
  });

  it("connects to the address it validated, resolving the hostname exactly once (no DNS rebinding)", async () => {
    // Only the fake DNS knows rebind.test; a second, unpinned lookup by the socket would fail.
    fakeDns.records.set("rebind.test", ["127.0.0.1"]);
    const result = await safeFetchBytes(`https://rebind.test:${port}/img/gif`, { maxBytes: LIMIT, ...local() });
    expectSameBytes(result.bytes, IMAGES[3].bytes);
    expect(fakeDns.queries).toEqual(["rebind.test"]);
    expect(connections).toBe(1);
  });

  it("follows up to 3 redirects (relative Location), re-requesting each hop", async () => {
    const result = await safeFetchBytes(`${base}/hop/3`, { maxBytes: LIMIT, ...local() });
    expectSameBytes(result.bytes, PNG);
    expect(result.finalUrl).toBe(`${base}/hop/0`);
    expect(requests).toEqual(["/hop/3", "/hop/2", "/hop/1", "/hop/0"]);
  });

  it("refuses a 4th redirect without requesting it", async () => {
    await expectBadInput(safeFetchBytes(`${base}/hop/4`, { maxBytes: LIMIT, ...local() }), /Too many redirects/);
    expect(requests).toEqual(["/hop/4", "/hop/3", "/hop/2", "/hop/1"]);
  });

  it("honours maxRedirects", async () => {
    await expectBadInput(safeFetchBytes(`${base}/hop/1`, { maxBytes: LIMIT, maxRedirects: 0, ...local() }), /Too many redirects/);
    expect(requests).toEqual(["/hop/1"]);
  });

  it.each([
    ["0.0.0.0 (reaches this host if connected)", () => `https://0.0.0.0:${port}/img/png`, /not a public internet address/],
    ["the metadata address", () => `https://169.254.169.254:${port}/latest/meta-data`, /not a public internet address/],
    ["a host resolving to metadata", () => `https://metadata.test:${port}/`, /not a public internet address/],
    ["plain http", () => `http://127.0.0.1:${port}/img/png`, /Only https:\/\/ URLs .*redirect/],
    ["file:", () => "file:///etc/passwd", /Only https:\/\/ URLs .*redirect/],
    ["a URL with credentials", () => `https://u:p@127.0.0.1:${port}/img/png`, /credentials/],
  ])("re-validates redirect targets: a redirect to %s is refused before connecting", async (_, target, message) => {
    fakeDns.records.set("metadata.test", ["169.254.169.254"]);
    const url = `${base}/to?url=${encodeURIComponent(target())}`;
    await expectBadInput(safeFetchBytes(url, { maxBytes: LIMIT, ...local() }), message);
    expect(requests).toEqual(["/to"]);
    expect(connections).toBe(1); // only the redirecting request reached the server
  });

  it("refuses a redirect without a Location header", async () => {
    await expectBadInput(safeFetchBytes(`${base}/no-location`, { maxBytes: LIMIT, ...local() }), /without a redirect location/);
  });

  it("turns a non-2xx status into bad input naming the status", async () => {
    const err = await expectBadInput(safeFetchBytes(`${base}/missing`, { maxBytes: LIMIT, ...local() }), /HTTP 404/);
    expect(err.extensions.status).toBe(404);
  });

  it("accepts a body of exactly maxBytes and refuses one byte more (declared length)", async () => {
    const ok = await safeFetchBytes(`${base}/sized?n=1000`, { maxBytes: 1000, ...local() });
    expect(ok.bytes.length).toBe(1000);
    await expectTooLarge(safeFetchBytes(`${base}/sized?n=1001`, { maxBytes: 1000, ...local() }));
  });

  it("refuses a too-large declared Content-Length without waiting for the body", async () => {
    const started = Date.now();
    await expectTooLarge(safeFetchBytes(`${base}/declared-huge`, { maxBytes: LIMIT, timeoutMs: 2000, ...local() }));
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("aborts a chunked body as soon as it exceeds maxBytes", async () => {
    await expectTooLarge(safeFetchBytes(`${base}/endless`, { maxBytes: LIMIT, ...local() }));
    expect(endless).not.toBeNull();
    await endless!.closed; // the client hung up ...
    expect(endless!.written).toBeLessThan(ENDLESS_CAP); // ... long before the server ran out of data
  });

  it("times out when the server never answers", async () => {
    const started = Date.now();
    await expectBadInput(safeFetchBytes(`${base}/stall`, { maxBytes: LIMIT, timeoutMs: 300, ...local() }), /timed out after 300 ms/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("times out when the body stalls midway (the deadline covers the body)", async () => {
    const started = Date.now();
    await expectBadInput(safeFetchBytes(`${base}/stall-body`, { maxBytes: LIMIT, timeoutMs: 300, ...local() }), /timed out after 300 ms/);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

// ---------------------------------------------------------------------------
describe("readReferenceImage", () => {
  const forms = [
    ["File upload", (bytes: Buffer) => ({ file: new File([new Uint8Array(bytes)], "x.png", { type: "text/plain" }) })],
    ["bare base64", (bytes: Buffer) => ({ url: bytes.toString("base64") })],
    ["data: URL", (bytes: Buffer) => ({ url: dataUrl("image/png", bytes) })], // declared type is not trusted either
    ["https URL", (bytes: Buffer) => ({ url: `${base}/img/${IMAGES.find((i) => i.bytes === bytes)!.name}` })],
  ] as const;

  for (const image of IMAGES) {
    it.each(forms)(`returns the same ${image.name} bytes from a %s, typed by magic bytes`, async (_, makeInput) => {
      const result = await readReferenceImage(makeInput(image.bytes), { maxBytes: LIMIT, fetch: local() });
      expect(result).not.toBeNull();
      expectSameBytes(result!.bytes, image.bytes);
      expect(result!.mimeType).toBe(image.mime);
      expect(result!.filename).toBe(image.filename);
      expect(result!.sha256).toBe(sha256(image.bytes));
    });
  }

  it("returns null when neither a file nor a URL is given", async () => {
    expect(await readReferenceImage({}, { maxBytes: LIMIT })).toBeNull();
    expect(await readReferenceImage({ file: null, url: null }, { maxBytes: LIMIT })).toBeNull();
  });

  it("refuses a file and a URL together", async () => {
    const input = { file: new File([PNG], "a.png"), url: PNG.toString("base64") };
    await expectBadInput(readReferenceImage(input, { maxBytes: LIMIT }), /not both/);
  });

  describe("base64 and data: URLs", () => {
    it("accepts base64 wrapped with whitespace/newlines and the base64url alphabet without padding", async () => {
      const bytes = IMAGES[0].bytes;
      const wrapped = bytes.toString("base64").replace(/.{76}/g, "$&\r\n");
      const b64url = bytes.toString("base64url");
      expect(b64url).toMatch(/[-_]/);
      expect(b64url).not.toMatch(/=/);
      for (const url of [wrapped, `  ${wrapped}\n`, b64url, `data:image/png;base64,${wrapped}`]) {
        const result = await readReferenceImage({ url }, { maxBytes: LIMIT });
        expectSameBytes(result!.bytes, bytes);
      }
    });

    it("accepts data: URL variants: upper case, extra parameters, percent-encoded padding", async () => {
      const b64 = JPEG.toString("base64");
      expect(b64).toMatch(/=$/);
      for (const url of [
        `DATA:IMAGE/JPEG;BASE64,${b64}`,
        `data:image/jpeg;name=first.jpg;base64,${b64}`,
        `data:image/jpeg;base64,${b64.replace(/=/g, "%3D")}`,
      ]) {
        const result = await readReferenceImage({ url }, { maxBytes: LIMIT });
        expectSameBytes(result!.bytes, JPEG);
        expect(result!.mimeType).toBe("image/jpeg");
      }
    });

    it("uses the sniffed type, not the data: URL's declared one", async () => {
      const result = await readReferenceImage({ url: dataUrl("image/jpeg", GIF) }, { maxBytes: LIMIT });
      expect(result!.mimeType).toBe("image/gif");
      expect(result!.filename).toBe("reference.gif");
    });

    it.each([
      ["a character outside the alphabet", "iVBORw0KGgo!AAAA"],
      ["punctuation between words", "not base64; really"],
      ["padding in the middle", "iVBO=w0KGgoAAAA"],
      ["three padding characters", "iVBORw0KGg==="],
      ["padding on a length that is not a multiple of 4", "iVBORw0=="],
      ["a dangling single character", "iVBORw0KG"],
      ["only padding", "===="],
    ])("refuses garbage base64: %s", async (_, url) => {
      await expectBadInput(readReferenceImage({ url }, { maxBytes: LIMIT }), /not valid base64/);
      await expectBadInput(readReferenceImage({ url: `data:image/png;base64,${url}` }, { maxBytes: LIMIT }), /not valid base64/);
    });

    it("refuses base64 and data: URLs that decode to nothing, and an empty string", async () => {
      await expectBadInput(readReferenceImage({ url: "data:image/png;base64," }, { maxBytes: LIMIT }), /empty/);
      await expectBadInput(readReferenceImage({ url: "data:image/png;base64,\n" }, { maxBytes: LIMIT }), /empty/);
      await expectBadInput(readReferenceImage({ url: "" }, { maxBytes: LIMIT }), /empty/);
      await expectBadInput(readReferenceImage({ url: " \n " }, { maxBytes: LIMIT }), /empty/);
    });

    it.each([
      ["not base64-encoded", `data:image/png,${PNG.toString("latin1")}`, /must be base64/],
      ["without a comma", "data:image/png;base64", /no comma/],
      ["declaring text/plain", dataUrl("text/plain", PNG), /must declare an image type/],
      ["declaring no type", `data:;base64,${PNG.toString("base64")}`, /must declare an image type/],
      ["declaring a video type", dataUrl("video/mp4", PNG), /must declare an image type/],
    ])("refuses a data: URL %s", async (_, url, message) => {
      await expectBadInput(readReferenceImage({ url }, { maxBytes: LIMIT }), message);
    });
  });

  describe("size limits → PAYLOAD_TOO_LARGE", () => {
    it("checks file.size before reading the file", async () => {
      const file = new File([Buffer.alloc(LIMIT + 1)], "big.png", { type: "image/png" });
      const reads = [vi.spyOn(file, "arrayBuffer"), vi.spyOn(file, "stream"), vi.spyOn(file, "text")];
      const err = await expectTooLarge(readReferenceImage({ file }, { maxBytes: LIMIT }));
      expect(err.extensions.maxBytes).toBe(LIMIT);
      for (const read of reads) expect(read).not.toHaveBeenCalled();
    });

    it("accepts a file of exactly maxBytes", async () => {
      const bytes = Buffer.concat([PNG, Buffer.alloc(LIMIT - PNG.length, 3)]);
      const result = await readReferenceImage({ file: new File([bytes], "p.png") }, { maxBytes: LIMIT });
      expectSameBytes(result!.bytes, bytes);
    });

    // Lengths covering no padding, "==" and "=" so the encoded-length estimate is exact.
    it.each([PNG.length, PNG.length + 1, PNG.length + 2])(
      "base64 / base64url / data: URL of %i bytes: accepted at exactly maxBytes, refused at one byte less",
      async (size) => {
        const bytes = Buffer.concat([PNG, Buffer.alloc(size - PNG.length, 9)]);
        const inputs = [bytes.toString("base64"), bytes.toString("base64url"), dataUrl("image/png", bytes)];
        for (const url of inputs) {
          const result = await readReferenceImage({ url }, { maxBytes: size });
          expect(result!.bytes.length).toBe(size);
          await expectTooLarge(readReferenceImage({ url }, { maxBytes: size - 1 }));
        }
      },
    );

    it("refuses oversized base64 and data: URLs before decoding them", async () => {
      const big = Buffer.concat([PNG, Buffer.alloc(LIMIT, 1)]).toString("base64");
      const from = vi.spyOn(Buffer, "from");
      try {
        await expectTooLarge(readReferenceImage({ url: big }, { maxBytes: LIMIT }));
        await expectTooLarge(readReferenceImage({ url: `data:image/png;base64,${big}` }, { maxBytes: LIMIT }));
        const decodes = (from.mock.calls as unknown[][]).filter(([, encoding]) => encoding === "base64" || encoding === "base64url");
        expect(decodes).toEqual([]);
      } finally {
        from.mockRestore();
      }
    });

    it("refuses an oversized fetched body (declared and streamed)", async () => {
      await expectTooLarge(readReferenceImage({ url: `${base}/sized?n=${LIMIT + 1}` }, { maxBytes: LIMIT, fetch: local() }));
      await expectTooLarge(readReferenceImage({ url: `${base}/endless` }, { maxBytes: LIMIT, fetch: local() }));
    });
  });

  describe("content must be an image by magic bytes", () => {
    it.each([
      ["File (claiming image/png)", () => ({ file: new File([NOT_AN_IMAGE], "x.png", { type: "image/png" }) })],
      ["bare base64", () => ({ url: NOT_AN_IMAGE.toString("base64") })],
      ["data: URL (claiming image/png)", () => ({ url: dataUrl("image/png", NOT_AN_IMAGE) })],
      ["https URL (served as image/png)", () => ({ url: `${base}/text` })],
      ["MP4 video", () => ({ file: new File([Buffer.from("\0\0\0\x18ftypisom\0\0\0\0")], "v.png") })],
    ])("refuses a non-image %s", async (_, input) => {
      await expectBadInput(readReferenceImage(input(), { maxBytes: LIMIT, fetch: local() }), NOT_IMAGE_MESSAGE);
    });

    it("refuses an empty file", async () => {
      await expectBadInput(readReferenceImage({ file: new File([], "empty.png") }, { maxBytes: LIMIT }), /empty/);
    });
  });

  describe("URL safety: refused before any connection", () => {
    it.each([
      () => "file:///etc/passwd",
      () => `http://127.0.0.1:${port}/img/png`,
      () => "http://example.com/a.png",
      () => `ftp://127.0.0.1:${port}/a.png`,
      () => "javascript:alert(1)",
      () => "gopher://127.0.0.1:70/_",
    ])("refuses the non-https URL %#", async (url) => {
      await expectBadInput(readReferenceImage({ url: url() }, { maxBytes: LIMIT, fetch: { ca } }), /must be https:\/\//);
      expect(connections).toBe(0);
      expect(fakeDns.queries).toEqual([]);
    });

    // The test CA is trusted, so any of these would succeed if the address check were missing.
    it.each([
      () => "https://127.0.0.1/x.png",
      () => `https://127.0.0.1:${port}/img/png`,
      () => "https://localhost/x.png",
      () => `https://localhost:${port}/img/png`,
      () => `https://[::1]:${port}/img/png`,
      () => `https://[::ffff:127.0.0.1]:${port}/img/png`,
      () => `https://0.0.0.0:${port}/img/png`,
      () => `https://2130706433:${port}/img/png`,
      () => "https://169.254.169.254/latest/meta-data",
      () => "https://[fd00:ec2::254]/latest/meta-data",
      () => "https://10.0.0.1/",
      () => "https://192.168.0.1/x.png",
      () => `https://rebind.test:${port}/img/png`, // a hostname that resolves to loopback
    ])("refuses the internal target %#", async (url) => {
      fakeDns.records.set("rebind.test", ["127.0.0.1"]);
      await expectBadInput(readReferenceImage({ url: url() }, { maxBytes: LIMIT, fetch: { ca } }), /not a public internet address/);
      expect(connections).toBe(0);
      expect(requests).toEqual([]);
      expect(fakeDns.queries.filter((q) => q !== "rebind.test")).toEqual([]);
    });

    it("refuses URLs with credentials", async () => {
      const url = `https://user:pw@127.0.0.1:${port}/img/png`;
      await expectBadInput(readReferenceImage({ url }, { maxBytes: LIMIT, fetch: local() }), /credentials/);
      expect(connections).toBe(0);
    });

    it("passes fetch errors through as bad input (404)", async () => {
      await expectBadInput(readReferenceImage({ url: `${base}/missing` }, { maxBytes: LIMIT, fetch: local() }), /HTTP 404/);
    });
  });
});
