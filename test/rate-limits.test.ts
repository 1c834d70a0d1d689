/**
 * Per-user and per-client limits on a real server, counted in process (no REDIS_URL):
 * mutations per user over every transport, requests without credentials per client
 * address (with and without TRUST_PROXY), connections per user and subscriptions per
 * connection. Each refusal is RATE_LIMITED; the time-bound ones carry retryAfter.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOf, type GraphQLResponse, startTestApp, type TestApp } from "./helpers/app.js";
import { connectionPool, runOnce, signedInOn, subscribeAndHold } from "./helpers/connections.js";
import { createTestDatabase, type TestDatabase } from "./helpers/database.js";
import { CREATE_VIDEO, grantCredit, ledgerOf, ME, upsertChannel } from "./helpers/fixtures.js";
import { checkMoney } from "./helpers/invariants.js";
import { postOverSse } from "./helpers/sse.js";
import { tokenFor } from "./helpers/tokens.js";
import { until } from "./helpers/wait.js";
import { type MockOpenAIVideos, startMockOpenAIVideos } from "./mocks/openai-videos.js";

const MUTATIONS_PER_MINUTE = 3;
const ANONYMOUS_PER_MINUTE = 3;
const SOCKETS_PER_USER = 2;
const SUBSCRIPTIONS_PER_SOCKET = 3;
/** prompts containing this stay queued upstream, so their tasks keep running */
const HOLD = "[hold]";
const CANCEL_NOTHING = /* GraphQL */ `mutation { cancelTask(id: "no-such-task") { id } }`;
const WATCH_ALL = /* GraphQL */ `subscription { taskProgress { id status } }`;

let database: TestDatabase;
let mock: MockOpenAIVideos;
/** the limits above, client address from the socket */
let t: TestApp;
/** requests without credentials limited to 2 a minute per address, taken from X-Forwarded-For */
let proxied: TestApp;
const sockets = connectionPool();

beforeAll(async () => {
  database = await createTestDatabase();
  mock = await startMockOpenAIVideos();
  mock.scriptFor(HOLD, { queuedPolls: 1_000_000 });
  const limits = {
    rateLimitPerMinute: MUTATIONS_PER_MINUTE,
    rateLimitAnonPerMinute: ANONYMOUS_PER_MINUTE,
    maxSocketsPerUser: SOCKETS_PER_USER,
    maxSubscriptionsPerSocket: SUBSCRIPTIONS_PER_SOCKET,
  };
  t = await startTestApp({ databaseUrl: database.url, config: { ...limits, trustProxy: false } });
  proxied = await startTestApp({ databaseUrl: database.url, config: { role: "api", rateLimitAnonPerMinute: 2, trustProxy: true } });
  await upsertChannel(t, { name: "gateway", baseUrl: mock.baseUrl, apiKey: mock.apiKey, models: ["sora-2"] });
});

afterAll(async () => {
  await sockets.closeAll();
  await t?.stop();
  await proxied?.stop();
  await mock?.close();
  await database?.drop();
});

const open = (app: TestApp, token: string) => sockets.open(app, token);

const signedIn = (subject: string) => signedInOn(t, subject);

