/** The provider registry and the catalogue gathered from it: each provider module brings its adaptor and its models. */
import { describe, expect, it } from "vitest";
import { allModels, findModel } from "../../src/catalogue.js";
import { adaptorFor, knownProviders } from "../../src/providers/index.js";

describe("provider registry", () => {
  it("lists every provider once, each with the models its module describes", () => {
    expect(knownProviders()).toEqual(["openai", "gemini", "kling", "dashscope", "seedance", "chat-sse"]);
    for (const provider of knownProviders()) expect(allModels().some((m) => m.provider === provider)).toBe(true);
  });

  it("gives every catalogue model the adaptor of the module that lists it, and one id per model", () => {
    const ids = allModels().map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const model of allModels()) expect(adaptorFor(model.provider)?.name).toBe(model.provider);
    expect(findModel("sora-2")).toMatchObject({ provider: "openai", mediaType: "VIDEO" });
    expect(findModel("imagen-4.0-generate-001")).toMatchObject({ provider: "gemini", mediaType: "IMAGE", priceUnit: "IMAGE" });
    expect(findModel("seedance-1-0-pro-250528")).toMatchObject({ provider: "seedance", priceUnit: "TOKEN", fps: 24 });
  });
});
