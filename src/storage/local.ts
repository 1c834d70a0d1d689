import { createHash, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { safeMediaType } from "../media/media-type.js";
import type { MediaStorage, StoredObject } from "./types.js";

const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;
const isSafeKey = (key: string) => SAFE_KEY.test(key) && !key.split("/").includes("..");

/** Media on local disk under one directory; a JSON sidecar keeps content type and ETag. */
export function createLocalStorage(root: string): MediaStorage {
  const fileOf = (key: string) => {
    if (!isSafeKey(key)) throw new Error(`unsafe storage key: ${key}`);
    return path.join(root, key);
  };
  const metaOf = (key: string) => `${fileOf(key)}.meta.json`;

  async function head(key: string): Promise<StoredObject | null> {
    if (!isSafeKey(key)) return null; // no object can live there: not found, never a path outside root
    try {
      const [info, meta] = await Promise.all([stat(fileOf(key)), readFile(metaOf(key), "utf8")]);
      const { contentType, etag } = JSON.parse(meta) as { contentType: string; etag: string };
      return { key, contentType, etag, size: info.size, lastModified: info.mtime };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
  }

  return {
    async put(key, body, { contentType }) {
      const file = fileOf(key);
      await mkdir(path.dirname(file), { recursive: true });
      const temp = `${file}.${randomUUID()}.part`;
      const hash = createHash("sha256");
      const hashing = new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          done(null, chunk);
        },
      });
      try {
        await pipeline(body, hashing, createWriteStream(temp));
        const etag = `"${hash.digest("hex").slice(0, 32)}"`;
        await writeFile(metaOf(key), JSON.stringify({ contentType: safeMediaType(contentType), etag }));
        await rename(temp, file);
      } catch (err) {
        await rm(temp, { force: true });
        throw err;
      }
      return (await head(key))!;
    },
    head,
    async get(key, range) {
      const object = await head(key);
      if (!object) return null;
      const body = createReadStream(fileOf(key), range ? { start: range.start, end: range.end } : {});
      return { object, body };
    },
    async delete(key) {
      await rm(fileOf(key), { force: true });
      await rm(metaOf(key), { force: true });
    },
    publicUrl: () => null,
  };
}
