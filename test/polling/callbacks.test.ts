/**
 * Kling's push callback against the mock: a create carries a per-task callback_url on this
 * server; the mock's callback on a change of state moves the task at once, though the poll
 * interval is ten minutes. The URL is the credential: a forged one gets 404 and moves
 * nothing, and a repeated callback after the end changes nothing.
 */
import { describe, expect, it } from "vitest";
import { parseTaskId } from "../../src/schema/tasks.js";
import { CREATE_VIDEO, ledgerOf } from "../helpers/fixtures.js";
import { useTestApp } from "../helpers/use-test-app.js";
import { expectNothingWithin, until } from "../helpers/wait.js";

const POLL_INTERVAL_MS = 10 * 60_000;

const t = useTestApp({
  mock: "kling",
  config: { pollIntervalMs: POLL_INTERVAL_MS, providerCallbacks: true },
  channels: [{ name: "kling", models: ["kling-v2-6"] }],
});

const rowOf = (id: string) => t.app.services.db.task.findUniqueOrThrow({ where: { id } });

async function createKlingTask(subject: string) {
  const token = await t.userWithCredit(subject, "5");
  const res = await t.gql(
    CREATE_VIDEO,
    { input: { model: "kling-v2-6", prompt: `a crane over the river for ${subject}`, seconds: 5 } },
    { token },
  );
  expect(res.errors).toBeUndefined();
  const id = parseTaskId(res.data!.createVideo.id)!;
  const row = await rowOf(id);
  const upstreamId = row.upstreamId!;
  const polls = () => t.mock.requests.filter((r) => r.method === "GET" && r.path === `/v1/videos/text2video/${upstreamId}`).length;
  return { id, subject, upstreamId, polls, callbackUrl: String(t.mock.tasks.get(upstreamId)!.body.callback_url) };
}

const post = (url: string, body: unknown = { task_status: "succeed" }) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("Kling's push callback", () => {
  it("hands Kling a callback URL on this server for the task, and completes it right after Kling calls back", async () => {
    const task = await createKlingTask("pushed@polling");
    expect(task.callbackUrl.startsWith(`${t.origin}/callbacks/kling/${task.id}/`)).toBe(true);
    expect((await rowOf(task.id)).status).toBe("QUEUED");

    await t.mock.setTaskState(task.upstreamId, "succeed");
    expect(t.mock.callbacks.at(-1)).toMatchObject({ taskId: task.upstreamId, taskStatus: "succeed", answer: 204 });
    // Far sooner than the ten-minute poll interval: the callback moved the next poll to now.
    await until("completion after the callback", async () => (await rowOf(task.id)).status === "COMPLETED", 10_000);
    expect(task.polls()).toBe(1);
    const kinds = (await ledgerOf(t, task.subject)).filter((e) => e.taskId === task.id).map((e) => e.kind);
    expect(kinds).toEqual(["HOLD", "SETTLE"]);
    expect(await t.app.services.db.taskEvent.count({ where: { taskId: task.id, kind: "CALLBACK" } })).toBe(1);

    // A repeated callback (Kling retrying, or a replay) after the end changes nothing.
    expect(await t.mock.sendCallback(task.upstreamId)).toBe(204);
    await expectNothingWithin(1_000, "a replayed callback polled the finished task", () => task.polls() > 1);
    expect(await rowOf(task.id)).toMatchObject({ status: "COMPLETED" });
    const after = (await ledgerOf(t, task.subject)).filter((e) => e.taskId === task.id).map((e) => e.kind);
    expect(after).toEqual(["HOLD", "SETTLE"]);
  });

  it("answers 404 to a forged callback URL, whatever part is wrong, and moves nothing", async () => {
    const task = await createKlingTask("forged@polling");
    const other = await createKlingTask("forged-other@polling");
    const before = await rowOf(task.id);
    const token = task.callbackUrl.split("/").at(-1)!;
    const forged = [
      `${t.origin}/callbacks/kling/${task.id}/${token.slice(0, -2)}AA`,
      `${t.origin}/callbacks/kling/${task.id}/${other.callbackUrl.split("/").at(-1)}`,
      `${t.origin}/callbacks/openai/${task.id}/${token}`,
      `${t.origin}/callbacks/kling/${task.id}`,
    ];
    const answers = await Promise.all(forged.map(async (url) => ({ status: (await post(url)).status })));
    expect(answers).toEqual(forged.map(() => ({ status: 404 })));
    const bodies = await Promise.all(forged.map(async (url) => (await post(url)).text()));
    expect(new Set(bodies).size).toBe(1);

    await expectNothingWithin(1_000, "a forged callback polled the task", () => task.polls() > 0);
    const after = await rowOf(task.id);
    expect(after.nextPollAt).toEqual(before.nextPollAt);
    expect(after.status).toBe("QUEUED");
  });

  it("refuses a callback body over the bound and any method but POST", async () => {
    const task = await createKlingTask("bounded@polling");
    const huge = await fetch(task.callbackUrl, { method: "POST", body: "x".repeat(200 * 1024) });
    expect(huge.status).toBe(413);
    const get = await fetch(task.callbackUrl);
    expect(get.status).toBe(405);
    expect((await rowOf(task.id)).status).toBe("QUEUED");
  });
});
