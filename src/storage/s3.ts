import type { Readable } from "node:stream";
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { dispositionFor, safeMediaType } from "../media/media-type.js";
import type { MediaStorage, StoredObject } from "./types.js";

export interface S3StorageOptions {
  bucket: string;
  /** e.g. https://<account>.r2.cloudflarestorage.com or http://127.0.0.1:9000; unset for AWS */
  endpoint?: string | null;
  /** "auto" for R2 */
  region: string;
  accessKeyId?: string | null;
  secretAccessKey?: string | null;
  /** MinIO and most self-hosted servers want path-style addressing */
  forcePathStyle: boolean;
  /** public origin of the bucket (R2 custom domain, public bucket URL); objects are linked there directly */
  publicBaseUrl?: string | null;
  /** bounds each S3 call, so a storage outage fails a mirror instead of hanging it */
  requestTimeoutMs?: number;
}

/**
 * Multipart parts: memory held per upload is about PART_SIZE × QUEUE_SIZE, whatever the
 * size of the video (a 1 GiB file streams through ~10 MiB). 5 MiB is the smallest part S3
 * accepts; with at most 10,000 parts an object can reach ~48 GiB.
 */
const PART_SIZE = 5 * 1024 * 1024;
const QUEUE_SIZE = 2;

/** Cloudflare R2, MinIO and AWS S3 behind the MediaStorage calls, by configuration alone. */
export function createS3Storage(options: S3StorageOptions, configure?: (client: S3Client) => void): MediaStorage & { client: S3Client } {
  const config: S3ClientConfig = {
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: options.requestTimeoutMs ?? 60_000 },
    // R2 and MinIO do not all accept the newer default checksums on every call.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  };
  if (options.endpoint) config.endpoint = options.endpoint;
  if (options.accessKeyId && options.secretAccessKey) {
    config.credentials = { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey };
  }
  const client = new S3Client(config);
  configure?.(client);
  const Bucket = options.bucket;
  const publicBase = options.publicBaseUrl?.replace(/\/+$/, "") || null;

  async function head(key: string): Promise<StoredObject | null> {
    try {
      const out = await client.send(new HeadObjectCommand({ Bucket, Key: key }));
      return {
        key,
        contentType: out.ContentType ?? "application/octet-stream",
        size: out.ContentLength ?? 0,
        etag: out.ETag ?? `"${key}"`,
        lastModified: out.LastModified ?? new Date(0),
      };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  return {
    client,
    async put(key, body: Readable, { contentType }) {
      // A multipart upload becomes visible only when completed, and is aborted on failure:
      // the object appears whole or not at all. A bucket served publicly sends these headers
      // itself: only media types, anything else as a download.
      const type = safeMediaType(contentType);
      const disposition = dispositionFor(type);
      const upload = new Upload({
        client,
        params: { Bucket, Key: key, Body: body, ContentType: type, ...(disposition ? { ContentDisposition: disposition } : {}) },
        partSize: PART_SIZE,
        queueSize: QUEUE_SIZE,
        leavePartsOnError: false,
      });
      try {
        await upload.done();
      } catch (err) {
        body.destroy();
        throw err;
      }
      const stored = await head(key);
      if (!stored) throw new Error(`the object ${key} is missing right after its upload`);
      return stored;
    },
    head,
    async get(key, range) {
      try {
        const out = await client.send(
          new GetObjectCommand({ Bucket, Key: key, Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
        );
        const object: StoredObject = {
          key,
          contentType: out.ContentType ?? "application/octet-stream",
          size: range ? (totalFromContentRange(out.ContentRange) ?? range.end + 1) : (out.ContentLength ?? 0),
          etag: out.ETag ?? `"${key}"`,
          lastModified: out.LastModified ?? new Date(0),
        };
        return { object, body: out.Body as Readable };
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
    },
    publicUrl: (key) => (publicBase ? `${publicBase}/${key.split("/").map(encodeURIComponent).join("/")}` : null),
  };
}

function isNotFound(err: unknown) {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === "NotFound" || e.name === "NoSuchKey" || e.$metadata?.httpStatusCode === 404;
}

function totalFromContentRange(header: string | undefined) {
  const total = header && /\/(\d+)$/.exec(header);
  return total ? Number(total[1]) : null;
}
