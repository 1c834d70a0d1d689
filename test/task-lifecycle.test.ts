import { describe, expect, it } from "vitest";
import { CREATE_VIDEO, grantCredit, ledgerOf, ME, waitForTask } from "./helpers/fixtures.js";
import { Collector, wsClient } from "./helpers/subscriptions.js";
import { tokenFor } from "./helpers/tokens.js";
import { useTestApp } from "./helpers/use-test-app.js";

const t = useTestApp({ mock: "openai", channels: [{ name: "gateway", models: ["sora-2", "sora-2-pro"] }] });
const { mock } = t;

describe("a video task from create to mirrored media", () => {
  it("streams progress over graphql-ws, completes, serves the mirrored bytes and settles the hold", async () => {
    const subject = "alice@lifecycle";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "10");

    const created = await t.gql(
      CREATE_VIDEO,
      { input: { model: "sora-2", prompt: "a red fox in snow", seconds: 8, size: "1280x720" } },
      { token },
    );
    expect(created.errors).toBeUndefined();
    const task = created.data!.createVideo;
    expect(task).toMatchObject({
      status: "QUEUED",
      model: "sora-2",
      provider: "openai",
      channel: "gateway",
      seconds: 8,
      size: "1280x720",
      cost: "0.8",
    });
    expect((await t.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "9.2", held: "0.8" });

    const client = wsClient(t.wsUrl, token);
    const updates = new Collector(client, `subscription($id: ID!) { taskProgress(id: $id) { id status progress videoUrl cost } }`, {
      id: task.id,
    });
    const seen: { status: string; progress: number }[] = [];
    for (;;) {
      const next = await updates.next(10_000);
      expect(next, "the subscription went quiet before the task finished").not.toBeNull();
      expect(next!.errors).toBeUndefined();
      seen.push(next!.data!.taskProgress);
      if (next!.data!.taskProgress.status === "COMPLETED") break;
    }
    expect(await updates.completion(), "a subscription by id completes after the terminal state").toBe(true);
    client.dispose();

    // Progress never goes backwards and ends at 100.
    const progress = seen.map((s) => s.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(seen.some((s) => s.status === "PROCESSING")).toBe(true);
    expect(seen.at(-1)).toMatchObject({ status: "COMPLETED", progress: 100, cost: "0.8" });

    const done = await waitForTask(t, token, task.id, (x) => x.status === "COMPLETED");
    const upstreamId = [...mock.jobs.values()].find((j) => j.video.prompt === "a red fox in snow")!.video.id;
    const media = await fetch(done.videoUrl);
    expect(media.status).toBe(200);
    expect(media.headers.get("content-type")).toBe("video/mp4");
    expect(Buffer.from(await media.arrayBuffer()).equals(mock.contentOf(upstreamId))).toBe(true);

    expect((await t.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "9.2", held: "0" });
    const ledger = await ledgerOf(t, subject);
    expect(ledger.map((e) => e.kind)).toEqual(["CREDIT", "HOLD", "SETTLE"]);
  });
});
