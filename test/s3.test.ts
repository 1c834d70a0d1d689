import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { Config } from "../src/config.js";
import type { ProviderAdaptor } from "../src/providers/types.js";
import { parseTaskId } from "../src/schema/tasks.js";
import { createS3Storage } from "../src/storage/s3.js";
import { mirrorMedia } from "../src/worker/mirror.js";
import { codeOf, type TestApp } from "./helpers/app.js";
import { createTestClock } from "./helpers/clock.js";
import { CREATE_VIDEO, grantCredit, ledgerOf, waitForTask } from "./helpers/fixtures.js";
import { tinyPng } from "./helpers/images.js";
import { startTestS3 } from "./helpers/s3.js";
import { tokenFor } from "./helpers/tokens.js";
import { useMock, useStarted, useTestApp } from "./helpers/use-test-app.js";
import { until } from "./helpers/wait.js";

const MIB = 1024 * 1024;
const MEDIA_FIELDS = /* GraphQL */ `id status cost videoUrl thumbnailUrl mediaStatus mediaExpiresAt`;
const TASK = /* GraphQL */ `query($id: ID!) { videoTask(id: $id) { ${MEDIA_FIELDS} } }`;
const BACKLOG = /* GraphQL */ `{ mediaBacklog { id mediaStatus mirror { attempts lastError nextAttemptAt providerCopyExpiresAt } } }`;
const RETRY = /* GraphQL */ `mutation($id: ID!) { retryMirror(id: $id) { id mediaStatus } }`;

const s3 = useStarted(startTestS3, (s3) => s3.close());
// Above the 5 MiB part size, so mirroring is a real multipart upload.
const mock = useMock("openai", { scripts: { "[large]": { videoBytes: 9 * MIB + 12345 } } });

/** Mirror retries a minute after the first failure, doubling up to ten minutes: only a test's clock gets there. */
const MIRROR_RETRY = { mirrorRetryBaseMs: 60_000, mirrorRetryMaxMs: 10 * 60_000 };

/**
 * An instance for the block, on its own database and test clock, storing media in the test S3
 * server, with a channel on the mock gateway.
 */
const useInstance = (config: () => Partial<Config>, clock = createTestClock()) =>
  useTestApp(() => ({
    config: { mediaSweepIntervalMs: 100, ...MIRROR_RETRY, ...config() },
    channels: [{ name: "gateway", models: ["sora-2"], mock }],
    clock,
  }));

async function createTask(t: TestApp, subject: string, prompt: string) {
  const token = await tokenFor(subject);
  await grantCredit(t, subject, "10");
  const res = await t.gql(CREATE_VIDEO, { input: { model: "sora-2", prompt, seconds: 4 } }, { token });
  expect(res.errors).toBeUndefined();
  const task = res.data!.createVideo;
  const row = await t.app.services.db.task.findUniqueOrThrow({ where: { id: parseTaskId(task.id)! } });
  return { token, task, rowId: row.id, upstreamId: row.upstreamId! };
}

const read = async (t: TestApp, token: string, id: string) => (await t.gql(TASK, { id }, { token })).data!.videoTask;
const bytesOf = async (res: Response) => Buffer.from(await res.arrayBuffer());
const objectKey = (t: TestApp, rowId: string) =>
  t.app.services.db.task.findUniqueOrThrow({ where: { id: rowId } }).then((r) => r.videoKey!);

