import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { channelHealth, circuitState } from "../src/channels/health.js";
import { routeChannels } from "../src/tasks/routing.js";
import { codeOf, startTestApp, type TestApp } from "./helpers/app.js";
import { createTestDatabase, type TestDatabase } from "./helpers/database.js";

let database: TestDatabase;
let t: TestApp;

const UPSERT_CHANNEL = /* GraphQL */ `mutation($input: ChannelInput!) { upsertChannel(input: $input) { name baseUrl } }`;
const CHANNEL = { provider: "openai", apiKey: "sk-channels-test-key", models: ["sora-2"] };

beforeAll(async () => {
  database = await createTestDatabase();
  // no worker: the only statements sent are the ones a test causes
  t = await startTestApp({ databaseUrl: database.url, config: { role: "api", circuitFailureThreshold: 3 } });
});

afterAll(async () => {
  await t?.stop();
  await database?.drop();
});

/** SQL statements this instance has sent so far (reelay_db_statements_total). */
async function statements() {
  return (await t.app.services.metrics.dbStatements.get()).values[0]?.value ?? 0;
}

async function statementsDuring(work: () => Promise<unknown>) {
  // The admin is resolved just before, so the work finds it remembered (callers are kept for half a second).
  await t.gql(`{ me { id } }`, {}, { token: t.adminToken });
  const before = await statements();
  await work();
  return (await statements()) - before;
}

describe("the circuit state of a channel", () => {
  const now = Date.parse("2026-11-23T12:00:00Z");
  const at = (offsetMs: number) => new Date(now + offsetMs);

  it("is CLOSED below the failure threshold", () => {
    expect(circuitState({ consecutiveFailures: 2, circuitOpenUntil: null }, 3, now)).toBe("CLOSED");
  });

  it("is OPEN until the cool-down ends, whatever the failure count", () => {
    expect(circuitState({ consecutiveFailures: 3, circuitOpenUntil: at(1) }, 3, now)).toBe("OPEN");
    expect(circuitState({ consecutiveFailures: 0, circuitOpenUntil: at(60_000) }, 3, now)).toBe("OPEN");
  });

  it("is HALF_OPEN once the cool-down is over while the failures that tripped it stand", () => {
    expect(circuitState({ consecutiveFailures: 3, circuitOpenUntil: at(0) }, 3, now)).toBe("HALF_OPEN");
    expect(circuitState({ consecutiveFailures: 4, circuitOpenUntil: null }, 3, now)).toBe("HALF_OPEN");
    expect(circuitState({ consecutiveFailures: 2, circuitOpenUntil: at(-1) }, 3, now)).toBe("CLOSED");
  });

  it("shows when the cool-down ends only while the circuit is open", () => {
    const failing = { consecutiveFailures: 3, lastError: "HTTP 500", lastErrorAt: at(-10) };
    expect(channelHealth({ ...failing, circuitOpenUntil: at(5_000) }, 3, now)).toEqual({
      state: "OPEN",
      consecutiveFailures: 3,
      openUntil: at(5_000),
      lastError: "HTTP 500",
      lastErrorAt: at(-10),
    });
    expect(channelHealth({ ...failing, circuitOpenUntil: at(-5_000) }, 3, now)).toMatchObject({ state: "HALF_OPEN", openUntil: null });
  });
});

describe("upsertChannel's baseUrl", () => {
  it.each([
    ["a version path", "https://gateway.example.com/v1"],
    ["a path with a trailing slash", "https://gateway.example.com/v1/"],
    ["a query", "https://gateway.example.com/?region=eu"],
    ["an empty query", "https://gateway.example.com?"],
    ["a fragment", "https://gateway.example.com/#videos"],
  ])("refuses %s: the base URL is the provider's origin only", async (_why, baseUrl) => {
    const res = await t.gql(UPSERT_CHANNEL, { input: { ...CHANNEL, name: "with-path", baseUrl } }, { token: t.adminToken });
    expect(codeOf(res)).toBe("BAD_USER_INPUT");
    expect(res.errors![0].extensions!.field).toBe("baseUrl");
    expect(res.errors![0].message).toContain("origin only, such as https://gateway.example.com");
    expect(await t.app.services.db.channel.findUnique({ where: { name: "with-path" } })).toBeNull();
  });

  it("keeps an origin, with its port, and drops trailing slashes", async () => {
    for (const [baseUrl, stored] of [
      ["https://Gateway.Example.com:8443/", "https://gateway.example.com:8443"],
      ["http://127.0.0.1:9000//", "http://127.0.0.1:9000"],
      ["https://gateway.example.com", "https://gateway.example.com"],
    ]) {
      const res = await t.gql(UPSERT_CHANNEL, { input: { ...CHANNEL, name: "origin-only", baseUrl } }, { token: t.adminToken });
      expect(res.errors, baseUrl).toBeUndefined();
      expect(res.data!.upsertChannel.baseUrl).toBe(stored);
    }
    await t.app.services.db.channel.delete({ where: { name: "origin-only" } });
  });
});