function expectRateLimited(res: { errors?: readonly { extensions?: Record<string, unknown> }[] | null }) {
  expect(res.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
  const retryAfter = res.errors?.[0]?.extensions?.retryAfter;
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
}

describe("mutations per user (RATE_LIMIT_PER_MINUTE)", () => {
  it("counts a user's mutations over HTTP, SSE and WebSocket together, and refuses the ones over the limit on each", async () => {
    expect(t.app.services.limits.backend).toBe("in-process");
    const token = await tokenFor("busy@limits");
    const socket = open(t, token);
    expect(await socket.outcome).toEqual({ open: true });

    // Three mutations, one per transport: each runs (and finds nothing to cancel).
    expect(codeOf(await t.gql(CANCEL_NOTHING, {}, { token }))).toBe("NOT_FOUND");
    expect(codeOf(await postOverSse(t.url, CANCEL_NOTHING, {}, token))).toBe("NOT_FOUND");
    expect((await runOnce(socket.client, CANCEL_NOTHING)).errors?.[0]?.extensions?.code).toBe("NOT_FOUND");

    // The fourth is refused whichever way it comes.
    const overHttp = await t.gql(CANCEL_NOTHING, {}, { token });
    expectRateLimited(overHttp);
    expect(overHttp.data ?? null).toBeNull();
    expectRateLimited(await postOverSse(t.url, CANCEL_NOTHING, {}, token));
    expectRateLimited(await runOnce(socket.client, CANCEL_NOTHING));

    // Queries are not mutations, and another user has a budget of their own.
    expect((await t.gql(ME, {}, { token })).errors).toBeUndefined();
    expect((await runOnce(socket.client, ME)).errors).toBeUndefined();
    expect(codeOf(await t.gql(CANCEL_NOTHING, {}, { token: await tokenFor("calm@limits") }))).toBe("NOT_FOUND");
  });

  it("counts every root field, so aliases cannot pack more mutations into one request", async () => {
    const token = await tokenFor("aliases@limits");
    const twice = /* GraphQL */ `mutation { a: cancelTask(id: "nothing") { id } b: cancelTask(id: "nothing") { id } }`;
    expect(codeOf(await t.gql(twice, {}, { token }))).toBe("NOT_FOUND");
    expectRateLimited(await t.gql(twice, {}, { token })); // 4 > 3
    expectRateLimited(await t.gql(CANCEL_NOTHING, {}, { token }));
  });

  it("does not count an admin's mutations", async () => {
    for (let i = 0; i < MUTATIONS_PER_MINUTE + 2; i++) {
      await upsertChannel(t, { name: "gateway", baseUrl: mock.baseUrl, apiKey: mock.apiKey, models: ["sora-2"] });
    }
  });

  it("moves no money and starts no job when it refuses a createVideo", async () => {
    const subject = "spender@limits";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "10");
    const create = (i: number) =>
      t.gql(CREATE_VIDEO, { input: { model: "sora-2", prompt: `spender ${i} ${HOLD}`, seconds: 4, size: "1280x720" } }, { token });
    for (let i = 0; i < MUTATIONS_PER_MINUTE; i++) expect((await create(i)).errors).toBeUndefined();
    expectRateLimited(await create(MUTATIONS_PER_MINUTE));

    expect((await t.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "8.8", held: "1.2" });
    expect((await ledgerOf(t, subject)).map((e) => e.kind)).toEqual(["CREDIT", "HOLD", "HOLD", "HOLD"]);
    const creates = mock.requests.filter(
      (r) => r.method === "POST" && r.path === "/v1/videos" && String(r.fields.prompt).startsWith("spender"),
    );
    expect(creates).toHaveLength(MUTATIONS_PER_MINUTE);
    expect(await checkMoney(database.url)).toMatchObject({ violations: [] });
  });
});