describe("S3 storage", () => {
  it("streams an object in by multipart upload, serves byte ranges, links it publicly and deletes it", async () => {
    const storage = createS3Storage(s3.config({ publicBaseUrl: true }));
    const bytes = randomBytes(17 * MIB + 3);
    const stored = await storage.put("media/unit/video.mp4", Readable.from(chunks(bytes, 256 * 1024)), { contentType: "video/mp4" });
    expect(stored).toMatchObject({ key: "media/unit/video.mp4", contentType: "video/mp4", size: bytes.length });
    expect(stored.etag).toMatch(/^".+"$/);

    const part = await storage.get("media/unit/video.mp4", { start: 9 * MIB, end: 9 * MIB + 999 });
    expect(part!.object.size).toBe(bytes.length);
    expect(await collect(part!.body)).toEqual(bytes.subarray(9 * MIB, 9 * MIB + 1000));

    const publicUrl = storage.publicUrl("media/unit/video.mp4")!;
    expect(publicUrl).toBe(`${s3.endpoint}/${s3.bucket}/media/unit/video.mp4`);
    expect((await bytesOf(await fetch(publicUrl))).equals(bytes)).toBe(true);

    await storage.delete("media/unit/video.mp4");
    expect(await storage.head("media/unit/video.mp4")).toBeNull();
    expect(await storage.get("media/unit/video.mp4")).toBeNull();
  });

  it("uploads parts while the source is still being read, never holding the whole stream", async () => {
    const total = 40 * MIB;
    let produced = 0;
    let producedWhenFirstPartWasSent: number | null = null;
    const storage = createS3Storage(s3.config(), (client) =>
      client.middlewareStack.add(
        (next) => async (args) => {
          const input = args.input as { PartNumber?: number };
          if (input.PartNumber === 1 && producedWhenFirstPartWasSent === null) producedWhenFirstPartWasSent = produced;
          return next(args);
        },
        { step: "initialize", name: "recordFirstPart" },
      ),
    );
    async function* source() {
      const chunk = Buffer.alloc(MIB, 7);
      while (produced < total) {
        produced += chunk.length;
        yield chunk;
      }
    }
    const stored = await storage.put("media/streamed/video.mp4", Readable.from(source()), { contentType: "video/mp4" });
    expect(stored.size).toBe(total);
    expect(producedWhenFirstPartWasSent).not.toBeNull();
    // The first part went out after about one part size had been read, not after all 40 MiB.
    expect(producedWhenFirstPartWasSent!).toBeLessThan(total / 2);
  });

  it("refuses to leave a partial object behind when the source breaks mid-upload", async () => {
    const storage = createS3Storage(s3.config());
    async function* broken() {
      yield Buffer.alloc(9 * MIB, 1);
      throw new Error("provider connection reset");
    }
    await expect(storage.put("media/broken/video.mp4", Readable.from(broken()), { contentType: "video/mp4" })).rejects.toThrow();
    expect(await storage.head("media/broken/video.mp4")).toBeNull();
  });
});

describe("mirroring an image task", () => {
  it("stores the image under its own key with its own content type, and no thumbnail", async () => {
    const storage = createS3Storage(s3.config());
    const png = tinyPng();
    const variants: string[] = [];
    const adaptor: ProviderAdaptor = {
      name: "images",
      submit: () => Promise.reject(new Error("unused")),
      poll: () => Promise.reject(new Error("unused")),
      async download({ variant }) {
        variants.push(variant);
        // Providers often label images generically; the bytes decide.
        return { body: Readable.from([png]), contentType: "application/octet-stream", contentLength: png.length };
      },
    };
    const media = await mirrorMedia({
      adaptor,
      channel: { id: "c", name: "images", provider: "images", baseUrl: "http://127.0.0.1:9", apiKey: "k" },
      task: { id: "3f1d5a8e-0000-4000-8000-000000000001", upstreamId: "img-1", state: null, model: "image-model", mediaType: "IMAGE" },
      snapshot: { status: "COMPLETED" },
      storage,
    });
    expect(media).toEqual({
      videoKey: "media/3f1d5a8e-0000-4000-8000-000000000001/image.png",
      videoType: "image/png",
      thumbnailKey: null,
      thumbnailType: null,
      bytes: png.length,
    });
    expect(variants).toEqual(["video"]);
    const stored = await storage.get(media.videoKey);
    expect(stored!.object.contentType).toBe("image/png");
    expect((await collect(stored!.body)).equals(png)).toBe(true);
  });
});

describe("mirroring into S3 with a public base URL", () => {
  const t = useInstance(() => ({ s3: s3.config({ publicBaseUrl: true }) }));

  it("links the stored copy directly, and its bytes are the provider's", async () => {
    const { token, task, rowId, upstreamId } = await createTask(t, "public@s3", "a lighthouse at dusk [large]");
    const done = await waitForTask(t, token, task.id, (x) => x.status === "COMPLETED");
    expect(done.videoUrl).toBe(`${s3.endpoint}/${s3.bucket}/media/${rowId}/video.mp4`);
    expect((await read(t, token, task.id)).mediaStatus).toBe("STORED");
    expect((await bytesOf(await fetch(done.videoUrl))).equals(mock.contentOf(upstreamId))).toBe(true);
    expect(done.thumbnailUrl).toBe(`${s3.endpoint}/${s3.bucket}/media/${rowId}/thumbnail.webp`);
    expect((await bytesOf(await fetch(done.thumbnailUrl))).equals(mock.contentOf(upstreamId, "thumbnail"))).toBe(true);
  });
});

