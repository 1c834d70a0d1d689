import { describe, expect, it } from "vitest";
import { formatMoney } from "../../src/money.js";
import { codeOf } from "../helpers/app.js";
import { CREATE_VIDEO, grantCredit, ledgerOf } from "../helpers/fixtures.js";
import { tokenFor } from "../helpers/tokens.js";
import { useTestApp } from "../helpers/use-test-app.js";
import { bytesAt, runTask } from "./end-to-end.js";

const MODEL = "seedance-1-0-pro-250528";
/** the catalogue's default: $2.50 per million tokens */
const NANO_PER_TOKEN = 2_500n;

const t = useTestApp({ mock: "seedance", channels: [{ name: "ark", models: [MODEL] }] });
const { mock } = t;

describe("a Seedance task through GraphQL", () => {
  it("holds the most tokens the request can make and settles by the tokens Seedance reports", async () => {
    const subject = "tokens@seedance";
    const { created, last, row, me } = await runTask(t, subject, "2", {
      model: MODEL,
      prompt: "a koi pond",
      seconds: 5,
      size: "1920x1080",
    });
    // 1920 × 1080 × 24 fps × 5 s / 1024 = 243,000 tokens held
    const held = 243_000n * NANO_PER_TOKEN;
    expect(created.cost).toBe(formatMoney(held));
    const reported = BigInt(mock.tokensOf(row.upstreamId!));
    expect(reported).toBeLessThan(243_000n);
    const charged = reported * NANO_PER_TOKEN;
    expect(last).toMatchObject({ status: "COMPLETED", cost: formatMoney(charged) });
    expect((await bytesAt(last.videoUrl!)).bytes.equals(mock.contentOf(row.upstreamId!))).toBe(true);
    expect(me).toMatchObject({ balance: formatMoney(2_000_000_000n - charged), held: "0" });
    const settle = (await ledgerOf(t, subject)).find((e) => e.taskId === row.id && e.kind === "SETTLE")!;
    expect(settle.amount).toBe(charged);
  });

  it("refuses a duration Seedance does not make before any upstream call", async () => {
    const token = await tokenFor("nosize@seedance");
    await grantCredit(t, "nosize@seedance", "2");
    const before = mock.requests.length;
    const res = await t.gql(CREATE_VIDEO, { input: { model: MODEL, prompt: "a kite", seconds: 7 } }, { token });
    expect(codeOf(res)).toBe("BAD_USER_INPUT");
    expect(res.errors![0].message).toMatch(/5, 10/);
    expect(mock.requests.length).toBe(before);
  });
});
