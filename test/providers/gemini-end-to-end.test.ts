import { describe, expect, it } from "vitest";
import { codeOf } from "../helpers/app.js";
import { CREATE_VIDEO, grantCredit, ME } from "../helpers/fixtures.js";
import { tokenFor } from "../helpers/tokens.js";
import { useTestApp } from "../helpers/use-test-app.js";
import { bytesAt, runTask } from "./end-to-end.js";

const MODEL = "veo-3.0-fast-generate-001";

const t = useTestApp({
  mock: "gemini",
  mockOptions: { pollsUntilDone: 3 },
  channels: [{ name: "veo", models: [MODEL, "veo-3.1-generate-preview"] }],
  // The mock's storage host, where the API redirects downloads, is another local server: an untrusted private address.
  config: { allowPrivateNetworks: true },
});
const { mock } = t;

describe("a Veo task through GraphQL", () => {
  it("is submitted on the pinned gemini channel, streams progress, mirrors the video and settles by the seconds made", async () => {
    const { created, last, row, me } = await runTask(t, "veo@gemini", "5", {
      model: MODEL,
      prompt: "a lighthouse in a storm",
      seconds: 8,
      aspectRatio: "9:16",
      channel: "veo",
    });
    expect(created).toMatchObject({ provider: "gemini", channel: "veo", seconds: 8, size: "720x1280", cost: "1.2" });
    expect(last).toMatchObject({ status: "COMPLETED", progress: 100, cost: "1.2" });
    expect(mock.operations.get(row.upstreamId!)!.parameters).toMatchObject({ aspectRatio: "9:16", resolution: "720p", durationSeconds: 8 });
    const media = await bytesAt(last.videoUrl!);
    expect(media.type).toBe("video/mp4");
    expect(media.bytes.equals(mock.contentOf(row.upstreamId!))).toBe(true);
    expect(me).toMatchObject({ balance: "3.8", held: "0" });
  });

  it("fails a video removed by the safety filter as CONTENT_POLICY and charges nothing", async () => {
    const { last, me } = await runTask(t, "filtered@gemini", "5", { model: MODEL, prompt: "a crowd [rai]", seconds: 4 });
    expect(last).toMatchObject({ status: "FAILED", cost: "0", error: { code: "CONTENT_POLICY" } });
    expect(me).toMatchObject({ balance: "5", held: "0" });
  });

  it("refuses what Veo does not make before any upstream call, naming the allowed values, and charges nothing", async () => {
    const subject = "picky@gemini";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "5");
    const before = mock.requests.length;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ model: MODEL, seconds: 5 }, /4, 6, 8/],
      [{ model: MODEL, seconds: 4, size: "1920x1080" }, /only at 8 seconds/],
      [{ model: MODEL, aspectRatio: "1:1" }, /16:9, 9:16/],
      [{ model: MODEL, size: "3840x2160", seconds: 8 }, /1280x720, 720x1280, 1920x1080, 1080x1920/],
    ];
    for (const [input, message] of cases) {
      const res = await t.gql(CREATE_VIDEO, { input: { prompt: "a refused request", ...input } }, { token });
      expect(codeOf(res)).toBe("BAD_USER_INPUT");
      expect(res.errors![0].message).toMatch(message);
    }
    expect(mock.requests.length).toBe(before);
    expect((await t.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "5", held: "0" });
  });
});
