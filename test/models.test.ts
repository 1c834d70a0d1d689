import { describe, expect, it } from "vitest";
import { allModels, type ModelSpec } from "../src/catalogue.js";
import { formatMoney } from "../src/money.js";
import { codeOf } from "./helpers/app.js";
import { CREATE_VIDEO, ME, upsertChannel } from "./helpers/fixtures.js";
import { tinyPng } from "./helpers/images.js";
import { useTestApp } from "./helpers/use-test-app.js";

const MODELS = /* GraphQL */ `{
  models {
    name provider mediaType seconds defaultSeconds sizes defaultSize
    aspectRatios { aspectRatio size }
    maxPromptLength referenceImage priceUnit pricePerUnit sizePrices { size pricePerUnit } defaultRequestPrice available
  }
}`;

/** The one channel that serves sora-2 while the tests start. */
const SORA_CHANNEL = { name: "sora-only", models: ["sora-2"] };

// no worker: a created task keeps its hold, and the only statements sent are the ones a test causes
const t = useTestApp({ mock: "chat-sse", config: { role: "api" }, channels: [SORA_CHANNEL] });

interface ListedModel {
  name: string;
  provider: string;
  mediaType: string;
  seconds: number[];
  defaultSeconds: number | null;
  sizes: string[];
  defaultSize: string | null;
  aspectRatios: { aspectRatio: string; size: string }[];
  maxPromptLength: number;
  referenceImage: "NONE" | "ACCEPTED" | "REQUIRED";
  priceUnit: string;
  pricePerUnit: string | null;
  sizePrices: { size: string; pricePerUnit: string | null }[];
  defaultRequestPrice: string | null;
  available: boolean;
}

async function listModels(token = t.adminToken): Promise<Map<string, ListedModel>> {
  const res = await t.gql<{ models: ListedModel[] }>(MODELS, {}, { token });
  expect(res.errors).toBeUndefined();
  return new Map(res.data!.models.map((m) => [m.name, m]));
}

async function statementsDuring(work: () => Promise<unknown>) {
  const count = async () => (await t.app.services.metrics.dbStatements.get()).values[0]?.value ?? 0;
  const before = await count();
  await work();
  return (await count()) - before;
}

/** The default price of a spec at a size, as the catalogue lists it. */
const defaultPriceAt = (spec: ModelSpec, size: string | null) => spec.defaultPrices[size ?? "*"] ?? spec.defaultPrices["*"];

