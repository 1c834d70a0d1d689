import { describe, expect, it } from "vitest";
import { codeOf } from "../helpers/app.js";
import { CREATE_VIDEO, grantCredit } from "../helpers/fixtures.js";
import { tokenFor } from "../helpers/tokens.js";
import { useTestApp } from "../helpers/use-test-app.js";
import { bytesAt, runTask } from "./end-to-end.js";

const t = useTestApp({ mock: "kling", channels: [{ name: "kling", models: ["kling-v2-5-turbo", "kling-v2-1-master"] }] });
const { mock } = t;

describe("a Kling task through GraphQL", () => {
  it("runs in pro mode for a 1080p size, mirrors the video, and charges what Kling made, never above the hold", async () => {
    const { created, last, row, me } = await runTask(t, "pro@kling", "5", {
      model: "kling-v2-5-turbo",
      prompt: "a paper crane",
      seconds: 10,
      size: "1920x1080",
      channel: "kling",
    });
    expect(created).toMatchObject({ provider: "kling", cost: "0.7" });
    expect(mock.tasks.get(row.upstreamId!)!.body).toMatchObject({ mode: "pro", duration: "10", aspect_ratio: "16:9" });
    // Kling reports 10.1 s for a 10 s request: the charge stops at the hold.
    expect(last).toMatchObject({ status: "COMPLETED", cost: "0.7" });
    expect((await bytesAt(last.videoUrl!)).bytes.equals(mock.contentOf(row.upstreamId!))).toBe(true);
    expect(me).toMatchObject({ balance: "4.3", held: "0" });
  });

  it("fails a task that does not pass Kling's risk control and charges nothing", async () => {
    const { last, me } = await runTask(t, "risky@kling", "1", { model: "kling-v2-5-turbo", prompt: "a storm [fail]" });
    expect(last).toMatchObject({ status: "FAILED", cost: "0", error: { code: "CONTENT_POLICY" } });
    expect(me).toMatchObject({ balance: "1", held: "0" });
  });

  it("refuses durations and sizes Kling does not make before any upstream call", async () => {
    const token = await tokenFor("picky@kling");
    await grantCredit(t, "picky@kling", "5");
    const before = mock.requests.length;
    for (const [input, message] of [
      [{ model: "kling-v2-5-turbo", seconds: 8 }, /5, 10/],
      [{ model: "kling-v2-1-master", size: "1280x720" }, /1920x1080, 1080x1920, 1080x1080/],
      [{ model: "kling-v2-5-turbo", aspectRatio: "4:3" }, /16:9, 9:16, 1:1/],
    ] as const) {
      const res = await t.gql(CREATE_VIDEO, { input: { prompt: "a refused request", ...input } }, { token });
      expect(codeOf(res)).toBe("BAD_USER_INPUT");
      expect(res.errors![0].message).toMatch(message);
    }
    expect(mock.requests.length).toBe(before);
  });
});
