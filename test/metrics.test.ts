import { describe, expect, it } from "vitest";
import { parseTaskId } from "../src/schema/tasks.js";
import { startTestApp } from "./helpers/app.js";
import { CREATE_VIDEO, grantCredit, waitForTask } from "./helpers/fixtures.js";
import { Collector, wsClient } from "./helpers/subscriptions.js";
import { tokenFor } from "./helpers/tokens.js";
import { useTestApp } from "./helpers/use-test-app.js";
import { until } from "./helpers/wait.js";
import { mockFailures } from "./mocks/openai-videos.js";

const t = useTestApp({
  mock: "openai",
  mockOptions: { scripts: { "[hold]": { queuedPolls: 10_000 } } },
  channels: [{ name: "gateway", models: ["sora-2"] }],
});
const { mock } = t;

/** One sample of a metric, by name and labels, from the Prometheus text. */
async function sample(name: string, labels: Record<string, string> = {}) {
  const res = await fetch(`${t.origin}/metrics`);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
  const text = await res.text();
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const present = Object.fromEntries(
      (m[2] ?? "")
        .split(",")
        .filter(Boolean)
        .map((kv) => kv.split("=").map((x) => x.replace(/"/g, ""))),
    );
    if (Object.entries(labels).every(([k, v]) => present[k] === v)) return Number(m[3]);
  }
  return null;
}

describe("/metrics", () => {
  it("counts tasks by status, polls, mirrored bytes and open WebSockets", async () => {
    const token = await tokenFor("metrics@test");
    await grantCredit(t, "metrics@test", "5");
    const created = await t.gql(CREATE_VIDEO, { input: { model: "sora-2", prompt: "a measured task", seconds: 4 } }, { token });
    await waitForTask(t, token, created.data!.createVideo.id, (x) => x.status === "COMPLETED");
    const row = await t.app.services.db.task.findUniqueOrThrow({ where: { id: parseTaskId(created.data!.createVideo.id)! } });

    expect(await sample("reelay_tasks", { status: "COMPLETED" })).toBe(1);
    expect(await sample("reelay_tasks", { status: "FAILED" })).toBe(0);
    expect(await sample("reelay_poll_duration_seconds_count", { provider: "openai" })).toBeGreaterThanOrEqual(1);
    expect(await sample("reelay_mirror_bytes_total")).toBeGreaterThanOrEqual(mock.contentOf(row.upstreamId!).length);

    const client = wsClient(t.wsUrl, token);
    const watching = new Collector(client, `subscription { taskProgress { id } }`);
    await until("the socket to be counted", async () => (await sample("reelay_websocket_connections")) === 1);
    watching.dispose();
    await client.dispose();
    await until("the socket to be uncounted", async () => (await sample("reelay_websocket_connections")) === 0);
  });

  it("counts upstream errors by channel, operation and code", async () => {
    const token = await tokenFor("errors@metrics");
    await grantCredit(t, "errors@metrics", "5");
    mock.failNext(1, { method: "POST", path: "/v1/videos" }, mockFailures.moderation());
    await t.gql(CREATE_VIDEO, { input: { model: "sora-2", prompt: "a refused task", seconds: 4 } }, { token });
    expect(await sample("reelay_upstream_errors_total", { channel: "gateway", operation: "submit", code: "CONTENT_POLICY" })).toBe(1);
  });

  it("counts leases taken over from a worker that stopped renewing them", async () => {
    const token = await tokenFor("lease@metrics");
    await grantCredit(t, "lease@metrics", "5");
    const created = await t.gql(CREATE_VIDEO, { input: { model: "sora-2", prompt: "an abandoned task [hold]", seconds: 4 } }, { token });
    const id = parseTaskId(created.data!.createVideo.id)!;
    const before = (await sample("reelay_leases_taken_over_total")) ?? 0;
    await t.app.services.db.task.update({
      where: { id },
      data: { leaseOwner: "a-dead-worker", leaseUntil: new Date(Date.now() - 1000), nextPollAt: new Date() },
    });
    await until("the takeover to be counted", async () => ((await sample("reelay_leases_taken_over_total")) ?? 0) > before);
  });

  it("counts the SQL statements this instance sends to PostgreSQL", async () => {
    const before = (await sample("reelay_db_statements_total"))!;
    expect(before).toBeGreaterThan(0);
    // A caller not seen before: the user is upserted, then `me` reads it.
    const token = await tokenFor("statements@metrics");
    await t.gql(`query { me { id } }`, {}, { token });
    const after = (await sample("reelay_db_statements_total"))!;
    expect(after - before).toBeGreaterThanOrEqual(2);
  });

  it("is served by a worker too, which serves no API", async () => {
    const worker = await startTestApp({ databaseUrl: t.database.url, config: { role: "worker" } });
    try {
      const res = await fetch(`${worker.origin}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/^# HELP reelay_tasks /m);
      expect((await fetch(worker.url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).status).toBe(404);
    } finally {
      await worker.stop();
    }
  });
});
