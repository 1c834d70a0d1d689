import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./helpers/app.js";
import { CREATE_VIDEO, grantCredit, ME, upsertChannel } from "./helpers/fixtures.js";
import { Collector, wsClient } from "./helpers/subscriptions.js";
import { tokenFor } from "./helpers/tokens.js";
import { useMock, useStarted } from "./helpers/use-test-app.js";

// The defaults of `npm start`: PGlite on disk, in-process pub/sub, local-disk media.
const scratch = useStarted(
  async () => ({ dir: await mkdtemp(path.join(tmpdir(), "reelay-embedded-")) }),
  ({ dir }) => rm(dir, { recursive: true, force: true }),
);
const mock = useMock("openai");

describe("the embedded default (PGlite, in-process pub/sub, local media)", () => {
  it("runs a whole task, and keeps its data across a restart", async () => {
    const databaseUrl = `pglite:${path.join(scratch.dir, "pglite")}`;
    const mediaDir = path.join(scratch.dir, "media");
    let t: TestApp = await startTestApp({ databaseUrl, config: { mediaDir } });
    const token = await tokenFor("embedded@user");
    let taskId: string;
    try {
      expect(t.app.services.config.redisUrl).toBeNull();
      await upsertChannel(t, { name: "local", baseUrl: mock.baseUrl, apiKey: mock.apiKey, models: ["sora-2"] });
      await grantCredit(t, "embedded@user", "1");
      const created = await t.gql(CREATE_VIDEO, { input: { model: "sora-2", prompt: "embedded default" } }, { token });
      expect(created.errors).toBeUndefined();
      taskId = created.data!.createVideo.id;

      const client = wsClient(t.wsUrl, token);
      const updates = new Collector(client, `subscription($id: ID!) { taskProgress(id: $id) { status progress videoUrl } }`, {
        id: taskId,
      });
      const done = await updates.until((d) => d.taskProgress.status === "COMPLETED", 15_000);
      client.dispose();
      expect(done).not.toBeNull();
      const media = await fetch(done!.data!.taskProgress.videoUrl);
      expect(media.status).toBe(200);
      expect(media.headers.get("content-type")).toBe("video/mp4");
      expect((await t.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "0.6", held: "0" });
    } finally {
      await t.stop();
    }

    t = await startTestApp({ databaseUrl, config: { mediaDir } });
    try {
      const again = await t.gql(`query($id: ID!) { videoTask(id: $id) { status cost } }`, { id: taskId }, { token });
      expect(again.data!.videoTask).toEqual({ status: "COMPLETED", cost: "0.4" });
    } finally {
      await t.stop();
    }
  });
});
