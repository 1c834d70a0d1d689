/**
 * The hostile-input corpus: each case sends something an attacker would against the real
 * server (HTTP, WebSocket and SSE on PostgreSQL and Redis) and names the refusal it must
 * get. `hostileSuite()` runs a table of cases, then checks that the server still serves and
 * that no money moved. The server is configured as production should be (see HOSTILE_CONFIG):
 * tokens need the issuer and audience, introspection and GraphiQL are off, /metrics needs
 * its token, and one origin may call the API from a browser.
 */
import { request as httpRequest } from "node:http";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { Config } from "../../src/config.js";
import { startTestApp, TEST_REDIS_URL, type TestApp, uniqueRedisPrefix } from "../helpers/app.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { grantCredit } from "../helpers/fixtures.js";
import { checkMoney } from "../helpers/invariants.js";

export const HOSTILE_SECRET = "hostile-corpus-secret-0f3c9a";
export const HOSTILE_ISSUER = "https://id.hostile.test";
export const HOSTILE_AUDIENCE = "reelay-hostile";
export const HOSTILE_METRICS_TOKEN = "metrics-3b1f7e2a";
export const ALLOWED_ORIGIN = "https://app.hostile.test";
/** a user with credit: every case must leave this balance as it found it */
export const VICTIM = "victim@hostile";

/** The server every case attacks: locked down as docs/production.md asks. */
export const HOSTILE_CONFIG: Partial<Config> = {
  jwtSecret: HOSTILE_SECRET,
  jwtIssuer: HOSTILE_ISSUER,
  jwtAudience: [HOSTILE_AUDIENCE],
  introspection: false,
  graphiql: false,
  metricsToken: HOSTILE_METRICS_TOKEN,
  corsOrigins: [ALLOWED_ORIGIN],
  mediaSigningSecret: "hostile-media-secret-5d2e",
};

/** What a case got back; a case's `expect` is matched against it. */
export interface Outcome {
  /** HTTP status */
  status?: number;
  /** extensions.code of the first GraphQL error */
  code?: unknown;
  /** message of the first GraphQL error */
  message?: string;
  /** WebSocket close code */
  closeCode?: number;
  headers?: Headers;
  body?: unknown;
  /** how long the server took to answer, in ms */
  elapsedMs?: number;
}

export interface HostileTarget {
  app: TestApp;
  /** http://127.0.0.1:<port> */
  origin: string;
  url: string;
  wsUrl: string;
  adminToken: string;
  /** a valid token of this server (its secret, issuer and audience) unless options change it */
  token(subject: string, options?: TokenOptions): Promise<string>;
}

export interface TokenOptions {
  role?: "admin";
  secret?: string;
  issuer?: string | null;
  audience?: string | null;
  /** seconds from now; null: no exp claim */
  expiresIn?: number | null;
  alg?: "HS256" | "HS384" | "HS512";
}

export interface HostileCase {
  /** a sentence: what is sent, and what it is answered with */
  name: string;
  send(target: HostileTarget): Promise<Outcome>;
  /** matched with toMatchObject */
  expect: Partial<Outcome>;
  /** further assertions on the outcome */
  check?(outcome: Outcome, target: HostileTarget): void | Promise<void>;
}

/**
 * Runs `cases` against one hostile-configured server, one test each, then checks that the
 * server still answers a valid user and that the ledger and balances are as before.
 */
