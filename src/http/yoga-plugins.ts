import type { ValidationRule } from "graphql";
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

/**
 * CORS for the API: `*` lets any page call it; a list, only those origins. Without either,
 * no CORS headers at all, so browsers keep other sites' pages from reading answers. Never
 * `Access-Control-Allow-Credentials`: tokens travel in the Authorization header, so no
 * cookie is ever needed, and an origin is only echoed when it is on the list.
 */
export function useCorsOrigins(allowed: "*" | readonly string[]): Plugin {
  const ALLOWED_HEADERS = ["authorization", "content-type", "accept", "x-request-id", CSRF_HEADER].join(", ");
  const PREFLIGHT_MAX_AGE_S = 600;
  const allowOrigin = (request: Request): string | null => {
    const origin = request.headers.get("origin");
    if (origin === null) return null;
    if (allowed === "*") return "*";
    return allowed.includes(origin) ? origin : null;
  };
  // Answers differ by Origin when only some origins are allowed: caches must keep them apart.
  const vary = allowed !== "*" && allowed.length > 0;
  return {
    onRequest({ request, fetchAPI, endResponse }) {
      if (request.method !== "OPTIONS") return;
      // A preflight; onResponse adds the origin (or not) as to any answer.
      const headers: Record<string, string> = { "content-length": "0" };
      if (allowOrigin(request) !== null) {
        Object.assign(headers, {
          "access-control-allow-methods": "GET, POST",
          "access-control-allow-headers": ALLOWED_HEADERS,
          "access-control-max-age": String(PREFLIGHT_MAX_AGE_S),
        });
      }
      endResponse(new fetchAPI.Response(null, { status: 204, headers }));
    },
    onResponse({ request, response }) {
      if (vary) response.headers.append("vary", "Origin");
      const origin = allowOrigin(request);
      if (origin === null) return;
      response.headers.set("access-control-allow-origin", origin);
      response.headers.set("access-control-expose-headers", "x-request-id");
    },
  };
}

/** INTROSPECTION=false: `__schema` and `__type` are refused with FORBIDDEN; `__typename` stays. */
export function useIntrospection(enabled: boolean): Plugin {
  if (enabled) return {};
  const NoIntrospection: ValidationRule = (context) => ({
    Field(node) {
      if (node.name.value === "__schema" || node.name.value === "__type") {
        context.reportError(new ReelayError(ErrorCode.FORBIDDEN, "Introspection is disabled on this server"));
      }
    },
  });
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoIntrospection);
    },
  };
}
