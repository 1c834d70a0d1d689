import { readdir, readFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseRange } from "../src/http/media.js";
import { parseTaskId } from "../src/schema/tasks.js";
import { CREATE_VIDEO, waitForTask } from "./helpers/fixtures.js";
import { useTestApp } from "./helpers/use-test-app.js";

/** the finished task every test here reads */
let videoUrl: string;
let thumbnailUrl: string;
let videoKey: string;
let taskId: string;
let expected: Buffer;
let expectedThumbnail: Buffer;
const PROMPT = "a paper boat on a canal, secret-prompt-words";
const VIDEO_BYTES = 200_000;

const t = useTestApp({
  mock: "openai",
  mockOptions: { script: { videoBytes: VIDEO_BYTES } },
  channels: [{ name: "gateway", models: ["sora-2"] }],
});
const { mock } = t;

/** A raw HTTP GET that sends the path exactly as written (fetch would normalise dot segments). */
function rawGet(origin: string, rawPath: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path: rawPath, method: "GET" }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString("latin1") }));
    });
    req.on("error", reject);
    req.end();
  });
}

const withParam = (url: string, name: string, value: string) => {
  const u = new URL(url);
  u.searchParams.set(name, value);
  return u.toString();
};

beforeAll(async () => {
  const token = await t.userWithCredit("viewer@media", "5");
  const created = await t.gql(CREATE_VIDEO, { input: { model: "sora-2", prompt: PROMPT, seconds: 4, size: "1280x720" } }, { token });
  if (created.errors) throw new Error(JSON.stringify(created.errors));
  const done = await waitForTask(t, token, created.data!.createVideo.id, (x) => x.status === "COMPLETED");
  videoUrl = done.videoUrl;
  thumbnailUrl = done.thumbnailUrl;
  taskId = parseTaskId(done.id)!;
  const row = await t.app.services.db.task.findUniqueOrThrow({ where: { id: taskId } });
  videoKey = row.videoKey!;
  expected = mock.contentOf(row.upstreamId!);
  expectedThumbnail = mock.contentOf(row.upstreamId!, "thumbnail");
});

