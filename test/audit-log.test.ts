/**
 * The audit log: every admin action is a row, written with the change, that says who did
 * what to which target and when, with the target before and after but never a secret;
 * admins page through it newest first with auditLog(first, after), nobody else sees it.
 */
import { describe, expect, it } from "vitest";
import { codeOf } from "./helpers/app.js";
import { queryRows } from "./helpers/database-dump.js";
import { tokenFor } from "./helpers/tokens.js";
import { useTestApp } from "./helpers/use-test-app.js";

const t = useTestApp({ config: { role: "api" } });

const FIRST_KEY = "sk-audit-first-key-1111";
const SECOND_KEY = "sk-audit-second-key-2222";

const UPSERT_CHANNEL = /* GraphQL */ `mutation($input: ChannelInput!) { upsertChannel(input: $input) { name } }`;
const RESET_HEALTH = /* GraphQL */ `mutation($name: String!) { resetChannelHealth(name: $name) { name } }`;
const GRANT = /* GraphQL */ `mutation($s: String!, $a: Money!) { grantCredit(subject: $s, amount: $a) { balance } }`;
const SET_PRICE = /* GraphQL */ `mutation($input: ModelPriceInput!) { setModelPrice(input: $input) { perSecond } }`;
const AUDIT_LOG = /* GraphQL */ `
  query($first: Int, $after: String) {
    auditLog(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id action actor { subject } actorSubject targetType target before after createdAt } }
    }
  }
`;

interface Entry {
  id: string;
  action: string;
  actor: { subject: string } | null;
  actorSubject: string | null;
  targetType: string;
  target: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  createdAt: string;
}

const CHANNEL = { provider: "openai", baseUrl: "https://gateway.example.com", models: ["sora-2"] };

async function admin(query: string, variables: Record<string, unknown>) {
  const res = await t.gql(query, variables, { token: t.adminToken });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!;
}

/** The whole log, newest first. */
async function entries(): Promise<Entry[]> {
  const data = await admin(AUDIT_LOG, { first: 100 });
  return data.auditLog.edges.map((e: { node: Entry }) => e.node);
}

const newest = async () => (await entries())[0];

