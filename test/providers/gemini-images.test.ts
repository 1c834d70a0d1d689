import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { codeOf } from "../helpers/app.js";
import { CREATE_VIDEO, grantCredit, ME } from "../helpers/fixtures.js";
import { tinyPng } from "../helpers/images.js";
import { tokenFor } from "../helpers/tokens.js";
import { useTestApp } from "../helpers/use-test-app.js";
import { bytesAt, runTask } from "./end-to-end.js";

const t = useTestApp({
  mock: "gemini",
  channels: [{ name: "gemini-images", models: ["gemini-2.5-flash-image", "imagen-4.0-generate-001"] }],
});
const { mock } = t;

describe("image tasks", () => {
  it("makes an IMAGE task through the same lifecycle, stores the image with its own type, and charges one image", async () => {
    const png = tinyPng();
    const { created, states, last, row, me } = await runTask(t, "images@gemini", "1", {
      model: "gemini-2.5-flash-image",
      prompt: "a watercolour fox",
      aspectRatio: "16:9",
      inputReferenceUrl: `data:image/png;base64,${png.toString("base64")}`,
    });
    expect(created).toMatchObject({ mediaType: "IMAGE", provider: "gemini", size: "1344x768", seconds: null, cost: "0.039" });
    expect(states.at(-1)).toMatchObject({ status: "COMPLETED", progress: 100 });
    expect(last.cost).toBe("0.039");
    expect(mock.imageRequests.at(-1)).toMatchObject({
      model: "gemini-2.5-flash-image",
      aspectRatio: "16:9",
      referenceSha256: createHash("sha256").update(png).digest("hex"),
    });
    const media = await bytesAt(last.videoUrl!);
    expect(media.type).toBe("image/png");
    expect(media.bytes.equals(mock.images.at(-1)!)).toBe(true);
    expect(row.videoKey).toBe(`media/${row.id}/image.png`);
    expect(me).toMatchObject({ balance: "0.961", held: "0" });
  });

  it("works with Imagen's predict endpoint as well", async () => {
    const { last } = await runTask(t, "imagen@gemini", "1", { model: "imagen-4.0-generate-001", prompt: "a lighthouse, flat vector" });
    expect(last).toMatchObject({ status: "COMPLETED", cost: "0.04" });
    expect((await bytesAt(last.videoUrl!)).bytes.equals(mock.images.at(-1)!)).toBe(true);
  });

  it("ends a refused image as CONTENT_POLICY at no charge", async () => {
    const token = await tokenFor("unsafe@gemini");
    await grantCredit(t, "unsafe@gemini", "1");
    const res = await t.gql(CREATE_VIDEO, { input: { model: "gemini-2.5-flash-image", prompt: "something [unsafe]" } }, { token });
    expect(res.data!.createVideo).toMatchObject({ status: "FAILED", cost: "0", error: { code: "CONTENT_POLICY" } });
    expect((await t.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "1", held: "0" });
  });

  it("refuses seconds for an image model and a reference image for Imagen", async () => {
    const token = await tokenFor("picky@gemini");
    await grantCredit(t, "picky@gemini", "1");
    const seconds = await t.gql(CREATE_VIDEO, { input: { model: "gemini-2.5-flash-image", prompt: "a cat", seconds: 4 } }, { token });
    expect(codeOf(seconds)).toBe("BAD_USER_INPUT");
    const reference = await t.gql(
      CREATE_VIDEO,
      {
        input: {
          model: "imagen-4.0-generate-001",
          prompt: "a cat",
          inputReferenceUrl: `data:image/png;base64,${tinyPng().toString("base64")}`,
        },
      },
      { token },
    );
    expect(codeOf(reference)).toBe("BAD_USER_INPUT");
  });
});