export function hostileSuite(title: string, cases: HostileCase[], options: { config?: Partial<Config> } = {}) {
  describe(title, () => {
    let database: TestDatabase;
    const target = {} as HostileTarget;
    let moneyBefore: string;

    beforeAll(async () => {
      database = await createTestDatabase();
      const app = await startTestApp({
        databaseUrl: database.url,
        config: { ...HOSTILE_CONFIG, redisUrl: TEST_REDIS_URL, redisPrefix: uniqueRedisPrefix(), ...options.config },
      });
      const token = (subject: string, tokenOptions: TokenOptions = {}) => signToken(subject, tokenOptions);
      Object.assign(target, {
        app,
        origin: app.origin,
        url: app.url,
        wsUrl: app.wsUrl,
        adminToken: await token("admin@hostile", { role: "admin" }),
        token,
      });
      await grantCredit({ gql: app.gql, adminToken: target.adminToken }, VICTIM, "25");
      moneyBefore = await moneySnapshot(app);
    });

    afterAll(async () => {
      await target.app?.stop();
      await database?.drop();
    });

    for (const c of cases) {
      it(c.name, async () => {
        const outcome = await c.send(target);
        expect(outcome).toMatchObject(c.expect);
        await c.check?.(outcome, target);
      });
    }

    it("still serves a valid user afterwards, and no money moved", async () => {
      expect((await fetch(`${target.origin}/health`)).status).toBe(200);
      const me = await graphql(target, `{ me { subject balance held } }`, {}, { token: await target.token(VICTIM) });
      expect(me).toMatchObject({ status: 200, body: { data: { me: { subject: VICTIM, balance: "25", held: "0" } } } });
      const socket = await openSocket(target.wsUrl, await target.token(VICTIM));
      expect(socket.acknowledged).toBe(true);
      socket.ws.close();
      expect(await moneySnapshot(target.app)).toBe(moneyBefore);
      expect((await checkMoney(database.url)).violations).toEqual([]);
    });
  });
}

/** Every ledger row and every balance, as one comparable string. */
async function moneySnapshot(app: TestApp): Promise<string> {
  const db = app.app.services.db;
  const [ledger, users] = await Promise.all([
    db.ledgerEntry.findMany({ orderBy: { id: "asc" } }),
    db.user.findMany({ select: { subject: true, balance: true, held: true }, orderBy: { subject: "asc" } }),
  ]);
  return JSON.stringify({ ledger, users }, (_key, value) => (typeof value === "bigint" ? value.toString() : value));
}

/** An HS-signed token as the hostile server expects it, or bent as `options` say. */
export async function signToken(subject: string, options: TokenOptions = {}): Promise<string> {
  const jwt = new SignJWT(options.role ? { role: options.role } : {})
    .setProtectedHeader({ alg: options.alg ?? "HS256" })
    .setSubject(subject)
    .setIssuedAt();
  const expiresIn = options.expiresIn === undefined ? 3600 : options.expiresIn;
  if (expiresIn !== null) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn);
  const issuer = options.issuer === undefined ? HOSTILE_ISSUER : options.issuer;
  if (issuer !== null) jwt.setIssuer(issuer);
  const audience = options.audience === undefined ? HOSTILE_AUDIENCE : options.audience;
  if (audience !== null) jwt.setAudience(audience);
  return jwt.sign(new TextEncoder().encode(options.secret ?? HOSTILE_SECRET));
}

/** A GraphQL POST; the outcome carries the first error's code and message. */
export async function graphql(
  target: HostileTarget,
  query: string,
  variables: Record<string, unknown> = {},
  options: { token?: string | null; headers?: Record<string, string> } = {},
): Promise<Outcome> {
  return post(target, JSON.stringify({ query, variables }), {
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    ...options.headers,
  });
}

/** A POST to /graphql of any body (JSON by default), timed. */
export async function post(target: HostileTarget, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<Outcome> {
  const started = performance.now();
  const res = await fetch(target.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : new Uint8Array(body),
  });
  return outcomeOf(res, started);
}

export async function outcomeOf(res: Response, started = performance.now()): Promise<Outcome> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  const first = (body as { errors?: { message?: string; extensions?: { code?: unknown } }[] } | null)?.errors?.[0];
  return {
    status: res.status,
    code: first?.extensions?.code,
    message: first?.message,
    headers: res.headers,
    body,
    elapsedMs: performance.now() - started,
  };
}

/**
 * A chunked POST (no Content-Length) of `totalBytes` in `chunkBytes` pieces, through node:http
 * so the answer is read as soon as it comes, even while the body is still being sent.
 */
