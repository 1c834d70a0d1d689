/**
 * The switches that shrink what the server shows: GRAPHIQL, INTROSPECTION, METRICS_TOKEN
 * and CORS_ORIGINS, each in its default state and switched.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { codeOf, startTestApp, type TestApp } from "./helpers/app.js";
import { createTestDatabase, type TestDatabase } from "./helpers/database.js";

let database: TestDatabase;
let defaults: TestApp;
let locked: TestApp;
let open: TestApp;

beforeAll(async () => {
  database = await createTestDatabase();
  const start = (config: Parameters<typeof startTestApp>[0]["config"]) =>
    startTestApp({ databaseUrl: database.url, config: { role: "api", ...config } });
  [defaults, locked, open] = await Promise.all([
    start({}),
    start({ graphiql: false, introspection: false, metricsToken: "scrape-me", corsOrigins: ["https://app.example.com"] }),
    start({ corsOrigins: "*" }),
  ]);
});

afterAll(async () => {
  await Promise.all([defaults, locked, open].map((t) => t?.stop()));
  await database?.drop();
});

const fromOrigin = (t: TestApp, origin: string) =>
  fetch(t.url, { method: "POST", headers: { origin, "content-type": "application/json" }, body: '{"query":"{ __typename }"}' });
const preflight = (t: TestApp, origin: string) =>
  fetch(t.url, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization" },
  });
const graphiql = (t: TestApp) => fetch(t.url, { headers: { accept: "text/html" } });

describe("configuration of the surface", () => {
  it("reads GRAPHIQL, INTROSPECTION, METRICS_TOKEN and CORS_ORIGINS, refusing what is not an origin", () => {
    expect(loadConfig({})).toMatchObject({ graphiql: true, introspection: true, metricsToken: null, corsOrigins: [] });
    expect(
      loadConfig({
        GRAPHIQL: "false",
        INTROSPECTION: "off",
        METRICS_TOKEN: "t",
        CORS_ORIGINS: "https://a.example, http://localhost:5173/",
      }),
    ).toMatchObject({
      graphiql: false,
      introspection: false,
      metricsToken: "t",
      corsOrigins: ["https://a.example", "http://localhost:5173"],
    });
    expect(loadConfig({ CORS_ORIGINS: "*" }).corsOrigins).toBe("*");
    expect(() => loadConfig({ CORS_ORIGINS: "https://a.example/app" })).toThrow(/CORS_ORIGINS/);
    expect(() => loadConfig({ CORS_ORIGINS: "*, https://a.example" })).toThrow(/CORS_ORIGINS/);
    expect(() => loadConfig({ GRAPHIQL: "maybe" })).toThrow(/GRAPHIQL/);
  });
});

describe("CORS", () => {
  it("grants no other origin anything by default: no CORS headers, so browsers keep other pages from reading answers", async () => {
    const res = await fromOrigin(defaults, "https://elsewhere.example");
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const pre = await preflight(defaults, "https://elsewhere.example");
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();
    expect(pre.headers.get("access-control-allow-headers")).toBeNull();
  });

  it("grants a listed origin by name, with a preflight that allows the Authorization header, and never credentials", async () => {
    const res = await fromOrigin(locked, "https://app.example.com");
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    expect(res.headers.get("vary")).toMatch(/Origin/);
    const pre = await preflight(locked, "https://app.example.com");
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(pre.headers.get("access-control-allow-headers")).toMatch(/authorization/);
    expect((await fromOrigin(locked, "https://other.example")).headers.get("access-control-allow-origin")).toBeNull();
  });

  it("with CORS_ORIGINS=* grants every origin as *, never echoing it and never with credentials", async () => {
    const res = await fromOrigin(open, "https://anyone.example");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
  });
});

describe("GraphiQL and introspection", () => {
  it("serves GraphiQL to a browser by default, and not with GRAPHIQL=false", async () => {
    const on = await graphiql(defaults);
    expect(on.headers.get("content-type")).toMatch(/text\/html/);
    expect(await on.text()).toMatch(/GraphiQL/i);
    const off = await graphiql(locked);
    expect(off.headers.get("content-type") ?? "").not.toMatch(/text\/html/);
  });

  it("answers introspection by default, and refuses it with FORBIDDEN when INTROSPECTION=false", async () => {
    const query = `{ __schema { queryType { name } } }`;
    expect((await defaults.gql(query, {}, { token: null })).data).toEqual({ __schema: { queryType: { name: "Query" } } });
    const refused = await locked.gql(query, {}, { token: null });
    expect(codeOf(refused)).toBe("FORBIDDEN");
    expect(refused.data ?? null).toBeNull();
    expect((await locked.gql(`{ __typename }`, {}, { token: null })).data).toEqual({ __typename: "Query" });
  });
});

describe("/metrics", () => {
  it("is open without METRICS_TOKEN, and with it answers 401 unless the request carries Bearer <token>", async () => {
    expect((await fetch(`${defaults.origin}/metrics`)).status).toBe(200);
    const refused = await fetch(`${locked.origin}/metrics`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await fetch(`${locked.origin}/metrics`, { headers: { authorization: "Bearer scrape-mE" } })).status).toBe(401);
    const served = await fetch(`${locked.origin}/metrics`, { headers: { authorization: "Bearer scrape-me" } });
    expect(served.status).toBe(200);
    expect(await served.text()).toMatch(/^# HELP reelay_tasks /m);
  });
});
