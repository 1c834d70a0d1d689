import { beforeEach, describe, expect, it, vi } from "vitest";
import { isPublicAddress, safeFetchBytes, validateFetchTarget } from "../../src/media/safe-fetch.js";
import { fakeDns } from "../helpers/fake-dns.js";
import { ENDLESS_CAP, useImageHost } from "./image-host.js";
import { expectBadInput, expectSameBytes, expectTooLarge, IMAGES, LIMIT, PNG } from "./samples.js";

// The code under test resolves through node:dns/promises: the tests decide what a hostname resolves to.
vi.mock("node:dns/promises", async (importOriginal) =>
  (await import("../helpers/fake-dns.js")).withFakeLookup(await importOriginal<typeof import("node:dns/promises")>()),
);

const host = useImageHost();
beforeEach(() => fakeDns.reset());

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

describe("safeFetchBytes against a local HTTPS server", () => {
  it("returns the exact body, the server's content type and the final URL", async () => {
    const result = await safeFetchBytes(`${host.origin}/img/png`, { maxBytes: LIMIT, ...host.localFetch() });
    expectSameBytes(result.bytes, IMAGES[0].bytes);
    expect(result.contentType).toBe("text/plain");
    expect(result.finalUrl).toBe(`${host.origin}/img/png`);
    expect(host.requests).toEqual(["/img/png"]);
  });

  it("verifies the TLS certificate (fails without the test CA)", async () => {
    await expectBadInput(safeFetchBytes(`${host.origin}/img/png`, { maxBytes: LIMIT, allowPrivateAddresses: true }), /certificate/);
    expect(host.requests).toEqual([]);
  });

  it("connects to the address it validated, resolving the hostname exactly once (no DNS rebinding)", async () => {
    // Only the fake DNS knows rebind.test; a second, unpinned lookup by the socket would fail.
    fakeDns.records.set("rebind.test", ["127.0.0.1"]);
    const result = await safeFetchBytes(`https://rebind.test:${host.port}/img/gif`, { maxBytes: LIMIT, ...host.localFetch() });
    expectSameBytes(result.bytes, IMAGES[3].bytes);
    expect(fakeDns.queries).toEqual(["rebind.test"]);
    expect(host.connections).toBe(1);
  });

  it("follows up to 3 redirects (relative Location), re-requesting each hop", async () => {
    const result = await safeFetchBytes(`${host.origin}/hop/3`, { maxBytes: LIMIT, ...host.localFetch() });
    expectSameBytes(result.bytes, PNG);
    expect(result.finalUrl).toBe(`${host.origin}/hop/0`);
    expect(host.requests).toEqual(["/hop/3", "/hop/2", "/hop/1", "/hop/0"]);
  });

  it("refuses a 4th redirect without requesting it", async () => {
    await expectBadInput(safeFetchBytes(`${host.origin}/hop/4`, { maxBytes: LIMIT, ...host.localFetch() }), /Too many redirects/);
    expect(host.requests).toEqual(["/hop/4", "/hop/3", "/hop/2", "/hop/1"]);
  });

  it("follows no more redirects than maxRedirects allows", async () => {
    await expectBadInput(
      safeFetchBytes(`${host.origin}/hop/1`, { maxBytes: LIMIT, maxRedirects: 0, ...host.localFetch() }),
      /Too many redirects/,
    );
    expect(host.requests).toEqual(["/hop/1"]);
  });

  it.each([
    ["0.0.0.0 (reaches this host if connected)", () => `https://0.0.0.0:${host.port}/img/png`, /not a public internet address/],
    ["the metadata address", () => `https://169.254.169.254:${host.port}/latest/meta-data`, /not a public internet address/],
    ["a host resolving to metadata", () => `https://metadata.test:${host.port}/`, /not a public internet address/],
    ["plain http", () => `http://127.0.0.1:${host.port}/img/png`, /Only https:\/\/ URLs .*redirect/],
    ["file:", () => "file:///etc/passwd", /Only https:\/\/ URLs .*redirect/],
    ["a URL with credentials", () => `https://u:p@127.0.0.1:${host.port}/img/png`, /credentials/],
  ])("re-validates redirect targets: a redirect to %s is refused before connecting", async (_, target, message) => {
    fakeDns.records.set("metadata.test", ["169.254.169.254"]);
    const url = `${host.origin}/to?url=${encodeURIComponent(target())}`;
    await expectBadInput(safeFetchBytes(url, { maxBytes: LIMIT, ...host.localFetch() }), message);
    expect(host.requests).toEqual(["/to"]);
    expect(host.connections).toBe(1); // only the redirecting request reached the server
  });

  it("refuses a redirect without a Location header", async () => {
    await expectBadInput(
      safeFetchBytes(`${host.origin}/no-location`, { maxBytes: LIMIT, ...host.localFetch() }),
      /without a redirect location/,
    );
  });

  it("turns a non-2xx status into bad input naming the status", async () => {
    const err = await expectBadInput(safeFetchBytes(`${host.origin}/missing`, { maxBytes: LIMIT, ...host.localFetch() }), /HTTP 404/);
    expect(err.extensions.status).toBe(404);
  });

  it("accepts a body of exactly maxBytes and refuses one byte more (declared length)", async () => {
    const ok = await safeFetchBytes(`${host.origin}/sized?n=1000`, { maxBytes: 1000, ...host.localFetch() });
    expect(ok.bytes.length).toBe(1000);
    await expectTooLarge(safeFetchBytes(`${host.origin}/sized?n=1001`, { maxBytes: 1000, ...host.localFetch() }));
  });

  it("refuses a too-large declared Content-Length without waiting for the body", async () => {
    const started = Date.now();
    await expectTooLarge(safeFetchBytes(`${host.origin}/declared-huge`, { maxBytes: LIMIT, timeoutMs: 2000, ...host.localFetch() }));
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("aborts a chunked body as soon as it exceeds maxBytes", async () => {
    await expectTooLarge(safeFetchBytes(`${host.origin}/endless`, { maxBytes: LIMIT, ...host.localFetch() }));
    expect(host.endless).not.toBeNull();
    await host.endless!.closed; // the client hung up ...
    expect(host.endless!.written).toBeLessThan(ENDLESS_CAP); // ... long before the server ran out of data
  });

  it("times out when the server never answers", async () => {
    const started = Date.now();
    await expectBadInput(
      safeFetchBytes(`${host.origin}/stall`, { maxBytes: LIMIT, timeoutMs: 300, ...host.localFetch() }),
      /timed out after 300 ms/,
    );
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("times out when the body stalls midway (the deadline covers the body)", async () => {
    const started = Date.now();
    await expectBadInput(
      safeFetchBytes(`${host.origin}/stall-body`, { maxBytes: LIMIT, timeoutMs: 300, ...host.localFetch() }),
      /timed out after 300 ms/,
    );
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