describe("mirroring into S3 served through signed URLs", () => {
  const clock = createTestClock();
  const t = useInstance(() => ({ s3: s3.config() }), clock);

  it("streams the stored copy with Range, HEAD, ETag, Content-Length, Accept-Ranges and Cache-Control", async () => {
    const { token, task, upstreamId } = await createTask(t, "signed@s3", "a tram in the rain [large]");
    const done = await waitForTask(t, token, task.id, (x) => x.status === "COMPLETED");
    const expected = mock.contentOf(upstreamId);
    expect(done.videoUrl.startsWith(`${t.origin}/media/`)).toBe(true);

    const whole = await fetch(done.videoUrl);
    expect(whole.status).toBe(200);
    expect(whole.headers.get("content-type")).toBe("video/mp4");
    expect(whole.headers.get("accept-ranges")).toBe("bytes");
    expect(whole.headers.get("cache-control")).toMatch(/max-age=\d+/);
    expect(Number(whole.headers.get("content-length"))).toBe(expected.length);
    const etag = whole.headers.get("etag");
    expect(etag).toMatch(/^".+"$/);
    expect((await bytesOf(whole)).equals(expected)).toBe(true);

    const ranged = await fetch(done.videoUrl, { headers: { range: "bytes=8388600-8388699" } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get("content-range")).toBe(`bytes 8388600-8388699/${expected.length}`);
    expect((await bytesOf(ranged)).equals(expected.subarray(8388600, 8388700))).toBe(true);

    const head = await fetch(done.videoUrl, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get("content-length"))).toBe(expected.length);
    expect(head.headers.get("etag")).toBe(etag);
    expect((await fetch(done.videoUrl, { headers: { "if-none-match": etag! } })).status).toBe(304);
  });

  it("refuses an expired or altered signature with a bare 403", async () => {
    const { token, task, rowId } = await createTask(t, "forger@s3", "a kite over dunes");
    await waitForTask(t, token, task.id, (x) => x.status === "COMPLETED");
    const key = await objectKey(t, rowId);
    const expired = t.app.services.signer.url(key, Date.now() - 3 * 24 * 3600_000);
    const valid = new URL(t.app.services.signer.url(key));
    const altered = new URL(valid);
    altered.searchParams.set("expires", String(Number(valid.searchParams.get("expires")) + 3600));
    for (const url of [expired, altered.toString()]) {
      const res = await fetch(url);
      expect(res.status).toBe(403);
      expect(await res.text()).toBe("Forbidden");
    }
  });

  it("completes and charges once when storage is down, serves the provider's copy meanwhile, and mirrors once storage is back", async () => {
    await s3.stop();
    let restarted = false;
    try {
      const subject = "outage@s3";
      const { token, task, rowId, upstreamId } = await createTask(t, subject, "a heron in fog");
      const expected = mock.contentOf(upstreamId);

      const done = await waitForTask(t, token, task.id, (x) => x.status === "COMPLETED", 20_000);
      expect(done.cost).toBe("0.4");
      expect((await read(t, token, task.id)).mediaStatus).toBe("PROXIED");
      const proxied = done.videoUrl as string;
      expect(proxied.startsWith(`${t.origin}/media/proxy/`)).toBe(true);

      // Served from the provider, with the channel's key, byte for byte; ranges pass through.
      const viaProvider = await fetch(proxied);
      expect(viaProvider.status).toBe(200);
      expect((await bytesOf(viaProvider)).equals(expected)).toBe(true);
      const part = await fetch(proxied, { headers: { range: "bytes=100-199" } });
      expect(part.status).toBe(206);
      expect((await bytesOf(part)).equals(expected.subarray(100, 200))).toBe(true);
      expect(
        mock.requests.some((r) => r.path === `/v1/videos/${upstreamId}/content` && r.headers.authorization === `Bearer ${mock.apiKey}`),
      ).toBe(true);

      // Operators see it, with the reason and the attempts so far.
      clock.advance(MIRROR_RETRY.mirrorRetryBaseMs); // the first retry is due, and fails: storage is still down
      const backlog = await until("a failed mirror attempt in the backlog", async () => {
        const res = await t.gql(BACKLOG, {}, { token: t.adminToken });
        const entry = res.data?.mediaBacklog.find((x: { id: string }) => x.id === task.id);
        return entry && entry.mirror.attempts >= 1 ? entry : null;
      });
      expect(backlog).toMatchObject({ mediaStatus: "PROXIED", mirror: { lastError: expect.stringMatching(/.+/) } });
      expect(new Date(backlog.mirror.providerCopyExpiresAt).getTime()).toBeGreaterThan(clock.now());
      expect(codeOf(await t.gql(BACKLOG, {}, { token }))).toBe("FORBIDDEN");

      await s3.restart();
      restarted = true;
      clock.advance(MIRROR_RETRY.mirrorRetryMaxMs); // the next retry is due
      const stored = await until(
        "the mirror to land",
        async () => {
          const x = await read(t, token, task.id);
          return x.mediaStatus === "STORED" ? x : null;
        },
        15_000,
      );
      expect(stored.videoUrl).not.toBe(proxied);
      expect((await bytesOf(await fetch(stored.videoUrl))).equals(expected)).toBe(true);
      // A proxy URL handed out earlier now serves the stored copy.
      expect((await bytesOf(await fetch(proxied))).equals(expected)).toBe(true);
      const movements = (await ledgerOf(t, subject)).filter((e) => e.taskId === rowId).map((e) => e.kind);
      expect(movements).toEqual(["HOLD", "SETTLE"]);
      const backlogAfter = await t.gql(BACKLOG, {}, { token: t.adminToken });
      expect(backlogAfter.data!.mediaBacklog.map((x: { id: string }) => x.id)).not.toContain(task.id);
    } finally {
      if (!restarted) await s3.restart();
    }
  });

  it("gives up once the provider's copy has expired, and mirrors again when an admin retries", async () => {
    await s3.stop();
    let restarted = false;
    try {
      const { token, task, rowId, upstreamId } = await createTask(t, "lost@s3", "a moth at a lamp");
      await waitForTask(t, token, task.id, (x) => x.status === "COMPLETED", 20_000);
      // The provider's copy has run out while storage was down.
      await t.app.services.db.task.update({
        where: { id: rowId },
        data: { upstreamMediaExpiresAt: new Date(clock.now() - 1000), nextMirrorAt: new Date(clock.now()) },
      });
      const lost = await until("the task to be marked LOST", async () => {
        const x = await read(t, token, task.id);
        return x.mediaStatus === "LOST" ? x : null;
      });
      expect(lost.videoUrl).toBeNull();

      await s3.restart();
      restarted = true;
      const retried = await t.gql(RETRY, { id: task.id }, { token: t.adminToken });
      expect(retried.data!.retryMirror.mediaStatus).toBe("PROXIED");
      expect(codeOf(await t.gql(RETRY, { id: task.id }, { token }))).toBe("FORBIDDEN");
      const stored = await until(
        "the retried mirror to land",
        async () => {
          const x = await read(t, token, task.id);
          return x.mediaStatus === "STORED" ? x : null;
        },
        15_000,
      );
      expect((await bytesOf(await fetch(stored.videoUrl))).equals(mock.contentOf(upstreamId))).toBe(true);
    } finally {
      if (!restarted) await s3.restart();
    }
  });
});

