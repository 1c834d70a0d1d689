/**
 * How Reelay serves the console: index.html and hashed assets from a fixed index of the build,
 * with long caching for assets, a strict Content-Security-Policy on the page, an SPA fallback
 * that never answers for the server's own paths, and no way out of the build directory.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consolePolicy, createConsole } from "../../src/http/console.js";
import { useTestApp } from "../helpers/use-test-app.js";
import { ensureConsoleBuilt } from "./build.js";

beforeAll(ensureConsoleBuilt, 120_000);
const t = useTestApp();
const worker = useTestApp({ config: { role: "worker" } });

const page = (path: string, init: RequestInit = {}) =>
  fetch(`${t.origin}${path}`, { ...init, headers: { accept: "text/html", ...init.headers } });

/** the console's page, told apart from GraphiQL's and from yoga's answers */
const isConsole = async (res: Response) => (await res.text()).includes("<title>Reelay console</title>");

async function assetPaths(): Promise<string[]> {
  const html = await (await page("/")).text();
  return [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
}

describe("the console at /", () => {
  it("serves index.html revalidated on every load, under a policy that allows only its own scripts, styles and this origin's API", async () => {
    const res = await page("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const policy = res.headers.get("content-security-policy") ?? "";
    const host = new URL(t.origin).host;
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "object-src 'none'",
      "frame-ancestors 'none'",
      `connect-src 'self' ws://${host} wss://${host}`,
      "img-src 'self' data: blob:",
      "media-src 'self' data: blob:",
    ]) {
      expect(policy).toContain(directive);
    }
    expect(policy).not.toContain("unsafe-inline");
    expect(await isConsole(res)).toBe(true);
    const again = await page("/", { headers: { "if-none-match": res.headers.get("etag")! } });
    expect(again.status).toBe(304);
  });

  it("serves every asset the page names with a year of immutable caching, gzipped when the browser accepts it", async () => {
    const assets = await assetPaths();
    expect(assets.some((a) => a.endsWith(".js"))).toBe(true);
    expect(assets.some((a) => a.endsWith(".css"))).toBe(true);
    for (const asset of assets) {
      const res = await fetch(`${t.origin}${asset}`, { headers: { "accept-encoding": "gzip" } });
      expect(res.status, asset).toBe(200);
      expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(res.headers.get("content-type")).toMatch(asset.endsWith(".js") ? /^text\/javascript/ : /^text\/css/);
      expect(res.headers.get("content-encoding")).toBe("gzip");
      expect((await res.text()).length).toBeGreaterThan(100);
    }
    const head = await fetch(`${t.origin}${assets[0]}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get("content-length"))).toBeGreaterThan(100);
    expect(await head.text()).toBe("");
  });

  it("answers the console's own paths with index.html so that a reload works, but only for a browser asking for a page", async () => {
    for (const path of ["/tasks", "/admin/channels", "/gallery/"]) {
      const res = await page(path);
      expect(res.status, path).toBe(200);
      expect(await isConsole(res), path).toBe(true);
    }
    expect(await isConsole(await fetch(`${t.origin}/tasks`, { headers: { accept: "application/json" } }))).toBe(false);
    expect(await isConsole(await page("/tasks", { method: "POST", body: "{}" }))).toBe(false);
    expect(await isConsole(await page("/favicon.ico"))).toBe(false);
  });

  it("never takes the server's paths: GraphQL and GraphiQL, media, probes, metrics and the REST surface", async () => {
    const graphiql = await page("/graphql");
    expect(graphiql.status).toBe(200);
    const body = await graphiql.text();
    expect(body).toMatch(/GraphiQL/i);
    expect(body).not.toContain("Reelay console");
    const query = await fetch(t.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ __typename }" }),
    });
    expect(await query.json()).toEqual({ data: { __typename: "Query" } });
    expect(await (await page("/health")).json()).toEqual({ status: "ok" });
    expect((await page("/ready")).status).toBe(200);
    expect((await page("/metrics")).headers.get("content-type")).toMatch(/^text\/plain/);
    expect((await page("/media/media/x/video.mp4")).status).toBe(403);
    for (const path of ["/v1/models", "/v1/videos", "/openapi.json", "/docs", "/docs/", "/graphql/anything"]) {
      expect(await isConsole(await page(path)), path).toBe(false);
    }
  });

  it("serves only the files of the build: a missing asset is a plain 404 and no path reaches another file", async () => {
    const missing = await page("/assets/index-00000000.js");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toMatch(/^text\/plain/);
    for (const path of [
      "/assets/..%2f..%2fpackage.json",
      "/assets/%2e%2e/%2e%2e/package.json",
      "/..%2fpackage.json",
      "/%2e%2e/%2e%2e/package.json",
      "/web/index.html",
      "/src/main.tsx",
      "/index.html/..%2f..%2fpackage.json",
    ]) {
      const res = await page(path);
      const text = await res.text();
      expect(text, path).not.toContain('"name": "reelay"');
      expect(text, path).not.toContain("createRoot");
    }
  });

  it("is not served by a worker, which answers only probes and metrics", async () => {
    const res = await page("/", { headers: { accept: "text/html" } });
    expect(res.status).toBe(200);
    const fromWorker = await fetch(`${worker.origin}/`, { headers: { accept: "text/html" } });
    expect(fromWorker.status).toBe(404);
    expect(await fromWorker.json()).toMatchObject({ error: expect.stringMatching(/ROLE=worker/) });
  });
});

describe("without a build", () => {
  let server: Server;
  let origin: string;
  beforeAll(async () => {
    const route = createConsole({ dir: "/nonexistent/reelay-web-dist", config: { publicBaseUrl: null, s3: null } });
    server = createServer((req, res) => {
      if (!route(req, res, new URL(req.url ?? "/", "http://localhost"))) res.writeHead(418).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("answers / with a short 404 that says how to build the console, and leaves every other path to the server", async () => {
    const res = await fetch(`${origin}/`, { headers: { accept: "text/html" } });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await res.text()).toContain("npm run web:build");
    expect((await fetch(`${origin}/tasks`, { headers: { accept: "text/html" } })).status).toBe(418);
  });
});

describe("the console's policy", () => {
  it("lets images and videos come from PUBLIC_BASE_URL and the storage's public origin when media is served from there", () => {
    const policy = consolePolicy({
      publicBaseUrl: "https://api.example.com/reelay",
      s3: {
        bucket: "media",
        endpoint: null,
        region: "auto",
        accessKeyId: null,
        secretAccessKey: null,
        forcePathStyle: false,
        publicBaseUrl: "https://cdn.example.net/media",
      },
    })({ headers: { host: "console.example.com" } } as never);
    expect(policy).toContain("img-src 'self' data: blob: https://api.example.com https://cdn.example.net;");
    expect(policy).toContain("media-src 'self' data: blob: https://api.example.com https://cdn.example.net;");
    expect(policy).toContain("connect-src 'self' ws://console.example.com wss://console.example.com;");
    // a Host header that could smuggle a directive is left out of the policy
    const odd = consolePolicy({ publicBaseUrl: null, s3: null })({ headers: { host: "evil.example; script-src *" } } as never);
    expect(odd).toContain("connect-src 'self';");
    expect(odd).not.toContain("evil");
  });
});
