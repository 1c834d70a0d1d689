import { describe, expect, it } from "vitest";
import { codeOf } from "../helpers/app.js";
import { CREATE_VIDEO, grantCredit } from "../helpers/fixtures.js";
import { tinyPng } from "../helpers/images.js";
import { tokenFor } from "../helpers/tokens.js";
import { useTestApp } from "../helpers/use-test-app.js";
import { bytesAt, runTask } from "./end-to-end.js";

const t = useTestApp({ mock: "dashscope", channels: [{ name: "wan", models: ["wan2.5-t2v-preview", "wan2.5-i2v-preview"] }] });
const { mock } = t;

describe("a Wan task through GraphQL", () => {
  it("runs on DashScope, mirrors the video and settles by the seconds reported in usage", async () => {
    const { created, last, row, me } = await runTask(t, "wan@dashscope", "3", {
      model: "wan2.5-t2v-preview",
      prompt: "a bamboo forest in wind",
      seconds: 10,
      aspectRatio: "16:9",
    });
    expect(created).toMatchObject({ provider: "dashscope", channel: "wan", size: "1280x720", cost: "1" });
    expect(mock.tasks.get(row.upstreamId!)!.body.parameters).toMatchObject({ size: "1280*720", duration: 10 });
    expect(last).toMatchObject({ status: "COMPLETED", progress: 100, cost: "1" });
    expect((await bytesAt(last.videoUrl!)).bytes.equals(mock.contentOf(row.upstreamId!))).toBe(true);
    expect(me).toMatchObject({ balance: "2", held: "0" });
  });

  it("fails a video stopped by output moderation as CONTENT_POLICY and charges nothing", async () => {
    const { last, me } = await runTask(t, "moderated@dashscope", "1", { model: "wan2.5-t2v-preview", prompt: "a riot [fail]", seconds: 5 });
    expect(last).toMatchObject({ status: "FAILED", cost: "0", error: { code: "CONTENT_POLICY" } });
    expect(me).toMatchObject({ balance: "1", held: "0" });
  });

  it("refuses an image for a text-to-video model, no image for an image-to-video one, and a duration Wan does not make", async () => {
    const token = await tokenFor("picky@dashscope");
    await grantCredit(t, "picky@dashscope", "5");
    const before = mock.requests.length;
    const image = `data:image/png;base64,${tinyPng().toString("base64")}`;
    for (const [input, field] of [
      [{ model: "wan2.5-t2v-preview", inputReferenceUrl: image }, "inputReference"],
      [{ model: "wan2.5-i2v-preview" }, "inputReference"],
      [{ model: "wan2.5-t2v-preview", seconds: 15 }, "seconds"],
    ] as const) {
      const res = await t.gql(CREATE_VIDEO, { input: { prompt: "a refused request", ...input } }, { token });
      expect(codeOf(res)).toBe("BAD_USER_INPUT");
      expect(res.errors![0].extensions!.field).toBe(field);
    }
    expect(mock.requests.length).toBe(before);
  });
});