describe("retention", () => {
  const retentionMs = 24 * 3600_000; // MEDIA_RETENTION_DAYS=1
  const clock = createTestClock();
  const t = useInstance(() => ({ s3: s3.config({ publicBaseUrl: true }), mediaRetentionMs: retentionMs }), clock);

  it("deletes media past MEDIA_RETENTION_DAYS from storage and shows it expired instead of a dead link", async () => {
    const { token, task, rowId } = await createTask(t, "retention@s3", "a sandcastle at high tide");
    const done = await waitForTask(t, token, task.id, (x) => x.status === "COMPLETED");
    const key = await objectKey(t, rowId);
    const row = await t.app.services.db.task.findUniqueOrThrow({ where: { id: rowId } });
    expect(row.mediaExpiresAt!.getTime()).toBeGreaterThan(row.completedAt!.getTime());
    expect(await t.app.services.storage.head(key)).not.toBeNull();
    expect(new Date((await read(t, token, task.id)).mediaExpiresAt).getTime()).toBe(row.mediaExpiresAt!.getTime());

    clock.advanceTo(row.mediaExpiresAt!); // the retention period has passed
    const expired = await until("the media to expire", async () => {
      const x = await read(t, token, task.id);
      return x.mediaStatus === "EXPIRED" ? x : null;
    });
    expect(expired).toMatchObject({ videoUrl: null, thumbnailUrl: null, status: "COMPLETED", cost: "0.4" });
    expect(await t.app.services.storage.head(key)).toBeNull();
    expect((await fetch(done.videoUrl)).status).toBe(404);
    expect(codeOf(await t.gql(RETRY, { id: task.id }, { token: t.adminToken }))).toBe("CONFLICT");
  });
});

function* chunks(bytes: Buffer, size: number) {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function collect(body: Readable) {
  const parts: Buffer[] = [];
  for await (const chunk of body) parts.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(parts);
}
