/**
 * The HTTP client every adaptor calls providers through, against real servers on 127.0.0.1:
 * timeouts over the whole exchange, the caller's abort, redirects that keep credentials to
 * their origin, multipart bodies, and bodies that are dropped or cut off.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UpstreamError } from "../../src/providers/errors.js";
import { upstreamFetch } from "../../src/providers/http.js";
import { nextEventLoopTurn, until } from "../helpers/wait.js";
import { closeNow, listenLocally } from "../mocks/http.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A server whose routes the tests set; it records what reached it and over which connection. */
function recordingServer() {
  const routes = new Map<string, Handler>();
  const seen: { path: string; headers: IncomingMessage["headers"]; body: Buffer; socket: number }[] = [];
  const sockets = new WeakMap<object, number>();
  let connections = 0;
  const server = createServer(async (req, res) => {
    if (!sockets.has(req.socket)) sockets.set(req.socket, ++connections);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = req.url ?? "/";
    seen.push({ path, headers: req.headers, body: Buffer.concat(chunks), socket: sockets.get(req.socket)! });
    const route = routes.get(path.split("?")[0]);
    if (route) route(req, res);
    else res.writeHead(404).end();
  });
  return { server, routes, seen, origin: "" };
}

const api = recordingServer();
const other = recordingServer();

beforeAll(async () => {
  api.origin = await listenLocally(api.server);
  other.origin = await listenLocally(other.server);
});
afterAll(async () => {
  await Promise.all([closeNow(api.server), closeNow(other.server)]);
});

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail("expected a rejection"),
    (err: unknown) => err,
  );

