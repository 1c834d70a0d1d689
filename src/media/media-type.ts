/**
 * The content types media are stored and served with. Media are data, never pages: only
 * the video and image types browsers play or show inline are kept; anything else (HTML,
 * SVG, scripts, whatever a provider claims) becomes an opaque download.
 */
import type { MediaMimeType } from "./image-sniff.js";

/** What anything outside the allow-list is stored and served as, always as an attachment. */
export const OCTET_STREAM = "application/octet-stream";

export type SafeMediaType = MediaMimeType | typeof OCTET_STREAM;

const ALLOWED: ReadonlySet<string> = new Set<MediaMimeType>([
  "video/mp4",
  "video/webm",
  "video/quicktime",
  "image/png",
  "image/jpeg",
  "image/webp",
  "image/gif",
]);

/** A declared content type (parameters and case ignored) if the allow-list has it, else application/octet-stream. */
export function safeMediaType(declared: string | null | undefined): SafeMediaType {
  const base = declared?.split(";")[0].trim().toLowerCase();
  return base && ALLOWED.has(base) ? (base as MediaMimeType) : OCTET_STREAM;
}

/** `attachment` for anything that is not an allowed media type: a browser downloads it instead of rendering it. */
export const dispositionFor = (type: string): "attachment" | null => (safeMediaType(type) === OCTET_STREAM ? "attachment" : null);
