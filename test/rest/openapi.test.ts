/**
 * /openapi.json: a valid OpenAPI 3.1 document, generated from the route table, listing
 * every route the REST handler answers and no other; and the page that renders it, loading
 * only files Reelay serves itself.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { validate } from "@readme/openapi-parser";
import { beforeAll, describe, expect, it } from "vitest";
import { REST_ROUTES } from "../../src/rest/routes.js";
import { grantCredit } from "../helpers/fixtures.js";
import { tokenFor } from "../helpers/tokens.js";
import { useTestApp } from "../helpers/use-test-app.js";

const t = useTestApp({ mock: "openai", channels: [{ name: "gateway", models: ["sora-2"] }] });
let document: Record<string, any>;

beforeAll(async () => {
  const res = await fetch(`${t.origin}/openapi.json`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  document = await res.json();
});

/** A concrete URL path for a route's template: a fixed value for each parameter (the first allowed one where the route lists them). */
const concrete = (route: (typeof REST_ROUTES)[number]) =>
  route.path.replace(/\{(\w+)\}/g, (_, name: string) => route.pathEnums?.[name]?.[0] ?? "00000000-0000-0000-0000-000000000000");

describe("the OpenAPI document", () => {
  it("is OpenAPI 3.1 and valid by @readme/openapi-parser", async () => {
    expect(document.openapi).toBe("3.1.0");
    const result = await validate(structuredClone(document) as Parameters<typeof validate>[0]);
    expect(result.valid, JSON.stringify(result)).toBe(true);
  });

  it("lists every route of the route table with its operation, and no route the table does not have", () => {
    const listed = Object.entries(document.paths as Record<string, Record<string, { operationId: string }>>).flatMap(([p, ops]) =>
      Object.entries(ops).map(([method, op]) => `${method.toUpperCase()} ${p} ${op.operationId}`),
    );
    const table = REST_ROUTES.map((route) => `${route.method} ${route.path} ${route.operationId}`);
    expect(listed.sort()).toEqual(table.sort());
    for (const route of REST_ROUTES.filter((r) => r.auth)) {
      expect(document.paths[route.path][route.method.toLowerCase()].security, route.path).toEqual([{ bearerAuth: [] }]);
    }
  });

  it("is generated from the schemas that validate requests: their required fields, enums and both body types", () => {
    const create = document.paths["/v1/videos"].post;
    expect(Object.keys(create.requestBody.content).sort()).toEqual(["application/json", "multipart/form-data"]);
    const form = document.components.schemas[create.requestBody.content["multipart/form-data"].schema.$ref.split("/").pop()];
    expect(form.required).toEqual(["prompt"]);
    expect(JSON.stringify(form.properties.input_reference)).toContain('"format":"binary"');
    const list = document.paths["/v1/videos"].get.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`);
    expect(list.sort()).toEqual(["query:after", "query:limit", "query:order"]);
    const variant = document.paths["/v1/videos/{video_id}/content"].get.parameters.find((p: { name: string }) => p.name === "variant");
    expect(variant.schema.enum).toEqual(["video", "thumbnail"]);
    expect(document.paths["/v1/videos"].post.responses["429"].headers["retry-after"]).toBeDefined();
  });

  it("describes the Video object exactly as the API answers it", async () => {
    const subject = "reader@openapi";
    await grantCredit(t, subject, "5");
    const token = await tokenFor(subject);
    const res = await fetch(`${t.origin}/v1/videos`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "sora-2", prompt: "a schema check" }),
    });
    expect(res.status).toBe(200);
    const video = await res.json();
    const schema = document.components.schemas.Video;
    expect(Object.keys(video).sort()).toEqual(Object.keys(schema.properties).sort());
    expect([...schema.required].sort()).toEqual(Object.keys(video).sort());
  });
});

describe("the REST handler", () => {
  it("answers every route of the table itself, in OpenAI's format when credentials are missing", async () => {
    for (const route of REST_ROUTES) {
      const res = await fetch(`${t.origin}${concrete(route)}`, { method: route.method });
      const label = `${route.method} ${route.path}`;
      if (route.auth) {
        expect(res.status, label).toBe(401);
        expect((await res.json()).error, label).toMatchObject({ type: "authentication_error", code: "invalid_api_key" });
      } else {
        expect(res.status, label).toBe(200);
        await res.arrayBuffer();
      }
    }
  });

  it("answers nothing the table does not list: unknown paths are 404 and other methods 405, in OpenAI's format", async () => {
    for (const unknown of ["/v1/videos/a/b/c", "/v1/chat/completions", "/v1/", "/docs/api/index.html", "/docs/api/..%2Fpackage.json"]) {
      const res = await fetch(`${t.origin}${unknown}`);
      expect(res.status, unknown).toBe(404);
      expect((await res.json()).error.code, unknown).toBe("unknown_url");
    }
    const put = await fetch(`${t.origin}/v1/videos`, { method: "PUT" });
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("POST, GET");
    await put.arrayBuffer();
  });
});

describe("the documentation page", () => {
  it("loads Swagger UI on the document from Reelay's own files, with a policy that allows nothing else", async () => {
    const page = await fetch(`${t.origin}/docs/api`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("content-security-policy")).toMatch(/script-src 'self';/);
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await page.text();
    const references = [...html.matchAll(/<(?:script|link)[^>]+(?:src|href)="([^"]+)"/g)].map(([, url]) => url);
    expect(references.length).toBeGreaterThanOrEqual(3);

    const dist = path.dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
    let init = "";
    for (const reference of references) {
      const url = new URL(reference, `${t.origin}/docs/api`);
      expect(url.origin, reference).toBe(t.origin);
      const res = await fetch(url);
      expect(res.status, reference).toBe(200);
      const body = Buffer.from(await res.arrayBuffer());
      const name = path.basename(url.pathname);
      if (name.startsWith("swagger-ui")) expect(body.equals(await readFile(path.join(dist, name))), name).toBe(true);
      if (name.endsWith(".js")) expect(res.headers.get("content-type")).toMatch(/^text\/javascript/);
      if (name.endsWith(".css")) expect(res.headers.get("content-type")).toMatch(/^text\/css/);
      if (name === "reelay-init.js") init = body.toString();
    }
    expect(init, "the page starts Swagger UI on /openapi.json").toContain('"/openapi.json"');
  });
});
