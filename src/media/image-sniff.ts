/**
 * Content-type detection from magic bytes. Client-supplied content types and
 * filenames are never trusted; only what the bytes themselves say.
 */

/** Image types accepted as a reference image (first frame). */
export type ImageMimeType = "image/png" | "image/jpeg" | "image/webp" | "image/gif";
/** Video containers recognised when storing downloaded media. */
export type VideoMimeType = "video/mp4" | "video/quicktime" | "video/webm";
/** Every type `sniffMediaType` can return. */
export type MediaMimeType = ImageMimeType | VideoMimeType;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];
const EBML_SIGNATURE = [0x1a, 0x45, 0xdf, 0xa3];

// ISO-BMFF brands that are still images (HEIF/AVIF), not video: `ftyp` alone is not enough.
const STILL_IMAGE_BRANDS = new Set(["avif", "avis", "heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1"]);

const EXTENSIONS: Record<MediaMimeType, string> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/webp": "webp",
  "image/gif": "gif",
  "video/mp4": "mp4",
  "video/quicktime": "mov",
  "video/webm": "webm",
};

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((byte, i) => bytes[offset + i] === byte);
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  if (bytes.length < offset + length) return "";
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}

/**
 * Detects PNG, JPEG, WebP (`RIFF....WEBP`) and GIF (`GIF87a` / `GIF89a`) from
 * the leading bytes. Returns null for anything else, including truncated headers.
 */
export function sniffImageType(bytes: Uint8Array): ImageMimeType | null {
  if (startsWith(bytes, PNG_SIGNATURE)) return "image/png";
  if (startsWith(bytes, JPEG_SIGNATURE)) return "image/jpeg";
  if (ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 4) === "WEBP") return "image/webp";
  const gif = ascii(bytes, 0, 6);
  if (gif === "GIF87a" || gif === "GIF89a") return "image/gif";
  return null;
}

/**
 * Like `sniffImageType`, and additionally recognises MP4 / QuickTime
 * (an `ftyp` box at offset 4; brand `qt  ` means QuickTime) and WebM
 * (EBML header `1A 45 DF A3`, which Matroska shares).
 */
export function sniffMediaType(bytes: Uint8Array): MediaMimeType | null {
  const image = sniffImageType(bytes);
  if (image) return image;
  if (ascii(bytes, 4, 4) === "ftyp") {
    const brand = ascii(bytes, 8, 4);
    if (brand === "qt  ") return "video/quicktime";
    if (brand !== "" && !STILL_IMAGE_BRANDS.has(brand)) return "video/mp4";
    return null;
  }
  if (startsWith(bytes, EBML_SIGNATURE)) return "video/webm";
  return null;
}

/** File extension (without the dot) for a sniffed type, e.g. `"image/jpeg"` → `"jpg"`. */
export function extensionFor(mime: MediaMimeType): string {
  return EXTENSIONS[mime];
}
