/**
 * Reads the `createVideo` reference image (first frame) from whichever form
 * the user sent it in, and returns the exact bytes to forward to the provider.
 */
import { createHash } from "node:crypto";
import { badInput, ErrorCode, ReelayError } from "../errors.js";
import { extensionFor, type ImageMimeType, sniffImageType } from "./image-sniff.js";
import { type SafeFetchOptions, safeFetchBytes } from "./safe-fetch.js";

export interface ReferenceImage {
  bytes: Uint8Array;
  mimeType: "image/png" | "image/jpeg" | "image/webp" | "image/gif";
  filename: string;
  sha256: string;
}

export interface ReferenceImageOptions {
  maxBytes: number;
  fetch?: Omit<SafeFetchOptions, "maxBytes">;
}

// Standard and base64url alphabets; padding only at the end (validated separately).
const BASE64_BODY = /^[A-Za-z0-9+/_-]*={0,2}$/;
const WHITESPACE = /\s+/g;
const SCHEME = /^([a-z][a-z0-9+.-]*):/i;

const tooLarge = (maxBytes: number) =>
  new ReelayError(ErrorCode.PAYLOAD_TOO_LARGE, `inputReference is larger than the ${maxBytes}-byte limit`, {
    maxBytes,
  });

/**
 * Decodes strict base64 (standard or base64url, whitespace allowed). The size
 * is checked from the encoded length before anything is decoded.
 */
function decodeBase64(encoded: string, maxBytes: number, what: string): Uint8Array {
  const compact = encoded.replace(WHITESPACE, "");
  const padding = compact.endsWith("==") ? 2 : compact.endsWith("=") ? 1 : 0;
  if (Math.floor((compact.length * 3) / 4) - padding > maxBytes) throw tooLarge(maxBytes);

  const validPadding = padding === 0 ? compact.length % 4 !== 1 : compact.length % 4 === 0;
  if (!BASE64_BODY.test(compact) || !validPadding) throw badInput(`${what} is not valid base64`);
  const decoded = Buffer.from(compact, "base64");
  if (decoded.length === 0) throw badInput(`${what} is empty`);
  if (decoded.length > maxBytes) throw tooLarge(maxBytes);
  return new Uint8Array(decoded); // own copy: small Buffers share Node's pool
}

/** `data:image/<type>;base64,<payload>` → bytes. */
function decodeDataUrl(url: string, maxBytes: number): Uint8Array {
  const comma = url.indexOf(",");
  if (comma === -1) throw badInput("inputReference data: URL has no comma before its data");
  const [mediaType = "", ...params] = url.slice("data:".length, comma).split(";");
  if (params.at(-1)?.trim().toLowerCase() !== "base64") {
    throw badInput("inputReference data: URL must be base64-encoded (data:image/png;base64,...)");
  }
  if (!/^image\/[a-z0-9.+-]+$/i.test(mediaType.trim())) {
    throw badInput(`inputReference data: URL must declare an image type, not "${mediaType || "text/plain"}"`);
  }
  let payload = url.slice(comma + 1);
  if (payload.includes("%")) {
    try {
      payload = decodeURIComponent(payload);
    } catch {
      throw badInput("inputReference data: URL has invalid percent-encoding");
    }
  }
  return decodeBase64(payload, maxBytes, "inputReference data: URL");
}

async function readFile(file: File, maxBytes: number): Promise<Uint8Array> {
  if (file.size > maxBytes) throw tooLarge(maxBytes);
  if (file.size === 0) throw badInput("inputReference file is empty");
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (bytes.length > maxBytes) throw tooLarge(maxBytes);
  if (bytes.length === 0) throw badInput("inputReference file is empty");
  return bytes;
}

async function readUrl(raw: string, options: ReferenceImageOptions): Promise<Uint8Array> {
  const url = raw.trim();
  if (url === "") throw badInput("inputReference URL is empty");
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) return decodeBase64(url, options.maxBytes, "inputReference");
  if (scheme === "data") return decodeDataUrl(url, options.maxBytes);
  if (scheme !== "https") {
    throw badInput(`inputReference URL must be https://, a data:image/...;base64 URL or base64 (got ${scheme}:)`);
  }
  const { bytes } = await safeFetchBytes(url, { ...options.fetch, maxBytes: options.maxBytes });
  if (bytes.length === 0) throw badInput("inputReference URL returned an empty body");
  return bytes;
}

/**
 * file: a web `File` from the GraphQL multipart upload (yoga gives one); url:
 * an https URL, a data: URL (data:image/png;base64,...) or bare base64.
 * Exactly one may be given; null when neither.
 *
 * The type comes from the bytes' magic number (the client's content type and
 * filename are ignored) and the returned bytes are exactly the input bytes.
 * Failures are `ReelayError`s: `PAYLOAD_TOO_LARGE` above `maxBytes` (checked
 * before reading or decoding where possible), `BAD_USER_INPUT` otherwise.
 */
export async function readReferenceImage(
  input: { file?: File | null; url?: string | null },
  options: ReferenceImageOptions,
): Promise<ReferenceImage | null> {
  const { file, url } = input;
  if (file != null && url != null) {
    throw badInput("Send inputReference either as a file upload or as a URL/base64 string, not both");
  }
  let bytes: Uint8Array;
  if (file != null) bytes = await readFile(file, options.maxBytes);
  else if (url != null) bytes = await readUrl(url, options);
  else return null;

  const mimeType: ImageMimeType | null = sniffImageType(bytes);
  if (!mimeType) throw badInput("inputReference is not a PNG, JPEG, WebP or GIF image");
  return {
    bytes,
    mimeType,
    filename: `reference.${extensionFor(mimeType)}`,
    sha256: createHash("sha256").update(bytes).digest("hex"),
  };
}

/** The reference image in the forms providers take it: bare base64 (inside JSON), a data: URL, or a file for a multipart form. */
export const encodeReferenceImage = {
  base64: (image: ReferenceImage) => Buffer.from(image.bytes).toString("base64"),
  dataUrl: (image: ReferenceImage) => `data:${image.mimeType};base64,${encodeReferenceImage.base64(image)}`,
  file: (image: ReferenceImage) => new Blob([new Uint8Array(image.bytes)], { type: image.mimeType }),
};
