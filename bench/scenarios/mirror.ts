import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { request } from "undici";
import type { S3Config } from "../../src/config.js";
import { upstreamFetch } from "../../src/providers/http.js";
import { openaiAdaptor } from "../../src/providers/openai.js";
import { createS3Storage } from "../../src/storage/s3.js";
import { mirrorMedia } from "../../src/worker/mirror.js";
import { startChild } from "../lib/child.js";
import { type Figure, MIB, sampleRss } from "../lib/report.js";

/**
 * A finished video streamed provider → S3-compatible server through the real mirror path,
 * against a plain loopback copy of the same bytes (HTTP download → file) in the same run.
 */
export async function mirror(options: { quick: boolean }): Promise<Figure[]> {
  const bytes = options.quick ? 128 * MIB : 1024 * MIB;
  // Provider and storage each in a process of their own: the memory measured here is the mirror's alone.
  const provider = await startChild<{ baseUrl: string; apiKey: string; upstreamId: string }>("bench/lib/mock-provider.ts", [String(bytes)]);
  const server = await startChild<S3Config>("bench/lib/s3-server.ts");
  const scratch = await mkdtemp(path.join(tmpdir(), "reelay-bench-copy-"));
  try {
    const { baseUrl, apiKey, upstreamId } = provider.info;
    const s3 = server.info;
    const channel = { id: "bench", name: "bench", provider: "openai", baseUrl, apiKey };

    // Plain loopback copy: the same download, straight into a file.
    let started = performance.now();
    const res = await upstreamFetch(`${baseUrl}/v1/videos/${upstreamId}/content?variant=video`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    await pipeline(res.body, createWriteStream(path.join(scratch, "copy.mp4")));
    const copySeconds = (performance.now() - started) / 1000;

    // What the storage server itself takes in: the same download sent on in one plain,
    // unsigned PUT (the test server accepts any signature), no multipart and no SDK.
    started = performance.now();
    const source = await upstreamFetch(`${baseUrl}/v1/videos/${upstreamId}/content?variant=video`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    const put = await request(`${s3.endpoint}/${s3.bucket}/plain-put.mp4`, {
      method: "PUT",
      headers: { "content-length": String(bytes), "content-type": "video/mp4" },
      body: source.body,
    });
    await put.body.dump();
    if (put.statusCode !== 200) throw new Error(`plain PUT answered ${put.statusCode}`);
    const putSeconds = (performance.now() - started) / 1000;

    // s3rver assembles the parts by copying them into one file at CompleteMultipartUpload
    // (R2 and S3 do not): that call's time is reported apart.
    let assemblyMs = 0;
    const storage = createS3Storage(s3, (client) =>
      client.middlewareStack.add(
        (next) => async (args) => {
          if (!(args.input as { MultipartUpload?: unknown }).MultipartUpload) return next(args);
          const started = performance.now();
          try {
            return await next(args);
          } finally {
            assemblyMs += performance.now() - started;
          }
        },
        { step: "finalizeRequest", name: "timeAssembly" },
      ),
    );
    // Load the SDK's lazily imported parts before measuring.
    await storage.put("warm-up", Readable.from([Buffer.alloc(1024)]), { contentType: "application/octet-stream" });
    global.gc?.();
    const before = process.memoryUsage().rss;
    const rss = sampleRss();
    started = performance.now();
    const media = await mirrorMedia({
      adaptor: {
        ...openaiAdaptor,
        download: (o) => openaiAdaptor.download({ ...o, variant: "video" }).then((d) => (o.variant === "video" ? d : null)),
      },
      channel,
      task: { id: "00000000-0000-4000-8000-00000000be01", upstreamId, state: null, model: "sora-2", mediaType: "VIDEO" },
      snapshot: { status: "COMPLETED" },
      storage,
    });
    const mirrorSeconds = (performance.now() - started) / 1000;
    const growth = (rss.stop() - before) / MIB;
    const stored = await storage.head(media.videoKey);
    if (stored?.size !== bytes) throw new Error(`stored ${stored?.size} bytes, expected ${bytes}`);

    const size = `${bytes / MIB} MiB`;
    const mirrorRate = bytes / MIB / mirrorSeconds;
    const copyRate = bytes / MIB / copySeconds;
    const streamRate = bytes / MIB / (mirrorSeconds - assemblyMs / 1000);
    const putRate = bytes / MIB / putSeconds;
    return [
      {
        scenario: "mirror",
        figure: `peak RSS growth, ${size} → S3`,
        value: growth,
        unit: "MiB",
        bound: { label: "goal", value: 64, unit: "MiB" },
        ratio: 64 / Math.max(growth, 0.001),
        goal: "≤ 64 MiB",
        met: growth <= 64,
      },
      {
        scenario: "mirror",
        figure: `throughput, ${size} → S3`,
        value: mirrorRate,
        unit: "MiB/s",
        bound: { label: "loopback copy to file", value: copyRate, unit: "MiB/s" },
        ratio: mirrorRate / copyRate,
        goal: "≥ 0.70 of copy",
        met: mirrorRate / copyRate >= 0.7,
        note: `includes ${(assemblyMs / 1000).toFixed(2)} s in which the test server copies the parts into one object at CompleteMultipartUpload`,
      },
      {
        scenario: "mirror",
        figure: `throughput, ${size} → S3, less part assembly`,
        value: streamRate,
        unit: "MiB/s",
        bound: { label: "loopback copy to file", value: copyRate, unit: "MiB/s" },
        ratio: streamRate / copyRate,
        goal: "≥ 0.70 of copy",
        met: streamRate / copyRate >= 0.7,
      },
      {
        scenario: "mirror",
        figure: `throughput, ${size} → S3, against the storage server's own intake`,
        value: mirrorRate,
        unit: "MiB/s",
        bound: { label: "one plain PUT of the same download", value: putRate, unit: "MiB/s" },
        ratio: mirrorRate / putRate,
        goal: "report",
        met: null,
      },
    ];
  } finally {
    await provider.stop();
    await server.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}
