import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
// @ts-expect-error s3rver ships no types
import S3rver from "s3rver";
import type { S3Config } from "../../src/config.js";

/** A real S3-compatible server (s3rver) on 127.0.0.1, path-style, that a test can take down and bring back on the same port. */
export interface TestS3 {
  bucket: string;
  endpoint: string;
  port: number;
  /** storage settings for Reelay; `publicBaseUrl` when objects should be linked directly */
  config(options?: { publicBaseUrl?: boolean }): S3Config;
  stop(): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestS3(bucket = "reelay-media"): Promise<TestS3> {
  const directory = await mkdtemp(path.join(tmpdir(), "reelay-s3-"));
  let port = 0;
  let instance: { run(): Promise<AddressInfo>; close(): Promise<void>; httpServer?: Server } | null = null;

  async function start() {
    const s3 = new S3rver({
      address: "127.0.0.1",
      port,
      silent: true,
      directory,
      configureBuckets: [{ name: bucket }],
      allowMismatchedSignatures: true,
    });
    const address = await s3.run();
    port = address.port;
    instance = s3;
  }
  async function stop() {
    if (!instance) return;
    const current = instance;
    instance = null;
    // The SDK keeps connections alive: cut them, or close() waits for them.
    current.httpServer?.closeAllConnections();
    await current.close();
  }

  await start();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    bucket,
    endpoint,
    port,
    config: (options = {}) => ({
      bucket,
      endpoint,
      region: "auto",
      accessKeyId: "S3RVER",
      secretAccessKey: "S3RVER",
      forcePathStyle: true,
      publicBaseUrl: options.publicBaseUrl ? `${endpoint}/${bucket}` : null,
    }),
    stop,
    restart: start,
    async close() {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
