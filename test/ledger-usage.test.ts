import { beforeAll, describe, expect, it } from "vitest";
import { formatMoney, usd } from "../src/money.js";
import { codeOf } from "./helpers/app.js";
import { CREATE_VIDEO, ledgerOf, waitForTask } from "./helpers/fixtures.js";
import { useTestApp } from "./helpers/use-test-app.js";

const t = useTestApp({
  mock: "openai",
  mockOptions: {
    scripts: { "[hold]": { queuedPolls: 1_000_000 }, "[fast-fail]": { outcome: "failed", queuedPolls: 0, progressSteps: [] } },
  },
  channels: [{ name: "gateway", models: ["sora-2", "sora-2-pro"] }],
});

const ALICE = "alice@ledger";
const BOB = "bob@ledger";
let aliceToken: string;
let bobToken: string;
const startedAt = new Date();

const ENTRY = "id kind amount balanceAfter note createdAt task { id }";
const MY_LEDGER = /* GraphQL */ `
  query($first: Int, $after: String) {
    me { ledger(first: $first, after: $after) { pageInfo { hasNextPage endCursor } edges { node { ${ENTRY} } } } }
  }`;
const LEDGER_OF = /* GraphQL */ `
  query($subject: String!, $first: Int, $after: String) {
    ledger(subject: $subject, first: $first, after: $after) { pageInfo { hasNextPage endCursor } edges { node { ${ENTRY} } } }
  }`;
const USAGE = /* GraphQL */ `
  query($from: DateTime!, $to: DateTime!, $groupBy: UsageGroupBy!) {
    usage(from: $from, to: $to, groupBy: $groupBy) { key tasksCompleted seconds images charged held }
  }`;

interface Entry {
  id: string;
  kind: string;
  amount: string;
  balanceAfter: string;
  note: string | null;
  createdAt: string;
  task: { id: string } | null;
}

async function create(token: string, model: string, prompt: string) {
  const res = await t.gql(CREATE_VIDEO, { input: { model, prompt, seconds: 4, size: "720x1280" } }, { token });
  expect(res.errors, prompt).toBeUndefined();
  return res.data!.createVideo.id as string;
}

/** Every entry of a ledger, read page by page with first/after. */
async function readAll(
  read: (after: string | null) => Promise<{ pageInfo: { hasNextPage: boolean; endCursor: string }; edges: { node: Entry }[] }>,
) {
  const entries: Entry[] = [];
  let after: string | null = null;
  for (let pages = 0; pages < 20; pages++) {
    const page = await read(after);
    expect(page.edges.length).toBeLessThanOrEqual(2);
    entries.push(...page.edges.map((e) => e.node));
    if (!page.pageInfo.hasNextPage) return entries;
    after = page.pageInfo.endCursor;
  }
  throw new Error("the ledger never ended");
}

const myLedger = (token: string) =>
  readAll(async (after) => {
    const res = await t.gql(MY_LEDGER, { first: 2, after }, { token });
    expect(res.errors).toBeUndefined();
    return res.data!.me.ledger;
  });

let completed: string;
let failed: string;
let running: string;

beforeAll(async () => {
  aliceToken = await t.userWithCredit(ALICE, "10");
  bobToken = await t.userWithCredit(BOB, "10");
  completed = await create(aliceToken, "sora-2", "a finished dog");
  failed = await create(aliceToken, "sora-2", "a [fast-fail] cat");
  running = await create(aliceToken, "sora-2", "a [hold] bird");
  const bobsTask = await create(bobToken, "sora-2-pro", "bob's boat");
  await waitForTask(t, aliceToken, completed, (task) => task.status === "COMPLETED");
  await waitForTask(t, aliceToken, failed, (task) => task.status === "FAILED");
  await waitForTask(t, bobToken, bobsTask, (task) => task.status === "COMPLETED");
});

