import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What the mock provider servers share: JSON in and out, canned failures, 127.0.0.1 only. */

export interface CannedResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body ?? {}));
}

/** The request body parsed as JSON; `{}` when it is not JSON. */
export async function readJsonBody(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return {};
  }
}

/** "The next n requests matching method and path prefix get this answer", checked before auth. */
export function failureQueue() {
  const queued: { remaining: number; method?: string; path?: string; response: CannedResponse }[] = [];
  return {
    add(n: number, match: { method?: string; path?: string }, response: CannedResponse) {
      queued.push({ remaining: n, ...match, response });
    },
    /** answers the request with a queued failure and returns true, or returns false */
    answer(req: IncomingMessage, pathname: string, res: ServerResponse) {
      const failure = queued.find(
        (f) => f.remaining > 0 && (!f.method || f.method === req.method) && (!f.path || pathname.startsWith(f.path)),
      );
      if (!failure) return false;
      failure.remaining--;
      sendJson(res, failure.response.status, failure.response.body, failure.response.headers);
      return true;
    },
  };
}

/** Listens on a free port of 127.0.0.1 and returns the origin. */
export async function listenLocally(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Stops at once, cutting open connections (downloads and streams included). */
export async function closeNow(server: Server) {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}
