import { describe, expect, it } from "vitest";
import { codeOf } from "./helpers/app.js";
import { ME } from "./helpers/fixtures.js";
import { tokenFor } from "./helpers/tokens.js";
import { useTestApp } from "./helpers/use-test-app.js";

const t = useTestApp({ config: { role: "api" } });

const GRANT = /* GraphQL */ `mutation($s: String!, $a: Money!) { grantCredit(subject: $s, amount: $a) { subject balance } }`;
const SET_PRICE = /* GraphQL */ `mutation($input: ModelPriceInput!) { setModelPrice(input: $input) { model size perSecond unit } }`;

describe("grantCredit", () => {
  it("takes a subject as long as a token may carry, and the user who signs in with it finds the credit", async () => {
    const subject = "s".repeat(255);
    const granted = await t.gql(GRANT, { s: subject, a: "2.5" }, { token: t.adminToken });
    expect(granted.errors).toBeUndefined();
    expect(granted.data!.grantCredit).toEqual({ subject, balance: "2.5" });
    const me = await t.gql(ME, {}, { token: await tokenFor(subject) });
    expect(me.data!.me).toMatchObject({ subject, balance: "2.5" });
  });

  it("refuses a subject longer than any token may carry, creating no user that could never sign in", async () => {
    const subject = "l".repeat(256);
    const res = await t.gql(GRANT, { s: subject, a: "1" }, { token: t.adminToken });
    expect(codeOf(res)).toBe("BAD_USER_INPUT");
    expect(res.errors![0].message).toBe("subject must be 1 to 255 characters");
    expect(await t.app.services.db.user.findUnique({ where: { subject } })).toBeNull();
    expect(codeOf(await t.gql(ME, {}, { token: await tokenFor(subject) }))).toBe("UNAUTHENTICATED");
  });

  it("refuses an empty subject", async () => {
    expect(codeOf(await t.gql(GRANT, { s: "  ", a: "1" }, { token: t.adminToken }))).toBe("BAD_USER_INPUT");
  });
});

describe("setModelPrice", () => {
  it("refuses a size that is not WIDTHxHEIGHT or *, and an empty model, storing nothing", async () => {
    for (const patch of [{ size: "720p" }, { size: "0x720" }, { size: "1280x720 " }, { size: "1280X720" }, { model: " " }]) {
      const res = await t.gql(
        SET_PRICE,
        { input: { model: "sora-2", size: "1280x720", perSecond: "0.2", ...patch } },
        { token: t.adminToken },
      );
      expect(codeOf(res), JSON.stringify(patch)).toBe("BAD_USER_INPUT");
      expect(res.errors![0].extensions!.field, JSON.stringify(patch)).toBe(Object.keys(patch)[0]);
    }
    expect(await t.app.services.db.modelPrice.count()).toBe(0);
  });

  it("stores a price at an exact size in the model's own unit unless told otherwise", async () => {
    const res = await t.gql(SET_PRICE, { input: { model: "sora-2", size: "1280x720", perSecond: "0.2" } }, { token: t.adminToken });
    expect(res.errors).toBeUndefined();
    expect(res.data!.setModelPrice).toEqual({ model: "sora-2", size: "1280x720", perSecond: "0.2", unit: "SECOND" });
  });
});