describe("me.ledger", () => {
  it("pages the caller's grants, holds, settlements and releases newest first, matching the database", async () => {
    const entries = await myLedger(aliceToken);
    const stored = (await ledgerOf(t, ALICE)).reverse();
    expect(entries.map((e) => [e.kind, e.amount, e.balanceAfter])).toEqual(
      stored.map((row) => [row.kind, formatMoney(row.amount), formatMoney(row.balanceAfter)]),
    );
    const times = entries.map((e) => Date.parse(e.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const kindsOf = (taskId: string) =>
      entries
        .filter((e) => e.task?.id === taskId)
        .map((e) => e.kind)
        .sort();
    expect(entries.at(-1)).toMatchObject({ kind: "CREDIT", amount: "10", task: null });
    expect(kindsOf(completed)).toEqual(expect.arrayContaining(["HOLD", "SETTLE"]));
    expect(kindsOf(failed)).toEqual(["HOLD", "RELEASE"]);
    expect(kindsOf(running)).toEqual(["HOLD"]);
  });

  it("shows a user only their own entries", async () => {
    const entries = await myLedger(bobToken);
    expect(entries.every((e) => e.task === null || ![completed, failed, running].includes(e.task.id))).toBe(true);
    expect(entries.map((e) => e.kind).sort()).toEqual(["CREDIT", "HOLD", "SETTLE"]);
  });
});

describe("node(id) of a ledger entry", () => {
  const NODE = /* GraphQL */ `query($id: ID!) { node(id: $id) { ... on LedgerEntry { kind amount } } }`;

  it("finds the caller's own entry, an admin's any, and never another user's", async () => {
    const [entry] = await myLedger(aliceToken);
    expect((await t.gql(NODE, { id: entry.id }, { token: aliceToken })).data!.node).toEqual({ kind: entry.kind, amount: entry.amount });
    expect((await t.gql(NODE, { id: entry.id }, { token: t.adminToken })).data!.node).toEqual({ kind: entry.kind, amount: entry.amount });
    const asBob = await t.gql(NODE, { id: entry.id }, { token: bobToken });
    expect(asBob.errors).toBeUndefined();
    expect(asBob.data!.node).toBeNull();
  });
});

describe("ledger(subject)", () => {
  it("gives an admin anyone's ledger, the same one the user sees", async () => {
    const asAdmin = await readAll(async (after) => {
      const res = await t.gql(LEDGER_OF, { subject: ALICE, first: 2, after }, { token: t.adminToken });
      expect(res.errors).toBeUndefined();
      return res.data!.ledger;
    });
    expect(asAdmin).toEqual(await myLedger(aliceToken));
  });

  it("is FORBIDDEN to a user, even for their own subject", async () => {
    for (const subject of [ALICE, BOB]) {
      const res = await t.gql(LEDGER_OF, { subject, first: 5 }, { token: aliceToken });
      expect(codeOf(res)).toBe("FORBIDDEN");
      expect(res.data?.ledger ?? null).toBeNull();
    }
  });
});

describe("usage", () => {
  const window = () => ({ from: startedAt.toISOString(), to: new Date(Date.now() + 60_000).toISOString() });

  async function usage(groupBy: string, token = t.adminToken) {
    const res = await t.gql(USAGE, { ...window(), groupBy }, { token });
    expect(res.errors, groupBy).toBeUndefined();
    return res.data!.usage as { key: string; tasksCompleted: number; seconds: number; images: number; charged: string; held: string }[];
  }

  /** Settled and currently held amounts in the ledger, in nano-dollars, per subject. */
  async function ledgerTotals(subject: string) {
    const rows = await ledgerOf(t, subject);
    const settled = rows.filter((r) => r.kind === "SETTLE").reduce((sum, r) => sum + r.amount, 0n);
    const closed = new Set(rows.filter((r) => r.kind === "SETTLE" || r.kind === "RELEASE").map((r) => r.taskId));
    const held = rows.filter((r) => r.kind === "HOLD" && !closed.has(r.taskId)).reduce((sum, r) => sum + r.amount, 0n);
    return { settled, held };
  }

  it("by USER adds up exactly to each user's settled and held amounts", async () => {
    const byUser = await usage("USER");
    const alice = await ledgerTotals(ALICE);
    const bob = await ledgerTotals(BOB);
    expect(alice.settled).toBeGreaterThan(0n);
    expect(alice.held).toBeGreaterThan(0n);
    expect(byUser).toEqual([
      { key: ALICE, tasksCompleted: 1, seconds: 4, images: 0, charged: formatMoney(alice.settled), held: formatMoney(alice.held) },
      { key: BOB, tasksCompleted: 1, seconds: 4, images: 0, charged: formatMoney(bob.settled), held: formatMoney(bob.held) },
    ]);
  });

  it("by MODEL and by DAY add up to the same totals as by USER", async () => {
    const total = (groups: { charged: string; held: string; tasksCompleted: number }[]) => ({
      charged: groups.reduce((sum, g) => sum + usd(g.charged), 0n),
      held: groups.reduce((sum, g) => sum + usd(g.held), 0n),
      tasksCompleted: groups.reduce((sum, g) => sum + g.tasksCompleted, 0),
    });
    const byModel = await usage("MODEL");
    expect(byModel.map((g) => g.key)).toEqual(["sora-2", "sora-2-pro"]);
    const byDay = await usage("DAY");
    for (const g of byDay) expect(g.key).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const alice = await ledgerTotals(ALICE);
    const bob = await ledgerTotals(BOB);
    const expected = { charged: alice.settled + bob.settled, held: alice.held + bob.held, tasksCompleted: 2 };
    expect(total(byModel)).toEqual(expected);
    expect(total(byDay)).toEqual(expected);
  });

  it("counts nothing outside the window", async () => {
    const res = await t.gql(USAGE, { from: "2020-01-01T00:00:00Z", to: "2020-12-31T00:00:00Z", groupBy: "USER" }, { token: t.adminToken });
    expect(res.data!.usage).toEqual([]);
  });

  it("refuses a reversed, empty or longer than 366-day window, and users", async () => {
    const now = Date.now();
    const at = (ms: number) => new Date(ms).toISOString();
    for (const [from, to] of [
      [at(now), at(now - 1000)],
      [at(now), at(now)],
      [at(now - 367 * 86_400_000), at(now)],
    ]) {
      const res = await t.gql(USAGE, { from, to, groupBy: "DAY" }, { token: t.adminToken });
      expect(codeOf(res), `${from} .. ${to}`).toBe("BAD_USER_INPUT");
    }
    const fullYear = await t.gql(USAGE, { from: at(now - 366 * 86_400_000), to: at(now), groupBy: "DAY" }, { token: t.adminToken });
    expect(fullYear.errors).toBeUndefined();
    expect(codeOf(await t.gql(USAGE, { ...window(), groupBy: "USER" }, { token: aliceToken }))).toBe("FORBIDDEN");
  });
});
