import type { Readable } from "node:stream";

export interface StoredObject {
  key: string;
  contentType: string;
  size: number;
  etag: string;
  lastModified: Date;
}

/** Where finished media lives. Local disk is the default; object storage plugs in behind the same calls. */
export interface MediaStorage {
  /** streams `body` into `key`; the object appears whole or not at all, typed only as an allowed media type or application/octet-stream */
  put(key: string, body: Readable, meta: { contentType: string }): Promise<StoredObject>;
  head(key: string): Promise<StoredObject | null>;
  /** inclusive byte range, as in HTTP Range */
  get(key: string, range?: { start: number; end: number }): Promise<{ object: StoredObject; body: Readable } | null>;
  delete(key: string): Promise<void>;
  /** a URL clients can fetch directly, when the storage serves objects publicly; else null */
  publicUrl(key: string): string | null;
}

/** Object keys carry no user data: only the task id and the variant. */
export const mediaKey = (taskId: string, variant: "video" | "image" | "thumbnail", extension: string) =>
  `media/${taskId}/${variant}.${extension}`;