describe("the audit log", () => {
  it("records a channel's creation with who did it, when, and its settings, the key only as its hint", async () => {
    const startedAt = Date.now();
    await admin(UPSERT_CHANNEL, { input: { ...CHANNEL, name: "audited", apiKey: FIRST_KEY } });
    const entry = await newest();
    expect(entry).toMatchObject({
      action: "CHANNEL_CREATED",
      actor: { subject: "admin@test" },
      actorSubject: "admin@test",
      targetType: "channel",
      target: "audited",
      before: null,
      after: {
        provider: "openai",
        baseUrl: "https://gateway.example.com",
        models: ["sora-2"],
        enabled: true,
        priority: 0,
        weight: 1,
        maxConcurrency: null,
        apiKeyHint: "sk-...1111",
      },
    });
    expect(Date.parse(entry.createdAt)).toBeGreaterThanOrEqual(startedAt - 1_000);
    expect(Date.parse(entry.createdAt)).toBeLessThanOrEqual(Date.now() + 1_000);
  });

  it("records an update with the channel before and after, and neither key in clear", async () => {
    await admin(UPSERT_CHANNEL, { input: { ...CHANNEL, name: "audited", apiKey: SECOND_KEY, priority: 5, enabled: false } });
    const entry = await newest();
    expect(entry).toMatchObject({
      action: "CHANNEL_UPDATED",
      target: "audited",
      before: { priority: 0, enabled: true, apiKeyHint: "sk-...1111" },
      after: { priority: 5, enabled: false, apiKeyHint: "sk-...2222" },
    });
    const text = JSON.stringify(entry);
    expect(text).not.toContain(FIRST_KEY);
    expect(text).not.toContain(SECOND_KEY);
  });

  it("records a reset of a channel's health with the failure count it cleared", async () => {
    const until = new Date(Date.now() + 60_000);
    await t.app.services.db.channel.update({ where: { name: "audited" }, data: { consecutiveFailures: 7, circuitOpenUntil: until } });
    await admin(RESET_HEALTH, { name: "audited" });
    expect(await newest()).toMatchObject({
      action: "CHANNEL_HEALTH_RESET",
      target: "audited",
      before: { consecutiveFailures: 7, circuitOpenUntil: until.toISOString() },
      after: { consecutiveFailures: 0, circuitOpenUntil: null },
    });
  });

  it("records a credit grant with the balance before and after", async () => {
    await admin(GRANT, { s: "customer@audit", a: "2.5" });
    expect(await newest()).toMatchObject({
      action: "CREDIT_GRANTED",
      targetType: "user",
      target: "customer@audit",
      before: { balance: "0" },
      after: { balance: "2.5" },
    });
    await admin(GRANT, { s: "customer@audit", a: "-1" });
    expect(await newest()).toMatchObject({ action: "CREDIT_GRANTED", before: { balance: "2.5" }, after: { balance: "1.5" } });
  });

  it("records a price change with the price in effect before (the catalogue's) and after", async () => {
    await admin(SET_PRICE, { input: { model: "sora-2", size: "1280x720", perSecond: "0.25" } });
    expect(await newest()).toMatchObject({
      action: "PRICE_SET",
      targetType: "price",
      target: "sora-2 1280x720",
      before: { size: "*", unit: "SECOND", price: "0.1" },
      after: { size: "1280x720", unit: "SECOND", price: "0.25" },
    });
  });

  it("records nothing for a change that was refused: the row is written with the change or not at all", async () => {
    const count = (await entries()).length;
    const refused = [
      await t.gql(GRANT, { s: "customer@audit", a: "-100" }, { token: t.adminToken }), // below zero
      await t.gql(UPSERT_CHANNEL, { input: { ...CHANNEL, name: "audited", apiKey: FIRST_KEY, provider: "nope" } }, { token: t.adminToken }),
      await t.gql(RESET_HEALTH, { name: "no-such-channel" }, { token: t.adminToken }),
      await t.gql(SET_PRICE, { input: { model: "sora-2", size: "720p", perSecond: "1" } }, { token: t.adminToken }),
    ];
    expect(refused.map(codeOf)).toEqual(["BAD_USER_INPUT", "BAD_USER_INPUT", "NOT_FOUND", "BAD_USER_INPUT"]);
    expect(await entries()).toHaveLength(count);
  });

  it("never holds a channel key, in what the API shows or in the table", async () => {
    const text = JSON.stringify(await entries());
    const rows = await queryRows<{ row: string }>(t.database.url, "SELECT row_to_json(a)::text AS row FROM audit_log a");
    expect(rows.length).toBeGreaterThan(0);
    const table = rows.map((r) => r.row).join("\n");
    expect(table).toContain("sk-...1111"); // the hint is there
    for (const key of [FIRST_KEY, SECOND_KEY]) {
      expect(text).not.toContain(key);
      expect(table).not.toContain(key);
    }
  });

  it("pages newest first with first and after, without gaps or repeats", async () => {
    const all = await entries();
    expect(all.map((e) => e.action)).toEqual([
      "PRICE_SET",
      "CREDIT_GRANTED",
      "CREDIT_GRANTED",
      "CHANNEL_HEALTH_RESET",
      "CHANNEL_UPDATED",
      "CHANNEL_CREATED",
    ]);
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const data = await admin(AUDIT_LOG, { first: 4, after });
      const { edges, pageInfo, totalCount } = data.auditLog;
      expect(totalCount).toBe(all.length);
      seen.push(...edges.map((e: { node: Entry }) => e.node.id));
      if (!pageInfo.hasNextPage) break;
      expect(edges).toHaveLength(4);
      after = pageInfo.endCursor;
    }
    expect(seen).toEqual(all.map((e) => e.id));
  });

  it("is FORBIDDEN to users and UNAUTHENTICATED without a token, entry by id included", async () => {
    const [entry] = await entries();
    for (const [token, code] of [
      [await tokenFor("customer@audit"), "FORBIDDEN"],
      [null, "UNAUTHENTICATED"],
    ] as const) {
      const res = await t.gql(AUDIT_LOG, { first: 10 }, { token });
      expect(codeOf(res)).toBe(code);
      expect(res.data?.auditLog ?? null).toBeNull();
      const byId = await t.gql(`query($id: ID!) { node(id: $id) { id ... on AuditEntry { target } } }`, { id: entry.id }, { token });
      expect(byId.data?.node ?? null).toBeNull();
      expect(JSON.stringify(byId)).not.toContain(entry.target);
    }
    const asAdmin = await admin(`query($id: ID!) { node(id: $id) { ... on AuditEntry { action target } } }`, { id: entry.id });
    expect(asAdmin.node).toEqual({ action: entry.action, target: entry.target });
  });
});
