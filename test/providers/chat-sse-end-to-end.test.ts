import { describe, expect, it } from "vitest";
import { parseTaskId } from "../../src/schema/tasks.js";
import { createPoller } from "../../src/worker/poller.js";
import { codeOf, startTestApp } from "../helpers/app.js";
import { createTestDatabase } from "../helpers/database.js";
import { CREATE_VIDEO, grantCredit, ledgerOf, ME, upsertChannel, waitForTask } from "../helpers/fixtures.js";
import { tokenFor } from "../helpers/tokens.js";
import { useTestApp } from "../helpers/use-test-app.js";
import { expectNothingWithin, until } from "../helpers/wait.js";
import { chatSseFailures } from "../mocks/chat-sse.js";
import { bytesAt, runTask } from "./end-to-end.js";

const MODEL = "sora_video2-landscape";

const t = useTestApp({ mock: "chat-sse", channels: [{ name: "reseller", models: [MODEL, "sora_video2-15s"] }] });
const { mock } = t;

describe("a reseller's streamed task through GraphQL", () => {
  it("pushes progress from the stream to the subscription, mirrors the linked video and charges the hold", async () => {
    const { created, last, me } = await runTask(t, "sse@reseller", "1", { model: MODEL, prompt: "a surfing cat at sunset" });
    expect(created).toMatchObject({ provider: "chat-sse", channel: "reseller", seconds: 10, cost: "0.1" });
    expect(last).toMatchObject({ status: "COMPLETED", progress: 100, cost: "0.1" });
    expect((await bytesAt(last.videoUrl!)).bytes.equals(mock.videos.get(mock.finished.at(-1)!)!)).toBe(true);
    expect(me).toMatchObject({ balance: "0.9", held: "0" });
  });

  it("shows the progress figures the stream reports on the subscription before the end", async () => {
    const { states } = await runTask(t, "watcher@reseller", "1", { model: MODEL, prompt: "a watched stream" });
    const running = states.filter((s) => s.status === "PROCESSING").map((s) => s.progress);
    // Each figure the stream printed (12%, 36%, 76.5%) reaches subscribers; a slow one may see only the latest.
    expect(running.length).toBeGreaterThan(0);
    for (const p of running) expect([12, 36, 76]).toContain(p);
    expect(states.at(-1)!.status).toBe("COMPLETED");
    expect(mock.requests.at(-1)!.body).toMatchObject({
      model: MODEL,
      stream: true,
      messages: [{ role: "user", content: "a watched stream" }],
    });
  });

  it("fails a dropped stream cleanly and releases the hold", async () => {
    const { last, me } = await runTask(t, "dropped@reseller", "1", { model: MODEL, prompt: "a broken line [drop]" });
    expect(last).toMatchObject({ status: "FAILED", cost: "0", error: { code: "STREAM_DROPPED" } });
    expect(me).toMatchObject({ balance: "1", held: "0" });
  });

  it("retries 503s before the stream starts and then completes", async () => {
    mock.failNext(2, chatSseFailures.overloaded());
    const { last } = await runTask(t, "retried@reseller", "1", { model: MODEL, prompt: "an overloaded gateway" });
    expect(last.status).toBe("COMPLETED");
  });

  it("fails, with its hold released, a stream that a worker which has since died had opened", async () => {
    // A database of its own: the file's app runs a worker that would otherwise open the stream first.
    const orphans = await createTestDatabase();
    const api = await startTestApp({ databaseUrl: orphans.url, config: { role: "api" } });
    try {
      await upsertChannel(api, { name: "reseller", provider: "chat-sse", baseUrl: mock.baseUrl, apiKey: mock.apiKey, models: [MODEL] });
      const subject = "orphan@reseller";
      const token = await tokenFor(subject);
      await grantCredit(api, subject, "1");
      const created = await api.gql(CREATE_VIDEO, { input: { model: MODEL, prompt: "an orphaned stream" } }, { token });
      const id = parseTaskId(created.data!.createVideo.id)!;
      // Another worker opened the stream and died: its lease has lapsed.
      const row = await api.app.services.db.task.findUniqueOrThrow({ where: { id } });
      await api.app.services.db.task.update({
        where: { id },
        data: {
          upstreamState: { ...(row.upstreamState as object), started: true },
          leaseOwner: "dead-worker",
          leaseUntil: new Date(Date.now() - 1000),
        },
      });
      const worker = createPoller(api.app.services);
      await until("a worker to take the orphaned stream over", async () => {
        await worker.tick();
        return (await api.app.services.db.task.findUniqueOrThrow({ where: { id } })).status !== "QUEUED";
      });
      await worker.close();
      const ended = await waitForTask(api, token, created.data!.createVideo.id, (x) => x.status === "FAILED");
      expect(ended).toMatchObject({ cost: "0", error: { code: "UPSTREAM_ERROR" } });
      expect((await api.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "1", held: "0" });
      expect((await ledgerOf(api, subject)).filter((e) => e.taskId === id).map((e) => e.kind)).toEqual(["HOLD", "RELEASE"]);
    } finally {
      await api.stop();
      await orphans.drop();
    }
  });

  it("stops the stream as soon as the task is cancelled, and charges nothing", async () => {
    const subject = "cancelled@reseller";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "1");
    const created = await t.gql(CREATE_VIDEO, { input: { model: MODEL, prompt: "[held] a cancelled stream" } }, { token });
    const id = created.data!.createVideo.id;
    await waitForTask(t, token, id, (x) => x.status === "PROCESSING" && x.progress >= 77);
    expect(mock.openStreams()).toBe(1);

    const cancelled = await t.gql(`mutation($id: ID!) { cancelTask(id: $id) { status cost } }`, { id }, { token });
    expect(cancelled.data!.cancelTask).toEqual({ status: "CANCELLED", cost: "0" });
    // The bus tells the worker at once: the connection closes well before a poll of the row would.
    await until("the stream's connection to close", () => mock.openStreams() === 0, 1_000);
    expect(await waitForTask(t, token, id, () => true)).toMatchObject({ status: "CANCELLED", cost: "0" });
    expect((await t.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "1", held: "0" });
    expect((await ledgerOf(t, subject)).filter((e) => e.taskId === parseTaskId(id)).map((e) => e.kind)).toEqual(["HOLD", "RELEASE"]);
  });

  it("refuses what a reseller model does not take before opening any stream", async () => {
    const token = await tokenFor("picky@reseller");
    await grantCredit(t, "picky@reseller", "1");
    const before = mock.requests.length;
    for (const [input, field] of [
      [{ model: MODEL, seconds: 15 }, "seconds"],
      [{ model: MODEL, aspectRatio: "16:9" }, "aspectRatio"],
    ] as const) {
      const res = await t.gql(CREATE_VIDEO, { input: { prompt: "a refused request", ...input } }, { token });
      expect(codeOf(res)).toBe("BAD_USER_INPUT");
      expect(res.errors![0].extensions!.field).toBe(field);
    }
    await expectNothingWithin(200, "a stream opened for a refused request", () => mock.requests.length > before);
    expect(mock.requests.length).toBe(before);
    expect((await t.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "1", held: "0" });
  });
});
