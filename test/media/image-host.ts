/** A local HTTPS host that serves reference images, and every way a remote host can misbehave. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { beforeEach } from "vitest";
import { type TestHttpsServer, useHttpsServer } from "../helpers/https-server.js";
import { IMAGES, NOT_AN_IMAGE, PNG } from "./samples.js";

/** How much `/endless` would send if nobody stopped reading. */
export const ENDLESS_CAP = 64 * 1024 * 1024;

export interface ImageHost extends TestHttpsServer {
  /** the paths requested since the test began */
  requests: string[];
  /** the `/endless` response of this test, if any: bytes written, and when the client hung up */
  endless: { written: number; closed: Promise<void> } | null;
  /** fetch options for this host: trust its certificate, permit its loopback address */
  localFetch(): { allowPrivateAddresses: true; ca: string };
}

/**
 * The host for the file, with a certificate for 127.0.0.1, localhost and rebind.test. Routes:
 * `/img/<png|jpeg|webp|gif>` (each served as text/plain), `/text` (not an image, served as
 * image/png), `/sized?n=` (n bytes), `/endless` (no length, never ends), `/hop/<n>` (n relative
 * redirects), `/to?url=` (a redirect there), `/no-location`, `/stall` (never answers),
 * `/declared-huge` and `/stall-body` (a head, then silence); anything else is a 404.
 */
export function useImageHost(): ImageHost {
  const host = useHttpsServer(serve, { dnsNames: ["rebind.test"] }) as ImageHost;
  host.requests = [];
  host.endless = null;
  host.localFetch = () => ({ allowPrivateAddresses: true, ca: host.ca });

  beforeEach(() => {
    host.connections = 0;
    host.requests = [];
    host.endless = null;
  });

  function serve(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "https://127.0.0.1");
    host.requests.push(url.pathname);
    const image = IMAGES.find((i) => url.pathname === `/img/${i.name}`);
    if (image) {
      res.writeHead(200, { "content-type": "text/plain" }).end(image.bytes); // wrong type on purpose
    } else if (url.pathname === "/text") {
      res.writeHead(200, { "content-type": "image/png" }).end(NOT_AN_IMAGE);
    } else if (url.pathname === "/sized") {
      const size = Number(url.searchParams.get("n"));
      const body = Buffer.alloc(size, 7);
      PNG.copy(body, 0, 0, Math.min(size, PNG.length));
      res.writeHead(200, { "content-length": size }).end(body);
    } else if (url.pathname === "/endless") {
      // No content-length: only a limit enforced while streaming can stop this.
      res.writeHead(200, { "content-type": "image/png" });
      const state = { written: 0, closed: new Promise<void>((r) => res.on("close", () => r())) };
      host.endless = state;
      const chunk = Buffer.alloc(16 * 1024, 1);
      PNG.copy(chunk);
      const pump = () => {
        while (!res.destroyed && state.written < ENDLESS_CAP) {
          state.written += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        if (!res.destroyed) res.end();
      };
      pump();
    } else if (url.pathname.startsWith("/hop/")) {
      const left = Number(url.pathname.slice("/hop/".length));
      if (left === 0) res.writeHead(200).end(PNG);
      else res.writeHead(302, { location: `/hop/${left - 1}` }).end(); // relative Location
    } else if (url.pathname === "/to") {
      res.writeHead(307, { location: url.searchParams.get("url") ?? "" }).end();
    } else if (url.pathname === "/no-location") {
      res.writeHead(302).end();
    } else if (url.pathname === "/stall") {
      // never answers
    } else if (url.pathname === "/declared-huge") {
      res.writeHead(200, { "content-length": 1_000_000_000 });
      res.write(PNG); // then stalls: only the declared length can refuse this quickly
    } else if (url.pathname === "/stall-body") {
      res.writeHead(200, { "content-length": 1000 });
      res.write(PNG); // then nothing more
    } else {
      res.writeHead(404).end("not found");
    }
  }

  return host;
}
