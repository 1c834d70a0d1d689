import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatMoney } from "../../src/money.js";
import { codeOf, startTestApp, type TestApp } from "../helpers/app.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { CREATE_VIDEO, grantCredit, ledgerOf, upsertChannel } from "../helpers/fixtures.js";
import { tokenFor } from "../helpers/tokens.js";
import { type MockSeedance, startMockSeedance } from "../mocks/seedance.js";
import { bytesAt, runTask } from "./end-to-end.js";

const MODEL = "seedance-1-0-pro-250528";
/** the catalogue's default: $2.50 per million tokens */
const NANO_PER_TOKEN = 2_500n;

let database: TestDatabase;
let mock: MockSeedance;
let t: TestApp;

beforeAll(async () => {
  database = await createTestDatabase();
  mock = await startMockSeedance();
  t = await startTestApp({ databaseUrl: database.url });
  await upsertChannel(t, { name: "ark", provider: "seedance", baseUrl: mock.baseUrl, apiKey: mock.apiKey, models: [MODEL] });
});

afterAll(async () => {
  await t?.stop();
  await mock?.close();
  await database?.drop();
});

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