describe("upstreamFetch", () => {
  it("reads status, headers and body, and reuses the connection once a body is read or discarded", async () => {
    api.routes.set("/ok", (_req, res) =>
      res.writeHead(200, { "content-type": "application/json", "x-request-id": "r1" }).end('{"id":"v1"}'),
    );
    api.routes.set("/gone", (_req, res) => res.writeHead(404, { "content-type": "text/plain" }).end("no such job"));
    const first = await upstreamFetch(`${api.origin}/ok`);
    expect({ status: first.status, ok: first.ok, type: first.headers.get("Content-Type"), id: first.headers.get("x-request-id") }).toEqual({
      status: 200,
      ok: true,
      type: "application/json",
      id: "r1",
    });
    expect(first.headers.get("x-missing")).toBeNull();
    expect(JSON.parse(await first.text())).toEqual({ id: "v1" });
    const socketOf = (path: string) => api.seen.filter((r) => r.path === path).at(-1)!.socket;
    await nextEventLoopTurn(); // the connection goes back to the pool just after the body ends
    const second = await upstreamFetch(`${api.origin}/gone`);
    expect({ status: second.status, ok: second.ok }).toEqual({ status: 404, ok: false });
    expect(socketOf("/gone")).toBe(socketOf("/ok")); // reused after a read body
    await second.discard();
    await nextEventLoopTurn();
    await (await upstreamFetch(`${api.origin}/ok`)).text();
    expect(socketOf("/ok")).toBe(socketOf("/gone")); // reused after a discarded one
  });

  it("fails with a transient TIMEOUT when the provider sends no answer in time", async () => {
    api.routes.set("/silent", () => {}); // never answers
    const err = await rejection(upstreamFetch(`${api.origin}/silent`, { timeoutMs: 150 }));
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ kind: "transient", code: "TIMEOUT" });
  });

  it("counts the body against the timeout: a body that stalls half way fails with TIMEOUT", async () => {
    api.routes.set("/stall", (_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
      res.write('{"id": "half');
    });
    const res = await upstreamFetch(`${api.origin}/stall`, { timeoutMs: 200 });
    expect(res.status).toBe(200);
    expect(await rejection(res.text())).toMatchObject({ kind: "transient", code: "TIMEOUT" });
  });

  it("does not crash the process when a body nobody reads is cut off by the timeout", async () => {
    api.routes.set("/unread", (_req, res) => {
      res.writeHead(200, { "content-length": "1000" });
      res.write("x");
    });
    const res = await upstreamFetch(`${api.origin}/unread`, { timeoutMs: 100 });
    // The timer fires and destroys the body; an unhandled 'error' would fail this file.
    await until("the timeout to destroy the unread body", () => res.body.destroyed, 2_000).catch(() => null);
    expect(res.body.destroyed).toBe(true);
  });

  it("stops when the caller aborts, before or during the exchange", async () => {
    const controller = new AbortController();
    // The caller gives up once the provider has the request, and long before it would answer.
    api.routes.set("/slow", (_req, res) => {
      controller.abort();
      setTimeout(() => res.writeHead(200).end("late"), 2_000);
    });
    const pending = upstreamFetch(`${api.origin}/slow`, { signal: controller.signal });
    const started = Date.now();
    expect(await rejection(pending)).toBeInstanceOf(UpstreamError);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(await rejection(upstreamFetch(`${api.origin}/ok`, { signal: AbortSignal.abort() }))).toBeInstanceOf(UpstreamError);
  });

  it("reports a refused connection as a transient error naming its cause", async () => {
    const closed = recordingServer();
    const origin = await listenLocally(closed.server);
    await closeNow(closed.server);
    expect(await rejection(upstreamFetch(`${origin}/anything`))).toMatchObject({ kind: "transient", code: "ECONNREFUSED" });
  });

  it("follows redirects on its own origin with the Authorization header, and refuses one to another origin", async () => {
    api.routes.set("/same", (_req, res) => res.writeHead(302, { location: "/ok" }).end());
    api.routes.set("/away", (_req, res) => res.writeHead(302, { location: `${other.origin}/file` }).end());
    other.routes.set("/file", (_req, res) => res.writeHead(200, { "content-type": "video/mp4" }).end("bytes"));
    const headers = { authorization: "Bearer secret-key" };

    expect(JSON.parse(await (await upstreamFetch(`${api.origin}/same`, { headers })).text())).toEqual({ id: "v1" });
    expect(api.seen.filter((r) => r.path === "/ok").at(-1)!.headers.authorization).toBe("Bearer secret-key");

    const before = other.seen.length;
    expect(await rejection(upstreamFetch(`${api.origin}/away`, { headers }))).toMatchObject({ kind: "rejected", code: "REDIRECT_REFUSED" });
    expect(other.seen.length).toBe(before);
  });

  it("hands a redirect back unfollowed when asked to", async () => {
    const res = await upstreamFetch(`${api.origin}/away`, { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(`${other.origin}/file`);
    await res.discard();
  });

  it("sends a multipart form with its boundary and the file's exact bytes", async () => {
    api.routes.set("/form", (_req, res) => res.writeHead(200).end("{}"));
    const bytes = new Uint8Array(2048).map((_, i) => (i * 7) % 256);
    const form = new FormData();
    form.set("prompt", "a lighthouse");
    form.set("input_reference", new Blob([bytes], { type: "image/png" }), "ref.png");
    await (await upstreamFetch(`${api.origin}/form`, { method: "POST", headers: { authorization: "Bearer k" }, body: form })).text();

    const sent = api.seen.filter((r) => r.path === "/form").at(-1)!;
    expect(sent.headers.authorization).toBe("Bearer k");
    const parsed = await new Response(new Uint8Array(sent.body), { headers: { "content-type": sent.headers["content-type"]! } }).formData();
    expect(parsed.get("prompt")).toBe("a lighthouse");
    const file = parsed.get("input_reference") as File;
    expect({ name: file.name, type: file.type }).toEqual({ name: "ref.png", type: "image/png" });
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(bytes);
  });

  it("streams a large body as it arrives rather than buffering it", async () => {
    const chunk = Buffer.alloc(64 * 1024, 1);
    const chunks = 64; // 4 MiB
    api.routes.set("/big", (_req, res) => {
      res.writeHead(200, { "content-length": String(chunk.length * chunks) });
      let sent = 0;
      const more = () => {
        while (sent < chunks) {
          sent++;
          if (!res.write(chunk)) return void res.once("drain", more);
        }
        res.end();
      };
      more();
    });
    const res = await upstreamFetch(`${api.origin}/big`);
    let received = 0;
    let pieces = 0;
    for await (const piece of res.body) {
      received += (piece as Buffer).length;
      pieces++;
    }
    expect(received).toBe(chunk.length * chunks);
    expect(pieces).toBeGreaterThan(1);
  });
});
