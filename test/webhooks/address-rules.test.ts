/**
 * A webhook URL follows the address rules of reference image URLs: refused before anything is
 * held when it names a private, loopback or link-local address (unless ALLOW_PRIVATE_NETWORKS),
 * and checked again when each delivery resolves its host, so DNS rebinding reaches nothing.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { fakeDns } from "../helpers/fake-dns.js";
import { CREATE_VIDEO } from "../helpers/fixtures.js";
import { useTestApp } from "../helpers/use-test-app.js";
import { until } from "../helpers/wait.js";
import { type Receiver, startReceiver } from "./receiver.js";

vi.mock("node:dns/promises", async (original) => (await import("../helpers/fake-dns.js")).withFakeLookup(await original()));

const PUBLIC_ADDRESS = "93.184.216.34";

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver?.close());
beforeEach(() => {
  fakeDns.reset();
  fakeDns.records.set("hooks.example.test", [PUBLIC_ADDRESS]);
  fakeDns.records.set("intranet.example.test", ["192.168.1.10"]);
});

type App = ReturnType<typeof useTestApp<"openai">>;

const create = (app: App, token: string, webhook: Record<string, unknown>) =>
  app.gql(CREATE_VIDEO, { input: { model: "sora-2", prompt: "webhook address", seconds: 4, size: "1280x720", ...webhook } }, { token });

describe("without ALLOW_PRIVATE_NETWORKS", () => {
  const app = useTestApp({
    mock: "openai",
    mockOptions: { script: { queuedPolls: 2, progressSteps: [] } },
    channels: [{ name: "gateway", models: ["sora-2"] }],
    config: { allowPrivateNetworks: false, webhookRetryBaseMs: 20, webhookRetryMaxMs: 50 },
  });

  it.each([
    ["the receiver on loopback", () => `${receiver.origin}/hook`],
    ["localhost", () => "http://localhost:8080/hook"],
    ["IPv6 loopback", () => "http://[::1]/hook"],
    ["a private address", () => "https://10.1.2.3/hook"],
    ["a cloud metadata address", () => "http://169.254.169.254/latest/meta-data"],
    ["a name that resolves to a private address", () => "https://intranet.example.test/hook"],
    ["a scheme other than http(s)", () => "ftp://hooks.example.test/hook"],
    ["embedded credentials", () => "https://user:secret@hooks.example.test/hook"],
    ["a malformed URL", () => "not a url"],
    ["a URL past the length limit", () => `https://hooks.example.test/${"a".repeat(2_100)}`],
  ])("refuses %s as webhookUrl with BAD_USER_INPUT, before anything is held", async (_what, url) => {
    const subject = `refused-${Math.random().toString(36).slice(2)}@webhooks`;
    const token = await app.userWithCredit(subject, "10");
    const res = await create(app, token, { webhookUrl: url() });
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "webhookUrl" });
    expect(res.errors?.[0]?.message).toMatch(/^webhookUrl /);
    const user = await app.app.services.db.user.findUniqueOrThrow({ where: { subject }, include: { tasks: true } });
    expect(user.tasks).toEqual([]);
    expect(user.held).toBe(0n);
  });

  it("refuses an event filter without a webhookUrl", async () => {
    const token = await app.userWithCredit("filter-alone@webhooks", "10");
    const res = await create(app, token, { webhookEvents: ["COMPLETED"] });
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "webhookEvents" });
  });

  it("resolves the host again at delivery: a name rebound to a private address is refused and never reached", async () => {
    const token = await app.userWithCredit("rebind@webhooks", "10");
    const port = new URL(receiver.origin).port;
    const res = await create(app, token, { webhookUrl: `http://hooks.example.test:${port}/rebind`, webhookEvents: ["COMPLETED"] });
    expect(res.errors).toBeUndefined();
    // accepted on a public address; by the time the task ends, the name points at the receiver on loopback
    fakeDns.records.set("hooks.example.test", ["127.0.0.1"]);
    const id = res.data!.createVideo.id;
    const delivery = await until("a refused delivery attempt", async () => {
      const task = await app.gql(
        `query($id: ID!) { videoTask(id: $id) { webhookDeliveries { attempts lastStatus lastError deliveredAt } } }`,
        { id },
        { token },
      );
      const [d] = task.data?.videoTask.webhookDeliveries ?? [];
      return d?.lastError && d;
    });
    expect(delivery).toMatchObject({ lastStatus: null, deliveredAt: null });
    expect(delivery.lastError).toMatch(/not a public internet address/);
    expect(receiver.at("/rebind")).toEqual([]);
  });
});

describe("with ALLOW_PRIVATE_NETWORKS", () => {
  const app = useTestApp({
    mock: "openai",
    mockOptions: { script: { queuedPolls: 0, progressSteps: [] } },
    channels: [{ name: "gateway", models: ["sora-2"] }],
    config: { allowPrivateNetworks: true },
  });

  it("accepts a webhookUrl on loopback and delivers to it", async () => {
    const token = await app.userWithCredit("allowed@webhooks", "10");
    const res = await create(app, token, { webhookUrl: `${receiver.origin}/allowed`, webhookEvents: ["COMPLETED"] });
    expect(res.errors).toBeUndefined();
    await receiver.waitFor("/allowed", 1);
    expect(receiver.at("/allowed").map((r) => r.event)).toEqual(["completed"]);
  });

  it("still refuses a cloud metadata address", async () => {
    const token = await app.userWithCredit("metadata@webhooks", "10");
    const res = await create(app, token, { webhookUrl: "http://169.254.169.254/latest/meta-data" });
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "webhookUrl" });
  });
});
