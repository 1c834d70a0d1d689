/**
 * The web console: the static build of web/ (`npm run web:build`), served at `/`. The files are
 * read once when the server starts into a fixed index, so a request can only ever name one of
 * them: no path from a request reaches the filesystem.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import type { Config } from "../config.js";

/** web/dist at the repository root, reached alike from src/http (tsx) and dist/http (the built server) */
export const CONSOLE_DIST_DIR = fileURLToPath(new URL("../../web/dist/", import.meta.url));

const INDEX = "/index.html";
const ASSET_PREFIX = "/assets/";
/** asset names carry a hash of their content, so a browser may keep them for good */
const IMMUTABLE = "public, max-age=31536000, immutable";
/** what the console never answers, even for a browser asking for a page: the API, media, probes, metrics and the REST surface */
const SERVER_PATHS = ["/graphql", "/media", "/health", "/ready", "/metrics", "/v1", "/openapi.json", "/docs"];
/** smaller files gain nothing from gzip */
const MIN_GZIP_BYTES = 1024;
/** a Host header fit to be written into the policy: a name or an IP literal, an optional port */
const SANE_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".webp": "image/webp",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};
const COMPRESSIBLE = new Set([".html", ".js", ".css", ".svg", ".json", ".txt"]);

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
  cacheControl: string;
  compressible: boolean;
  /** made on the first request that accepts it, so start-up reads files and compresses nothing */
  gzipped?: Buffer;
}

/** Answers the request and returns true when it is the console's; false leaves it to the next route. */
export type ConsoleRoute = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean;

export interface ConsoleOptions {
  /** the built console; web/dist by default */
  dir?: string;
  /** where media is served from besides this server (PUBLIC_BASE_URL, S3_PUBLIC_BASE_URL), for the policy */
  config: Pick<Config, "publicBaseUrl" | "s3">;
}

/**
 * The console's route: its files by exact path (`/` is index.html), and index.html for any other
 * page a browser asks for (GET or HEAD accepting text/html) so that the app's own paths survive a
 * reload, except the server's paths and names that look like files. Without a build, `/`
 * says how to make one.
 */
export function createConsole(options: ConsoleOptions): ConsoleRoute {
  const files = readBuild(options.dir ?? CONSOLE_DIST_DIR);
  const policy = consolePolicy(options.config);
  return (req, res, url) => {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    const pathname = url.pathname === "/" ? INDEX : url.pathname;
    if (!files) {
      if (pathname !== INDEX) return false;
      res
        .writeHead(404, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" })
        .end("The web console is not built. Run `npm run web:build`, then reload.\n");
      return true;
    }
    const file = files.get(pathname);
    if (file) {
      send(req, res, file, pathname === INDEX ? policy(req) : null);
      return true;
    }
    // a missing hashed asset is an old page asking for a file a new build replaced: never answer it with HTML
    if (pathname.startsWith(ASSET_PREFIX)) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" }).end("Not found\n");
      return true;
    }
    if (!isPageRequest(req, pathname)) return false;
    send(req, res, files.get(INDEX)!, policy(req));
    return true;
  };
}

/** A browser asking for a page at a path that is not the server's and does not name a file. */
function isPageRequest(req: IncomingMessage, pathname: string): boolean {
  if (!(req.headers.accept ?? "").includes("text/html")) return false;
  if (SERVER_PATHS.some((p) => pathname === p || pathname.startsWith(`${p}/`))) return false;
  return !pathname.slice(pathname.lastIndexOf("/") + 1).includes(".");
}

/** Every file of the build under its URL path; null when there is no build (no index.html). */
function readBuild(dir: string): Map<string, StaticFile> | null {
  const files = new Map<string, StaticFile>();
  let entries: string[];
  try {
    entries = readdirSync(dir, { recursive: true, encoding: "utf8" });
  } catch {
    return null;
  }
  for (const entry of entries) {
    const urlPath = `/${entry.split(path.sep).join("/")}`;
    const extension = path.extname(entry).toLowerCase();
    if (urlPath.split("/").some((part) => part.startsWith(".")) || !CONTENT_TYPES[extension]) continue;
    let body: Buffer;
    try {
      body = readFileSync(path.join(dir, entry));
    } catch {
      continue; // a directory
    }
    files.set(urlPath, {
      body,
      type: CONTENT_TYPES[extension],
      etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`,
      // index.html names the current assets, so it is checked again on every load; the rest by its ETag
      cacheControl: urlPath.startsWith(ASSET_PREFIX) ? IMMUTABLE : "no-cache",
      compressible: COMPRESSIBLE.has(extension) && body.length >= MIN_GZIP_BYTES,
    });
  }
  return files.has(INDEX) ? files : null;
}

function send(req: IncomingMessage, res: ServerResponse, file: StaticFile, policy: string | null) {
  const headers: Record<string, string | number> = {
    "content-type": file.type,
    "cache-control": file.cacheControl,
    etag: file.etag,
    "x-content-type-options": "nosniff",
  };
  if (policy) Object.assign(headers, { "content-security-policy": policy, "referrer-policy": "no-referrer" });
  if (file.compressible) headers.vary = "accept-encoding";
  if (req.headers["if-none-match"] === file.etag) {
    res.writeHead(304, headers).end();
    return;
  }
  let body = file.body;
  if (file.compressible && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""))) {
    file.gzipped ??= gzipSync(file.body);
    body = file.gzipped;
    headers["content-encoding"] = "gzip";
  }
  headers["content-length"] = body.length;
  res.writeHead(200, headers);
  res.end(req.method === "HEAD" ? undefined : body);
}

/**
 * The console's Content-Security-Policy: its own scripts and styles only, the API on this origin
 * (over HTTP and WebSocket), media from this server and the storage's public origin, and no framing.
 */
export function consolePolicy(config: ConsoleOptions["config"]): (req: IncomingMessage) => string {
  const mediaOrigins = [config.publicBaseUrl, config.s3?.publicBaseUrl].flatMap((url) => {
    const origin = url && URL.canParse(url) ? new URL(url).origin : null;
    return origin && origin !== "null" ? [origin] : [];
  });
  const media = ["'self'", "data:", "blob:", ...new Set(mediaOrigins)].join(" ");
  return (req) => {
    const host = req.headers.host;
    // 'self' covers ws: on the same host in current browsers; the explicit origins cover the rest
    const sockets = host && SANE_HOST.test(host) ? ` ws://${host} wss://${host}` : "";
    return [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      `img-src ${media}`,
      `media-src ${media}`,
      `connect-src 'self'${sockets}`,
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join("; ");
  };
}
