import { GraphQLError, type ValidationRule } from "graphql";
import type { Plugin } from "graphql-yoga";
import { boundMessage, ErrorCode, ReelayError } from "../errors.js";

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

/**
 * Refuses a body larger than `maxBytes` with 413 before anything parses it. A declared
 * Content-Length is judged as is (Node's parser never reads past it, and discards the body
 * of a refused request). A body without one (chunked) is counted as it arrives and handed
 * on only once it is whole and within the limit; past the limit the answer goes out at once
 * while up to another `maxBytes` are read and dropped, so the client can read the answer and
 * reuse the connection, and a body longer still has its connection cut.
 */
export function usePayloadLimit(maxBytes: number): Plugin {
  const tooLarge = (fetchAPI: { Response: typeof Response }) =>
    new fetchAPI.Response(
      JSON.stringify({
        errors: [{ message: `The request is larger than ${maxBytes} bytes`, extensions: { code: ErrorCode.PAYLOAD_TOO_LARGE } }],
      }),
      { status: 413, headers: { "content-type": "application/json; charset=utf-8" } },
    );
  return {
    async onRequest({ request, setRequest, endResponse, fetchAPI }) {
      if (request.body === null) return;
      const declared = request.headers.get("content-length");
      if (declared !== null) {
        if (Number(declared) > maxBytes) endResponse(tooLarge(fetchAPI));
        return;
      }
      const reader = request.body.getReader();
      const body = await readUpTo(reader, maxBytes);
      if (body === "failed") return endResponse(new fetchAPI.Response(null, { status: 400 }));
      if (body === "too large") {
        void discard(reader, maxBytes);
        return endResponse(tooLarge(fetchAPI));
      }
      reader.releaseLock();
      setRequest(
        new fetchAPI.Request(request.url, {
          method: request.method,
          headers: request.headers,
          body: new fetchAPI.Blob(body),
          signal: request.signal,
        }),
      );
    },
  };
}

/** The chunks of the whole stream when it is at most `maxBytes` long; "too large" as soon as it is longer. */
async function readUpTo(
  reader: ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>>,
  maxBytes: number,
): Promise<Uint8Array<ArrayBuffer>[] | "too large" | "failed"> {
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return chunks;
      total += value.byteLength;
      if (total > maxBytes) return "too large";
      chunks.push(value);
    }
  } catch {
    return "failed"; // the client went away mid-body
  }
}

/** Reads and drops the rest of a stream; past `maxBytes` more, cancels it (which closes the connection). */
async function discard(reader: ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>>, maxBytes: number) {
  let dropped = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      dropped += value.byteLength;
      if (dropped > maxBytes) return await reader.cancel();
    }
  } catch {
    // the client went away: nothing left to drop
  }
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

/**
 * Validation errors never reach the error mask, and they quote the document's literals and
 * names (a 1 MB field name, a 1 MB string where an Int belongs): cut like every other message.
 */
export function useBoundedValidationErrors(): Plugin {
  return {
    onValidate:
      () =>
      ({ result }) => {
        for (const error of result) boundMessage(error);
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

/**
 * Every error carries a code (the contract): what graphql-js refuses on its own (a syntax
 * error, a validation failure, a variable the schema cannot take) is the client's to fix,
 * so it answers BAD_USER_INPUT. Errors thrown by Reelay's code keep their code, and any
 * other failure is masked as before.
 */
export function useClientErrorCodes(): Plugin {
  const tag = (errors: readonly GraphQLError[] | undefined) => {
    for (const error of errors ?? []) {
      const fromGraphqlJs =
        error.originalError === undefined || (error.originalError instanceof GraphQLError && !error.originalError.extensions.code);
      if (error.extensions.code === undefined && fromGraphqlJs) {
        (error.extensions as Record<string, unknown>).code = ErrorCode.BAD_USER_INPUT;
      }
    }
  };
  const tagResult = ({ result }: { result: unknown }) => {
    if (result && typeof result === "object" && "errors" in result) tag((result as { errors?: readonly GraphQLError[] }).errors);
  };
  return {
    onParse:
      () =>
      ({ result }) => {
        if (result instanceof Error && "extensions" in result) tag([result as GraphQLError]);
      },
    onValidate:
      () =>
      ({ result }) =>
        tag(result as readonly GraphQLError[]),
    onExecute: () => ({ onExecuteDone: tagResult }),
    onSubscribe: () => ({ onSubscribeResult: tagResult }),
  };
}
