/**
 * fetchMedia, the one way media URLs from providers are downloaded: a hop on the channel's
 * origin is trusted like the channel (its credentials go along), any other hop is a URL no
 * admin configured (no credentials, address rules, connected to the addresses checked).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { UpstreamError } from "../../src/providers/errors.js";
import { fetchMedia, MAX_MEDIA_BYTES } from "../../src/providers/http.js";
import { fakeDns } from "../helpers/fake-dns.js";
import { closeNow, listenLocally } from "../mocks/http.js";

vi.mock("node:dns/promises", async (importOriginal) =>
  (await import("../helpers/fake-dns.js")).withFakeLookup(await importOriginal<typeof import("node:dns/promises")>()),
);

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A local server whose routes the tests set; it records every request with its headers. */
function recordingServer() {
  const routes = new Map<string, Handler>();
  const seen: { path: string; headers: IncomingMessage["headers"] }[] = [];
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? "/", headers: req.headers });
    const route = routes.get((req.url ?? "/").split("?")[0]);
    if (route) route(req, res);
    else res.writeHead(404).end();
  });
  return { server, routes, seen, origin: "" };
}

const channel = recordingServer();
const elsewhere = recordingServer();
const KEY = { authorization: "Bearer channel-key" };

beforeAll(async () => {
  channel.origin = await listenLocally(channel.server);
  elsewhere.origin = await listenLocally(elsewhere.server);
  channel.routes.set("/file", (_req, res) => res.writeHead(200, { "content-type": "video/mp4" }).end("channel-bytes"));
  channel.routes.set("/hop", (req, res) => res.writeHead(302, { location: new URL(req.url!, "http://x").searchParams.get("to")! }).end());
  elsewhere.routes.set("/file", (_req, res) => res.writeHead(200, { "content-type": "video/mp4" }).end("storage-bytes"));
  elsewhere.routes.set("/back", (_req, res) => res.writeHead(302, { location: `${channel.origin}/file` }).end());
});
afterAll(async () => {
  await Promise.all([closeNow(channel.server), closeNow(elsewhere.server)]);
});
beforeEach(() => {
  channel.seen.length = 0;
  elsewhere.seen.length = 0;
  fakeDns.reset();
});

const from = (allowPrivateNetworks = false) => ({ channelBaseUrl: `${channel.origin}/api/v1`, credentials: KEY, allowPrivateNetworks });
const hop = (to: string) => `${channel.origin}/hop?to=${encodeURIComponent(to)}`;
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail("expected a refusal"),
    (err: unknown) => err as UpstreamError,
  );

describe("fetchMedia", () => {
  it("fetches a URL on the channel's origin (whatever its path) with the channel's credentials, private address or not", async () => {
    const res = await fetchMedia(`${channel.origin}/file`, { from: from() });
    expect(await res.text()).toBe("channel-bytes");
    expect(channel.seen.at(-1)!.headers.authorization).toBe(KEY.authorization);
  });

  it("refuses a link to another local server, without connecting to it, unless ALLOW_PRIVATE_NETWORKS", async () => {
    const err = await failure(fetchMedia(`${elsewhere.origin}/file`, { from: from() }));
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ kind: "rejected", code: "RESULT_URL_REFUSED" });
    expect(elsewhere.seen).toEqual([]);
  });

  it("with ALLOW_PRIVATE_NETWORKS fetches it, but never with the channel's credentials", async () => {
    const res = await fetchMedia(`${elsewhere.origin}/file`, { from: from(true) });
    expect(await res.text()).toBe("storage-bytes");
    expect(elsewhere.seen.at(-1)!.headers.authorization).toBeUndefined();
  });

  it("treats a redirect from the channel's origin to elsewhere as untrusted: checked, and refused here", async () => {
    const err = await failure(fetchMedia(hop(`${elsewhere.origin}/file`), { from: from() }));
    expect(err).toMatchObject({ code: "RESULT_URL_REFUSED" });
    expect(channel.seen.map((r) => r.path.split("?")[0])).toEqual(["/hop"]);
    expect(elsewhere.seen).toEqual([]);
  });

  it("drops the credentials at a redirect that leaves the channel's origin, and does not take them up again on the way back", async () => {
    const res = await fetchMedia(hop(`${elsewhere.origin}/back`), { from: from(true) });
    expect(await res.text()).toBe("channel-bytes");
    expect(channel.seen.map((r) => [r.path.split("?")[0], r.headers.authorization])).toEqual([
      ["/hop", KEY.authorization],
      ["/file", undefined],
    ]);
    expect(elsewhere.seen[0].headers.authorization).toBeUndefined();
  });

  it.each([
    ["metadata", "http://169.254.169.254/latest/meta-data"],
    ["link-local", "http://169.254.1.1/"],
    ["an IPv4-mapped metadata address", "http://[::ffff:169.254.169.254]/"],
    ["the unspecified address", "http://0.0.0.0/"],
  ])("refuses %s even with ALLOW_PRIVATE_NETWORKS", async (_, url) => {
    expect(await failure(fetchMedia(hop(url), { from: from(true) }))).toMatchObject({ code: "RESULT_URL_REFUSED" });
  });

  it("connects to the address it checked, resolving a name once (no DNS rebinding between check and connect)", async () => {
    fakeDns.records.set("storage.test", ["127.0.0.1"]);
    const port = new URL(elsewhere.origin).port;
    const res = await fetchMedia(`http://storage.test:${port}/file`, { from: from(true) });
    expect(await res.text()).toBe("storage-bytes");
    expect(fakeDns.queries).toEqual(["storage.test"]);
    expect(elsewhere.seen.at(-1)!.headers.host).toBe(`storage.test:${port}`);
  });

  it("reports a host that does not resolve as transient (asking again may work), not as a refusal", async () => {
    expect(await failure(fetchMedia("https://nowhere.test/v.mp4", { from: from() }))).toMatchObject({
      kind: "transient",
      code: "UNRESOLVED_HOST",
    });
  });

  it("refuses a file larger than the media limit from its declared length, before reading it", async () => {
    channel.routes.set("/huge", (_req, res) => {
      res.writeHead(200, { "content-type": "video/mp4", "content-length": String(MAX_MEDIA_BYTES + 1) });
      res.write("x");
    });
    expect(await failure(fetchMedia(`${channel.origin}/huge`, { from: from() }))).toMatchObject({
      kind: "rejected",
      code: "MEDIA_TOO_LARGE",
    });
  });

  it("gives up after five redirects", async () => {
    channel.routes.set("/loop", (_req, res) => res.writeHead(302, { location: "/loop" }).end());
    expect(await failure(fetchMedia(`${channel.origin}/loop`, { from: from() }))).toMatchObject({ code: "TOO_MANY_REDIRECTS" });
    expect(channel.seen).toHaveLength(6);
  });
});
