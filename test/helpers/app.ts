import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Config } from "../../src/config.js";
import { type App, type AppOptions, buildApp, CSRF_HEADER } from "../../src/server.js";
import { TEST_JWT_SECRET, tokenFor } from "./tokens.js";

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: Record<string, any> }[];
}

export interface TestApp {
  app: App;
  /** http://127.0.0.1:<port> */
  origin: string;
  /** http://…/graphql */
  url: string;
  /** ws://…/graphql */
  wsUrl: string;
  adminToken: string;
  gql<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: { token?: string | null; headers?: Record<string, string> },
  ): Promise<GraphQLResponse<T>>;
  /** GraphQL multipart request spec: one file at variables path `filePath` (e.g. "input.inputReference") */
  upload<T = Record<string, any>>(
    query: string,
    variables: Record<string, unknown>,
    file: { path: string; bytes: Uint8Array; name?: string; type?: string },
    options?: { token?: string | null; csrf?: boolean },
  ): Promise<GraphQLResponse<T>>;
  stop(): Promise<void>;
}

/** A per-file Redis prefix, so parallel test files never see each other's messages. */
export const uniqueRedisPrefix = () => `reelay-test:${randomBytes(5).toString("hex")}:`;

/**
 * Starts a real Reelay instance on a free port: migrated database, the real HTTP,
 * WebSocket and SSE stack, and (unless role is "api") the worker.
 */
export async function startTestApp(options: {
  databaseUrl: string;
  /** the database, already being opened (as npm start opens it); opened from databaseUrl otherwise */
  database?: AppOptions["database"];
  config?: Partial<Config>;
  referenceFetch?: AppOptions["referenceFetch"];
  /** where the app logs (a test that reads the logs); none otherwise */
  logger?: AppOptions["logger"];
  /** the time the app's rules read (a test clock the test moves); the machine's own otherwise */
  clock?: AppOptions["clock"];
}): Promise<TestApp> {
  const mediaDir = options.config?.mediaDir ?? (await mkdtemp(path.join(tmpdir(), "reelay-media-")));
  const app = await buildApp({
    config: {
      port: 0,
      host: "127.0.0.1",
      databaseUrl: options.databaseUrl,
      jwtSecret: TEST_JWT_SECRET,
      redisUrl: null,
      pollIntervalMs: 100,
      submitBackoffMs: 20,
      maxPollBackoffMs: 1_000,
      logLevel: process.env.TEST_LOG_LEVEL ?? "silent",
      mediaDir,
      ...options.config,
    },
    database: options.database,
    referenceFetch: options.referenceFetch,
    logger: options.logger,
    clock: options.clock,
  });
  const { url } = await app.start();
  const origin = url.replace(/\/graphql$/, "");
  const adminToken = await tokenFor("admin@test", { role: "admin" });

  async function post<T>(body: BodyInit, headers: Record<string, string>, token: string | null | undefined): Promise<GraphQLResponse<T>> {
    const res = await fetch(url, {
      method: "POST",
      headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });
    const json = (await res.json()) as GraphQLResponse<T>;
    return { ...json, status: res.status };
  }

  return {
    app,
    origin,
    url,
    wsUrl: url.replace(/^http/, "ws"),
    adminToken,
    gql: (query, variables = {}, opts = {}) =>
      post(JSON.stringify({ query, variables }), { "content-type": "application/json", ...opts.headers }, opts.token),
    upload(query, variables, file, opts = {}) {
      const form = new FormData();
      form.set("operations", JSON.stringify({ query, variables }));
      form.set("map", JSON.stringify({ 0: [`variables.${file.path}`] }));
      form.set("0", new Blob([new Uint8Array(file.bytes)], { type: file.type ?? "application/octet-stream" }), file.name ?? "upload.bin");
      return post(form, opts.csrf === false ? {} : { [CSRF_HEADER]: "1" }, opts.token);
    },
    async stop() {
      await app.stop();
      if (!options.config?.mediaDir) await rm(mediaDir, { recursive: true, force: true });
    },
  };
}

/** The first error's code, for assertions. */
export const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code;
