import type { Plugin } from "graphql-yoga";
import { ErrorCode, ReelayError } from "../errors.js";

/** the header a multipart (upload) request must carry, so a cross-site form cannot post one */
export const CSRF_HEADER = "x-graphql-yoga-csrf";

/**
 * Requests a browser may send cross-site without a preflight (multipart, url-encoded,
 * text/plain) must carry the CSRF header. GET is left alone: tokens travel in the
 * Authorization header, never in cookies, and EventSource (SSE) cannot set headers.
 */
export function useCsrfHeaderForSimpleRequests(): Plugin {
  const SIMPLE_TYPES = ["multipart/form-data", "application/x-www-form-urlencoded", "text/plain"];
  return {
    onRequestParse({ request }) {
      const type = request.headers.get("content-type")?.toLowerCase() ?? "";
      if (request.method === "GET" || !SIMPLE_TYPES.some((t) => type.startsWith(t))) return;
      if (request.headers.has(CSRF_HEADER)) return;
      throw new ReelayError(ErrorCode.FORBIDDEN, `Multipart requests must carry the ${CSRF_HEADER} header`, {
        http: { status: 403 },
      });
    },
  };
}

/** Refuses a body larger than the limit by its Content-Length, before reading it. */
export function usePayloadLimit(maxBytes: number): Plugin {
  return {
    onRequestParse({ request }) {
      const length = Number(request.headers.get("content-length"));
      if (Number.isFinite(length) && length > maxBytes) {
        throw new ReelayError(ErrorCode.PAYLOAD_TOO_LARGE, `The request is larger than ${maxBytes} bytes`);
      }
    },
  };
}