describe("models", () => {
  it("is refused without a token, like every operation but introspection", async () => {
    expect(codeOf(await t.gql(MODELS, {}, { token: null }))).toBe("UNAUTHENTICATED");
  });

  it("lists every catalogue model with what its spec says it takes and costs", async () => {
    const token = await t.userWithCredit("catalogue-reader", "1");
    const listed = await listModels(token);
    expect([...listed.keys()].sort()).toEqual(
      allModels()
        .map((m) => m.id)
        .sort(),
    );
    for (const spec of allModels()) {
      const model = listed.get(spec.id)!;
      expect(model, spec.id).toMatchObject({
        provider: spec.provider,
        mediaType: spec.mediaType,
        seconds: spec.seconds?.allowed ?? [],
        defaultSeconds: spec.seconds?.default ?? null,
        sizes: spec.sizes?.allowed ?? [],
        defaultSize: spec.sizes?.default ?? null,
        aspectRatios: Object.entries(spec.aspectRatios).map(([aspectRatio, size]) => ({ aspectRatio, size })),
        maxPromptLength: spec.maxPromptLength,
        priceUnit: spec.priceUnit,
        available: spec.id === "sora-2",
      });
      expect(model.referenceImage === "NONE", spec.id).toBe(!spec.acceptsReferenceImage);
      const price = defaultPriceAt(spec, spec.sizes?.default ?? null);
      expect(model.pricePerUnit, spec.id).toBe(price === undefined ? null : formatMoney(price));
      const sizes = new Set(spec.sizes?.allowed ?? Object.values(spec.aspectRatios));
      expect(model.sizePrices, spec.id).toEqual(
        [...sizes].map((size) => ({ size, pricePerUnit: formatMoney(defaultPriceAt(spec, size)) })),
      );
    }
    expect(listed.get("sora-2")).toMatchObject({ referenceImage: "ACCEPTED", pricePerUnit: "0.1", defaultRequestPrice: "0.4" });
  });

  it("marks image-to-video models as requiring a reference image", async () => {
    const listed = await listModels();
    const required = [...listed.values()].filter((m) => m.referenceImage === "REQUIRED");
    expect(required.length).toBeGreaterThan(0);
    for (const model of required) {
      const res = await t.gql(CREATE_VIDEO, { input: { model: model.name, prompt: "a cat" } }, { token: t.adminToken });
      expect(res.errors?.[0]?.extensions?.field, model.name).toBe("inputReference");
    }
  });

  it("shows an admin's price over the default, in the unit price and the default request's price", async () => {
    const res = await t.gql(
      `mutation { setModelPrice(input: { model: "sora-2", size: "*", perSecond: "0.25" }) { perSecond } }`,
      {},
      { token: t.adminToken },
    );
    expect(res.errors).toBeUndefined();
    const sora = (await listModels()).get("sora-2")!;
    expect(sora).toMatchObject({ priceUnit: "SECOND", pricePerUnit: "0.25", defaultRequestPrice: "1" });
    expect(sora.sizePrices.length).toBeGreaterThan(0);
    expect(sora.sizePrices.map((p) => p.pricePerUnit)).toEqual(sora.sizes.map(() => "0.25"));
  });

  it("is available only while an enabled channel whose circuit is not open serves the model", async () => {
    const channel = { ...SORA_CHANNEL, provider: "chat-sse", baseUrl: t.mock.baseUrl, apiKey: t.mock.apiKey };
    await upsertChannel(t, { ...channel, enabled: false });
    expect((await listModels()).get("sora-2")!.available).toBe(false);
    await upsertChannel(t, { ...channel, enabled: true });
    expect((await listModels()).get("sora-2")!.available).toBe(true);

    const { db, config } = t.app.services;
    const failing = { consecutiveFailures: config.circuitFailureThreshold };
    await db.channel.update({ where: { name: channel.name }, data: { ...failing, circuitOpenUntil: new Date(Date.now() + 60_000) } });
    expect((await listModels()).get("sora-2")!.available).toBe(false);
    // cool-down over: half-open, the next submission is a trial, so the model can be asked for
    await db.channel.update({ where: { name: channel.name }, data: { ...failing, circuitOpenUntil: new Date(Date.now() - 1_000) } });
    expect((await listModels()).get("sora-2")!.available).toBe(true);
    await db.channel.update({ where: { name: channel.name }, data: { consecutiveFailures: 0, circuitOpenUntil: null } });
  });

  it("quotes for each model's default request exactly what createVideo holds for it", async () => {
    const names = allModels().map((m) => m.id);
    await upsertChannel(t, { name: "every-model", provider: "chat-sse", baseUrl: t.mock.baseUrl, apiKey: t.mock.apiKey, models: names });
    const listed = await listModels();
    const image = `data:image/png;base64,${tinyPng().toString("base64")}`;
    for (const model of listed.values()) {
      expect(model.available, model.name).toBe(true);
      const token = await t.userWithCredit(`default-request-${model.name}`, "1000");
      const input = {
        model: model.name,
        prompt: "a lighthouse at dusk",
        ...(model.referenceImage === "REQUIRED" && { inputReferenceUrl: image }),
      };
      const created = await t.gql(CREATE_VIDEO, { input }, { token });
      expect(model.defaultRequestPrice, model.name).not.toBeNull();
      expect(created.errors, model.name).toBeUndefined();
      const me = await t.gql(ME, {}, { token });
      expect(me.data!.me.held, model.name).toBe(model.defaultRequestPrice);
    }
  });

  it("reads the whole catalogue in a fixed number of statements, however many channels there are", async () => {
    const token = await t.userWithCredit("catalogue-counter", "1");
    // Callers are remembered for half a second: each count follows a request that resolves the user.
    await listModels(token);
    const few = await statementsDuring(() => listModels(token));
    for (const name of ["extra-a", "extra-b", "extra-c"]) {
      await upsertChannel(t, { name, provider: "chat-sse", baseUrl: t.mock.baseUrl, apiKey: t.mock.apiKey, models: ["sora-2"] });
    }
    await listModels(token);
    expect(await statementsDuring(() => listModels(token))).toBe(few);
    expect(few).toBeLessThanOrEqual(3);
  });
});