describe("requests without credentials (RATE_LIMIT_ANON_PER_MINUTE)", () => {
  const post = (app: TestApp, headers: Record<string, string> = {}) =>
    fetch(app.url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: '{"query":"{ __typename }"}' });
  const graphiql = () => fetch(t.url, { headers: { accept: "text/html" } });

  it("answers an address over the limit with 429 RATE_LIMITED and Retry-After; GraphiQL counts, probes, preflights and valid tokens do not", async () => {
    expect((await graphiql()).status).toBe(200);
    expect((await post(t)).status).toBe(200);
    // a token that does not verify is no credential
    const forged = await post(t, { authorization: `Bearer ${await tokenFor("forger@limits", { secret: "another secret" })}` });
    expect(forged.status).toBe(401);

    const refused = await post(t);
    expect(refused.status).toBe(429);
    const body = (await refused.json()) as GraphQLResponse;
    expectRateLimited(body);
    expect(refused.headers.get("retry-after")).toBe(String(body.errors![0].extensions!.retryAfter));
    expect((await graphiql()).status).toBe(429);
    // Without TRUST_PROXY the header is the client's word, not its address.
    expect((await post(t, { "x-forwarded-for": "198.51.100.9" })).status).toBe(429);

    // A browser's CORS preflight carries no credentials by design: it is not counted.
    const preflight = await fetch(t.url, {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBeLessThan(300);
    for (let i = 0; i < 2 * ANONYMOUS_PER_MINUTE; i++) {
      expect((await fetch(`${t.origin}/health`)).status).toBe(200);
      expect((await fetch(`${t.origin}/ready`)).status).toBe(200);
    }
    const signedIn = await t.gql(ME, {}, { token: await tokenFor("member@limits") });
    expect(signedIn.status).toBe(200);
    expect(signedIn.errors).toBeUndefined();
  });

  it("with TRUST_PROXY, counts the left-most X-Forwarded-For address, an IPv6 client by its /64", async () => {
    const from = async (forwardedFor: string) => (await post(proxied, { "x-forwarded-for": forwardedFor })).status;
    expect(await from("203.0.113.7")).toBe(200);
    expect(await from("203.0.113.7, 10.0.0.1")).toBe(200);
    expect(await from("203.0.113.7, 10.0.0.2")).toBe(429);
    expect(await from("203.0.113.8, 203.0.113.7")).toBe(200);
    expect(await from("::ffff:203.0.113.8")).toBe(200); // the same client as 203.0.113.8
    expect(await from("203.0.113.8")).toBe(429);

    expect(await from("2001:db8:1:2::1")).toBe(200);
    expect(await from("2001:db8:1:2:ffff::9")).toBe(200);
    expect(await from("2001:db8:1:2::abcd")).toBe(429);
    expect(await from("2001:db8:1:3::1")).toBe(200);
  });
});

describe("connections (MAX_SOCKETS_PER_USER, MAX_SUBSCRIPTIONS_PER_SOCKET)", () => {
  it("closes a user's connection over the limit at init with 4429 and a reason, and admits one again once another closes", async () => {
    const token = await signedIn("sockets@limits");
    const [first, second] = [open(t, token), open(t, token)];
    expect(await first.outcome).toEqual({ open: true });
    expect(await second.outcome).toEqual({ open: true });
    expect(await open(t, token).outcome).toEqual({ open: false, code: 4429, reason: "Too many connections" });
    // another user is not affected
    expect(await open(t, await signedIn("neighbour@limits")).outcome).toEqual({ open: true });

    await first.dispose();
    await until("a connection to be admitted after one closed", async () => {
      const again = open(t, token);
      const outcome = await again.outcome;
      return outcome.open;
    });
    expect((await second.outcome).open).toBe(true);
    expect(await open(t, token).outcome).toMatchObject({ open: false, code: 4429 });
  });

  it("refuses a subscription over the limit with RATE_LIMITED while the connection and its other subscriptions stay", async () => {
    const token = await signedIn("subscriber@limits");
    const socket = open(t, token);
    expect(await socket.outcome).toEqual({ open: true });
    const started = Array.from({ length: SUBSCRIPTIONS_PER_SOCKET + 1 }, () => subscribeAndHold(socket.client, WATCH_ALL));
    const refusals = await Promise.all(started.map((s) => s.refusal));
    const refused = refusals.filter((r) => r !== null);
    expect(refused).toHaveLength(1);
    expect(refused[0]![0].extensions?.code).toBe("RATE_LIMITED");

    // The connection is still open and answers; queries are not subscriptions.
    expect((await runOnce(socket.client, ME)).errors).toBeUndefined();
    // The other subscriptions still deliver.
    const live = started.filter((_, i) => refusals[i] === null);
    await grantCredit(t, "subscriber@limits", "1");
    const created = await t.gql(CREATE_VIDEO, { input: { model: "sora-2", prompt: `watched ${HOLD}`, seconds: 4 } }, { token });
    expect(created.errors).toBeUndefined();
    await until("every live subscription to see the new task", () =>
      live.every((s) => s.results.some((r) => r.data?.taskProgress.id === created.data!.createVideo.id)),
    );
    live[0].dispose();
    await until("a subscription to be admitted after one ended", async () => {
      const next = subscribeAndHold(socket.client, WATCH_ALL, 200);
      return (await next.refusal) === null;
    });
    expect(await Promise.race([socket.closed.then(() => "closed"), new Promise((resolve) => setTimeout(() => resolve("open"), 100))])).toBe(
      "open",
    );
  });
});
