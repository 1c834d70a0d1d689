/**
 * A human-readable page for the OpenAPI document: Swagger UI, its files served by Reelay
 * itself from the swagger-ui-dist package (no CDN), from a fixed list of names.
 */
import { readFile } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { createRequire } from "node:module";
import path from "node:path";

export const DOCS_PAGE_PATH = "/docs/api";
export const OPENAPI_PATH = "/openapi.json";

/** the script that starts Swagger UI on the document; a file rather than inline, so the page's CSP allows no inline script */
const INIT_SCRIPT = `window.ui = SwaggerUIBundle({
  url: ${JSON.stringify(OPENAPI_PATH)},
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
`;

/** Every file the page loads, with its type; nothing else under the page's path is served. */
const ASSETS: Record<string, { type: string; read: () => Promise<Buffer> }> = {
  "swagger-ui.css": { type: "text/css; charset=utf-8", read: () => fromPackage("swagger-ui.css") },
  "swagger-ui-bundle.js": { type: "text/javascript; charset=utf-8", read: () => fromPackage("swagger-ui-bundle.js") },
  "favicon-32x32.png": { type: "image/png", read: () => fromPackage("favicon-32x32.png") },
  "reelay-init.js": { type: "text/javascript; charset=utf-8", read: async () => Buffer.from(INIT_SCRIPT) },
};
export const DOCS_ASSET_NAMES: readonly string[] = Object.keys(ASSETS);

const assetUrl = (name: string) => `${DOCS_PAGE_PATH}/${name}`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reelay REST API</title>
<link rel="stylesheet" href="${assetUrl("swagger-ui.css")}">
<link rel="icon" type="image/png" href="${assetUrl("favicon-32x32.png")}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${assetUrl("swagger-ui-bundle.js")}"></script>
<script src="${assetUrl("reelay-init.js")}"></script>
</body>
</html>
`;

/**
 * Scripts and styles from this server only, calls to this server only (Swagger UI's "try it
 * out"), and the page cannot be framed. Swagger UI sets style attributes, hence inline styles.
 */
const PAGE_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

const ASSET_CACHE_CONTROL = "public, max-age=86400";

/** swagger-ui-dist's folder, found by its package.json (its index would load the whole bundle into this process). */
let packageDir: string | null = null;
function fromPackage(name: string): Promise<Buffer> {
  packageDir ??= path.dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  return readFile(path.join(packageDir, name));
}

/** read once: the files never change while the process runs */
const loaded = new Map<string, Promise<Buffer>>();

export function serveDocsPage(res: ServerResponse) {
  res.writeHead(200, { ...PAGE_HEADERS, "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" }).end(PAGE);
}

/** One of the page's files; `name` has been checked against DOCS_ASSET_NAMES by the route. */
export async function serveDocsAsset(res: ServerResponse, name: string) {
  const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (!asset) {
    res.writeHead(404, { ...PAGE_HEADERS, "content-type": "text/plain" }).end("Not found");
    return;
  }
  let bytes = loaded.get(name);
  if (!bytes) {
    bytes = asset.read();
    loaded.set(name, bytes);
    bytes.catch(() => loaded.delete(name));
  }
  const body = await bytes;
  res
    .writeHead(200, { ...PAGE_HEADERS, "content-type": asset.type, "content-length": body.length, "cache-control": ASSET_CACHE_CONTROL })
    .end(body);
}