describe("resetChannelHealth", () => {
  it("answers NOT_FOUND for a channel name that does not exist", async () => {
    const res = await t.gql(`mutation { resetChannelHealth(name: "no-such-channel") { name } }`, {}, { token: t.adminToken });
    expect(codeOf(res)).toBe("NOT_FOUND");
    expect(res.errors![0].message).toBe('No channel named "no-such-channel"');
  });
});

describe("running tasks per channel", () => {
  /** channel name → running tasks on it */
  const RUNNING: Record<string, number> = { "busy-a": 2, "busy-b": 1, "idle-a": 0, "idle-b": 0, "busy-c": 3, "idle-c": 0 };

  beforeAll(async () => {
    const { db } = t.app.services;
    const user = await db.user.create({ data: { subject: "runner@channels" } });
    for (const [name, running] of Object.entries(RUNNING)) {
      const channel = await db.channel.create({
        data: { ...CHANNEL, name, baseUrl: "https://gateway.example.com", models: ["sora-2", "sora-2-pro"], maxConcurrency: 3 },
      });
      const task = { userId: user.id, channelId: channel.id, provider: "openai", model: "sora-2", prompt: name, deadlineAt: new Date() };
      for (let i = 0; i < running; i++) {
        await db.task.create({ data: { ...task, status: i % 2 === 0 ? "QUEUED" : "PROCESSING" } });
      }
      // ended tasks do not count
      await db.task.create({ data: { ...task, status: "COMPLETED" } });
      await db.task.create({ data: { ...task, status: "FAILED" } });
    }
    await t.gql(`{ me { id } }`, {}, { token: t.adminToken }); // the admin's user row, resolved once
  });

  it("answers Channel.runningTasks for every listed channel from one grouped query", async () => {
    const listing = await t.gql(`{ channels { name } }`, {}, { token: t.adminToken });
    const plain = await statementsDuring(() => t.gql(`{ channels { name } }`, {}, { token: t.adminToken }));
    let counted: { name: string; runningTasks: number }[] = [];
    const withCounts = await statementsDuring(async () => {
      counted = (await t.gql(`{ channels { name runningTasks } }`, {}, { token: t.adminToken })).data!.channels;
    });
    expect(listing.data!.channels.length).toBeGreaterThanOrEqual(Object.keys(RUNNING).length);
    expect(withCounts - plain).toBe(1);
    for (const [name, running] of Object.entries(RUNNING)) expect(counted).toContainEqual({ name, runningTasks: running });
  });

  it("routes a new task with one grouped count for all the limited channels that serve the model", async () => {
    let routed: string[] = [];
    const sent = await statementsDuring(async () => {
      routed = (await routeChannels(t.app.services, "sora-2-pro", null)).channels.map((c) => c.name);
    });
    expect(sent).toBe(2); // the serving channels, then their running tasks
    expect(routed.sort()).toEqual(["busy-a", "busy-b", "idle-a", "idle-b", "idle-c"]); // busy-c is at its limit of 3
  });

  it("counts once for a pinned channel with a limit, and not at all for one without", async () => {
    const { services } = t.app;
    expect(await statementsDuring(() => routeChannels(services, "sora-2-pro", "busy-b"))).toBe(2);
    const full = await routeChannels(services, "sora-2-pro", "busy-c");
    expect({ wait: full.wait, channels: full.channels.map((c) => c.name) }).toEqual({ wait: true, channels: ["busy-c"] });
    await services.db.channel.update({ where: { name: "busy-c" }, data: { whenFull: "REFUSE" } });
    await expect(routeChannels(services, "sora-2-pro", "busy-c")).rejects.toMatchObject({ extensions: { code: "RATE_LIMITED" } });
    await services.db.channel.update({ where: { name: "busy-c" }, data: { maxConcurrency: null } });
    expect(await statementsDuring(() => routeChannels(services, "sora-2-pro", "busy-c"))).toBe(1);
  });
});