describe("signed media URLs", () => {
  it("points videoUrl and thumbnailUrl at this server with an expiry and a signature, and no user data in the URL", () => {
    for (const url of [videoUrl, thumbnailUrl]) {
      const u = new URL(url);
      expect(u.origin).toBe(t.origin);
      expect(u.pathname.startsWith("/media/")).toBe(true);
      const expires = Number(u.searchParams.get("expires"));
      const ttl = t.app.services.config.mediaUrlTtlSeconds;
      expect(expires * 1000).toBeGreaterThan(Date.now());
      expect(expires * 1000).toBeLessThanOrEqual(Date.now() + 2 * ttl * 1000 + 1000);
      expect(u.searchParams.get("sig")).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      expect(url).not.toContain("secret-prompt-words");
      expect(url).not.toContain("viewer");
    }
    expect(videoUrl).not.toBe(thumbnailUrl);
  });

  it("serves the provider's exact bytes without an Authorization header, with type, length, ETag, caching and range headers", async () => {
    const res = await fetch(videoUrl);
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBe(VIDEO_BYTES);
    expect(body.equals(expected)).toBe(true);
    expect(res.headers.get("content-type")).toBe("video/mp4");
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect(res.headers.get("content-length")).toBe(String(VIDEO_BYTES));
    expect(res.headers.get("etag")).toMatch(/^(W\/)?"[^"]+"$/);
    expect(res.headers.get("cache-control")).toBeTruthy();
    expect(res.headers.get("cache-control")).not.toMatch(/no-store/);
    expect(res.headers.get("last-modified")).toBeTruthy();

    const again = await fetch(videoUrl);
    expect(again.headers.get("etag"), "the ETag is stable").toBe(res.headers.get("etag"));
    await again.arrayBuffer();
  });

  it("answers Range: bytes=0-99 with 206 and exactly those bytes", async () => {
    const res = await fetch(videoUrl, { headers: { range: "bytes=0-99" } });
    expect(res.status).toBe(206);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.equals(expected.subarray(0, 100))).toBe(true);
    expect(res.headers.get("content-range")).toBe(`bytes 0-99/${VIDEO_BYTES}`);
    expect(res.headers.get("content-length")).toBe("100");
    expect(res.headers.get("content-type")).toBe("video/mp4");
  });

  it("answers a middle range and an open-ended range with the right bytes", async () => {
    const middle = await fetch(videoUrl, { headers: { range: "bytes=1000-1999" } });
    expect(middle.status).toBe(206);
    expect(Buffer.from(await middle.arrayBuffer()).equals(expected.subarray(1000, 2000))).toBe(true);
    expect(middle.headers.get("content-range")).toBe(`bytes 1000-1999/${VIDEO_BYTES}`);

    const tail = await fetch(videoUrl, { headers: { range: `bytes=${VIDEO_BYTES - 10}-` } });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(expected.subarray(VIDEO_BYTES - 10))).toBe(true);
    expect(tail.headers.get("content-range")).toBe(`bytes ${VIDEO_BYTES - 10}-${VIDEO_BYTES - 1}/${VIDEO_BYTES}`);
  });

  it("answers a suffix range bytes=-100 with the last 100 bytes", async () => {
    const res = await fetch(videoUrl, { headers: { range: "bytes=-100" } });
    expect(res.status).toBe(206);
    expect(Buffer.from(await res.arrayBuffer()).equals(expected.subarray(VIDEO_BYTES - 100))).toBe(true);
    expect(res.headers.get("content-range")).toBe(`bytes ${VIDEO_BYTES - 100}-${VIDEO_BYTES - 1}/${VIDEO_BYTES}`);
    expect(res.headers.get("content-length")).toBe("100");
  });

  it("answers an unsatisfiable range with 416 and the size", async () => {
    const res = await fetch(videoUrl, { headers: { range: `bytes=${VIDEO_BYTES}-` } });
    expect(res.status).toBe(416);
    expect(res.headers.get("content-range")).toBe(`bytes */${VIDEO_BYTES}`);
    expect((await res.arrayBuffer()).byteLength).toBe(0);
  });

  it("sends the whole file when If-Range carries a stale validator", async () => {
    const res = await fetch(videoUrl, { headers: { range: "bytes=0-99", "if-range": '"stale"' } });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(expected)).toBe(true);
  });

  it("answers HEAD with the headers and no body", async () => {
    const res = await fetch(videoUrl, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("video/mp4");
    expect(res.headers.get("content-length")).toBe(String(VIDEO_BYTES));
    expect(res.headers.get("etag")).toBeTruthy();
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect((await res.arrayBuffer()).byteLength).toBe(0);
  });

  it("answers If-None-Match with the current ETag with 304 and no body", async () => {
    const etag = (await fetch(videoUrl, { method: "HEAD" })).headers.get("etag")!;
    const res = await fetch(videoUrl, { headers: { "if-none-match": etag } });
    expect(res.status).toBe(304);
    expect(res.headers.get("etag")).toBe(etag);
    expect((await res.arrayBuffer()).byteLength).toBe(0);

    const other = await fetch(videoUrl, { headers: { "if-none-match": '"something-else"' } });
    expect(other.status).toBe(200);
    await other.arrayBuffer();
  });

  it("serves the thumbnail as image/webp with the provider's bytes", async () => {
    const res = await fetch(thumbnailUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/webp");
    expect(Buffer.from(await res.arrayBuffer()).equals(expectedThumbnail)).toBe(true);
  });

  it("refuses a tampered signature with 403 and a body that reveals nothing", async () => {
    const sig = new URL(videoUrl).searchParams.get("sig")!;
    const flipped = `${sig[0] === "A" ? "B" : "A"}${sig.slice(1)}`;
    for (const url of [withParam(videoUrl, "sig", flipped), withParam(videoUrl, "sig", ""), withParam(videoUrl, "sig", `${sig}x`)]) {
      const res = await fetch(url);
      expect(res.status).toBe(403);
      const body = await res.text();
      expect(body.length).toBeLessThan(100);
      for (const secret of [videoKey, taskId, sig, "mediaDir", "Error", "at ", t.app.services.config.mediaDir])
        expect(body).not.toContain(secret);
    }
    // the thumbnail's valid signature does not open the video
    const thumbSig = new URL(thumbnailUrl).searchParams.get("sig")!;
    const thumbExpires = new URL(thumbnailUrl).searchParams.get("expires")!;
    expect((await fetch(withParam(withParam(videoUrl, "sig", thumbSig), "expires", thumbExpires))).status).toBe(403);
    // no query at all
    const bare = new URL(videoUrl);
    bare.search = "";
    expect((await fetch(bare)).status).toBe(403);
  });

  it("refuses a URL whose expiry was changed, and one that has expired", async () => {
    const expires = Number(new URL(videoUrl).searchParams.get("expires"));
    const extended = await fetch(withParam(videoUrl, "expires", String(expires + 3600)));
    expect(extended.status).toBe(403);
    await extended.arrayBuffer();

    const ttl = t.app.services.config.mediaUrlTtlSeconds;
    const old = t.app.services.signer.url(videoKey, Date.now() - 3 * ttl * 1000);
    expect(Number(new URL(old).searchParams.get("expires")) * 1000).toBeLessThan(Date.now());
    const expired = await fetch(old);
    expect(expired.status).toBe(403);
    await expired.arrayBuffer();

    // the signer itself, on the boundary
    const sig = new URL(videoUrl).searchParams.get("sig");
    expect(t.app.services.signer.verify(videoKey, String(expires), sig)).toBe(true);
    expect(t.app.services.signer.verify(videoKey, String(expires), sig, expires * 1000 + 1)).toBe(false);
  });

  it("never serves a file outside storage for path-traversal attempts", async () => {
    const attempts = [
      "/media/..%2f..%2fetc%2fpasswd",
      "/media/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
      "/media/../../etc/passwd",
      "/media/%2e%2e/%2e%2e/etc/passwd",
      "/media/media%2f..%2f..%2f..%2fetc%2fpasswd",
    ];
    for (const attempt of attempts) {
      const res = await rawGet(t.origin, attempt);
      expect([403, 404], attempt).toContain(res.status);
      expect(res.body).not.toContain("root:");
    }
    // Even a correctly signed URL for a key outside storage (only the server could make one) is refused.
    // The key is sent with its slashes percent-encoded, so no URL parser removes the dot segments before storage sees them.
    const outside = path.relative(t.app.services.config.mediaDir, "/etc/passwd");
    for (const key of [outside, "../../etc/passwd", `media/${outside}`, "/etc/passwd"]) {
      const signed = new URL(t.app.services.signer.url(key));
      const res = await rawGet(t.origin, `/media/${encodeURIComponent(key)}${signed.search}`);
      expect([403, 404], key).toContain(res.status);
      expect(res.body).not.toContain("root:");
    }
  });

  it("does not serve storage's metadata sidecars or keys that do not exist", async () => {
    const dir = path.join(t.app.services.config.mediaDir, path.dirname(videoKey));
    expect(
      (await readdir(dir)).some((f) => f.endsWith(".meta.json")),
      "the sidecar this test is about exists",
    ).toBe(true);
    for (const key of [`${videoKey}.meta.json`, `${path.dirname(videoKey)}/nothing.mp4`]) {
      const res = await fetch(t.app.services.signer.url(key));
      expect(res.status, key).toBe(404);
      expect(await res.text()).not.toContain("etag");
    }
    expect(JSON.parse(await readFile(path.join(t.app.services.config.mediaDir, `${videoKey}.meta.json`), "utf8"))).toHaveProperty("etag");
  });

  it("answers a malformed percent-encoding with a client error, not a server error", async () => {
    const res = await rawGet(t.origin, "/media/%E0%A4%A?expires=1&sig=x");
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it("allows only GET and HEAD", async () => {
    const res = await fetch(videoUrl, { method: "POST" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toMatch(/GET/);
    await res.arrayBuffer();
  });
});

describe("parseRange", () => {
  const SIZE = 1000;
  it("returns null without a header, for other units and for multi-range requests (served whole)", () => {
    expect(parseRange(undefined, SIZE)).toBeNull();
    expect(parseRange("", SIZE)).toBeNull();
    expect(parseRange("items=0-9", SIZE)).toBeNull();
    expect(parseRange("bytes=0-9,20-29", SIZE)).toBeNull();
    expect(parseRange("bytes=a-b", SIZE)).toBeNull();
  });

  it("reads first-last, open-ended and suffix ranges, clamping to the size", () => {
    expect(parseRange("bytes=0-99", SIZE)).toEqual({ start: 0, end: 99 });
    expect(parseRange(" bytes=5-5 ", SIZE)).toEqual({ start: 5, end: 5 });
    expect(parseRange("bytes=500-", SIZE)).toEqual({ start: 500, end: 999 });
    expect(parseRange("bytes=990-5000", SIZE)).toEqual({ start: 990, end: 999 });
    expect(parseRange("bytes=-100", SIZE)).toEqual({ start: 900, end: 999 });
    expect(parseRange("bytes=-5000", SIZE)).toEqual({ start: 0, end: 999 });
    expect(parseRange("bytes=999-999", SIZE)).toEqual({ start: 999, end: 999 });
  });

  it("calls ranges that cannot be satisfied invalid (416)", () => {
    expect(parseRange("bytes=1000-", SIZE)).toBe("invalid");
    expect(parseRange("bytes=1000-1200", SIZE)).toBe("invalid");
    expect(parseRange("bytes=10-5", SIZE)).toBe("invalid");
    expect(parseRange("bytes=-", SIZE)).toBe("invalid");
    expect(parseRange("bytes=-0", SIZE)).toBe("invalid");
    expect(parseRange("bytes=0-", 0)).toBe("invalid");
    expect(parseRange("bytes=-10", 0)).toBe("invalid");
  });
});
