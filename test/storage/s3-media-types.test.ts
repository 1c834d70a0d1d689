import { Readable } from "node:stream";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { createS3Storage } from "../../src/storage/s3.js";
import { startTestS3 } from "../helpers/s3.js";
import { useStarted } from "../helpers/use-test-app.js";

const s3 = useStarted(startTestS3, (s3) => s3.close());

describe("objects written to S3 carry a safe type, since a public bucket serves them itself", () => {
  it.each([
    ["video/mp4", "video/mp4", undefined],
    ["image/webp", "image/webp", undefined],
    ["video/quicktime; codecs=avc1", "video/quicktime", undefined],
    ["text/html", "application/octet-stream", "attachment"],
    ["image/svg+xml", "application/octet-stream", "attachment"],
    ["application/octet-stream", "application/octet-stream", "attachment"],
  ])("%s is stored as %s (Content-Disposition %s)", async (given, type, disposition) => {
    const storage = createS3Storage(s3.config({ publicBaseUrl: true }));
    const key = `media/types/${encodeURIComponent(given)}.bin`;
    const stored = await storage.put(key, Readable.from([Buffer.from("<svg onload=alert(1)>")]), { contentType: given });
    expect(stored.contentType).toBe(type);
    const head = await storage.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
    expect({ type: head.ContentType, disposition: head.ContentDisposition }).toEqual({ type, disposition });
  });
});