export function postChunked(
  target: HostileTarget,
  totalBytes: number,
  options: { chunkBytes?: number; headers?: Record<string, string>; fill?: (offset: number, size: number) => Buffer } = {},
): Promise<Outcome> {
  const chunkBytes = options.chunkBytes ?? 64 * 1024;
  const fill = options.fill ?? ((_offset: number, size: number) => Buffer.alloc(size, 0x20));
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let answered = false;
    const req = httpRequest(target.url, {
      method: "POST",
      headers: { "content-type": "application/json", "transfer-encoding": "chunked", ...options.headers },
    });
    req.on("response", (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === "string") headers.set(k, v);
        void outcomeOf(new Response(Buffer.concat(chunks), { status: res.statusCode, headers }), started).then(resolve, reject);
      });
    });
    // Once answered, the server may stop reading: a write error then is expected, not a failure.
    req.on("error", (err) => (answered ? undefined : reject(err)));
    void (async () => {
      for (let offset = 0; offset < totalBytes && !answered; offset += chunkBytes) {
        const size = Math.min(chunkBytes, totalBytes - offset);
        if (!req.write(fill(offset, size))) await new Promise((drained) => req.once("drain", drained));
      }
      if (!answered) req.end();
    })().catch(() => {});
  });
}

/** A graphql-ws connection opened by hand, so a case can send what no client library would. */
export interface RawSocket {
  ws: WebSocket;
  /** whether connection_ack arrived (false: the server closed the socket instead) */
  acknowledged: boolean;
  /** parsed server messages so far */
  messages: { type: string; id?: string; payload?: any }[];
  closed: Promise<number>;
  /** the next message of `type` for operation `id` within `timeoutMs`; null if none came */
  next(type: string, id?: string, timeoutMs?: number): Promise<{ type: string; id?: string; payload?: any } | null>;
}

/**
 * Opens a socket with the graphql-transport-ws protocol and, unless `init` is false, sends
 * connection_init with the token and waits for the ack (or the close).
 */
export async function openSocket(wsUrl: string, token?: string | null, options: { init?: boolean } = {}): Promise<RawSocket> {
  const ws = new WebSocket(wsUrl, "graphql-transport-ws");
  const messages: RawSocket["messages"] = [];
  const listeners = new Set<() => void>();
  ws.on("message", (data) => {
    messages.push(JSON.parse(String(data)));
    for (const listener of listeners) listener();
  });
  ws.on("error", () => {}); // a refused frame may break the pipe while sending; the close code says what happened
  const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade answered ${res.statusCode}`)));
  });
  const socket: RawSocket = {
    ws,
    acknowledged: false,
    messages,
    closed,
    next(type, id, timeoutMs = 5_000) {
      const find = () => messages.find((m) => m.type === type && (id === undefined || m.id === id)) ?? null;
      return new Promise((resolve) => {
        const listener = () => {
          const found = find();
          if (!found) return;
          finish(found);
        };
        const finish = (value: ReturnType<typeof find>) => {
          listeners.delete(listener);
          clearTimeout(timer);
          resolve(value);
        };
        const timer = setTimeout(() => finish(null), timeoutMs);
        void closed.then(() => finish(find()));
        listeners.add(listener);
        listener();
      });
    },
  };
  if (options.init === false) return socket;
  ws.send(JSON.stringify({ type: "connection_init", payload: token ? { authorization: `Bearer ${token}` } : {} }));
  socket.acknowledged = (await Promise.race([socket.next("connection_ack"), closed.then(() => null)])) !== null;
  return socket;
}

/** Sends an operation on a raw socket and waits for its first answer (next or error). */
export async function operate(socket: RawSocket, id: string, query: string, variables: Record<string, unknown> = {}) {
  socket.ws.send(JSON.stringify({ id, type: "subscribe", payload: { query, variables } }));
  const answer = await Promise.race([socket.next("next", id), socket.next("error", id)]);
  return answer;
}

/** The close code of a socket that is sent one message of `bytes` bytes (after the ack when `token` is given). */
export async function closeCodeAfterSending(wsUrl: string, bytes: number, token: string | null): Promise<Outcome> {
  const socket = await openSocket(wsUrl, token, { init: token !== null });
  const padding = "x".repeat(bytes);
  // Before the ack the padding rides on connection_init, after it on an operation's variables.
  const message = JSON.stringify(
    token === null
      ? { type: "connection_init", payload: { padding } }
      : { id: "big", type: "subscribe", payload: { query: "{ __typename }", variables: { padding } } },
  );
  socket.ws.send(message);
  const closeCode = await Promise.race([socket.closed, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 10_000))]);
  return { closeCode };
}
