/**
 * The console's own rules, held to the server's: the price it shows before a createVideo is
 * what the server holds, for every model of the catalogue and every choice the form offers
 * (operator prices included), and its money and error texts say what the API means.
 */

import { ModelsDocument, type ModelsQuery } from "@reelay/client";
import { print } from "graphql";
import { describe, expect, it } from "vitest";
import { holdAmount, pickPrice } from "../../src/billing/prices.js";
import { findModel } from "../../src/catalogue.js";
import { validateVideoParams } from "../../src/tasks/validate.js";
import { describeError, describeTaskError } from "../../web/src/lib/errors.js";
import { formatUsd, parseMoney, toMoney } from "../../web/src/lib/money.js";
import { type Choice, quoteFor } from "../../web/src/lib/price.js";
import { useTestApp } from "../helpers/use-test-app.js";

const t = useTestApp();
const SET_PRICE = /* GraphQL */ `mutation($input: ModelPriceInput!) { setModelPrice(input: $input) { model } }`;

/** Every choice the create form can make for a model: each length, each size or aspect ratio, or the defaults. */
function choicesFor(model: ModelsQuery["models"][number]): Choice[] {
  const seconds = [null, ...model.seconds];
  const sizes = [null, ...model.sizes];
  const ratios = [null, ...model.aspectRatios.map((a) => a.aspectRatio)];
  return seconds.flatMap((s) => sizes.flatMap((size) => ratios.map((aspectRatio) => ({ seconds: s, size, aspectRatio }))));
}

describe("the price shown before submitting", () => {
  it("is what createVideo holds, for every model, length and size, with and without an operator's prices", async () => {
    const prices = [
      { model: "sora-2", size: "1280x720", perSecond: "0.15" },
      { model: "sora-2-pro", size: "*", perSecond: "0.42" },
      { model: "seedance-1-0-pro-250528", size: "1920x1080", perSecond: "0.000003" },
      { model: "veo-3.0-generate-001", size: "*", perSecond: "0.333333333" },
      { model: "imagen-4.0-generate-001", size: "1024x1024", perSecond: "0.05" },
    ];
    for (const input of prices) expect((await t.gql(SET_PRICE, { input }, { token: t.adminToken })).errors).toBeUndefined();
    const res = await t.gql<ModelsQuery>(print(ModelsDocument), {}, { token: t.adminToken });
    const rows = await t.app.services.db.modelPrice.findMany();
    let compared = 0;
    for (const model of res.data!.models) {
      const spec = findModel(model.name);
      const operatorRows = rows.filter((r) => r.model === model.name);
      for (const choice of choicesFor(model)) {
        let params: ReturnType<typeof validateVideoParams>;
        try {
          params = validateVideoParams(model.name, spec, { prompt: "p", ...choice, hasReference: model.referenceImage !== "NONE" });
        } catch {
          continue; // the server refuses this choice before pricing it
        }
        // quoteHold's rule, over the rows it would read
        const price = pickPrice(operatorRows, model.name, params.size);
        const held = price && holdAmount(price, params);
        const shown = quoteFor(model, choice);
        expect(shown?.amount ?? null, `${model.name} ${JSON.stringify(choice)}`).toBe(held ?? null);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(100);
  });
});

describe("money", () => {
  it("parses and prints the API's exact decimals, and shows cents to people", () => {
    expect(parseMoney("9.6")).toBe(9_600_000_000n);
    expect(parseMoney("-0.000000001")).toBe(-1n);
    expect(parseMoney("1.0000000001")).toBeNull();
    expect(parseMoney("abc")).toBeNull();
    expect(toMoney(9_600_000_000n)).toBe("9.6");
    expect(formatUsd("9.6")).toBe("$9.60");
    expect(formatUsd("0.0025")).toBe("$0.0025");
    expect(formatUsd("-1234567.5")).toBe("-$1,234,567.50");
    expect(formatUsd(null)).toBe("—");
  });
});

describe("error messages", () => {
  const gql = (message: string, extensions: Record<string, unknown>) => ({ message, graphQLErrors: [{ message, extensions }] });

  it("say what each code means and what to do: credit, rate limits with the wait, a refused key, a lost connection", () => {
    expect(describeError(gql("Your balance does not cover this task", { code: "INSUFFICIENT_CREDIT", required: "0.4" }))).toMatchObject({
      title: "Not enough credit",
      detail: expect.stringContaining("This needs $0.40."),
    });
    const limited = describeError(gql("Too many mutations", { code: "RATE_LIMITED", retryAfter: 42 }));
    expect(limited).toMatchObject({
      title: "Too many requests",
      retryAfter: 42,
      detail: expect.stringContaining("Try again in 42 seconds."),
    });
    expect(describeError(gql("API key is invalid or revoked", { code: "UNAUTHENTICATED" })).title).toBe(
      "This key or token was not accepted",
    );
    expect(
      describeError({ message: "[Network] Failed to fetch", graphQLErrors: [], networkError: new Error("Failed to fetch") }),
    ).toMatchObject({
      code: "NETWORK",
      title: "Reelay could not be reached",
    });
    expect(describeTaskError({ code: "CONTENT_POLICY", message: "the prompt names a real person" })).toBe(
      "Refused by the provider's content policy: the prompt names a real person",
    );
  });
});
