import { decodeGlobalID, encodeGlobalID } from "@pothos/plugin-relay";
import { beforeAll, describe, expect, it } from "vitest";
import { codeOf } from "./helpers/app.js";
import { CREATE_VIDEO, grantCredit, ledgerOf, ME, waitForTask } from "./helpers/fixtures.js";
import { tokenFor } from "./helpers/tokens.js";
import { useTestApp } from "./helpers/use-test-app.js";

const t = useTestApp({
  mock: "openai",
  mockOptions: {
    scripts: { "[hold]": { queuedPolls: 1_000_000 }, "[fast-fail]": { outcome: "failed", queuedPolls: 0, progressSteps: [] } },
  },
  channels: [{ name: "gateway", models: ["sora-2", "sora-2-pro"] }],
});
const { mock } = t;

const OWNER = "owner@queries";
const OTHER = "other@queries";
let ownerToken: string;
let otherToken: string;
/** the owner's tasks (GraphQL ids), oldest first */
const created: string[] = [];
/** the other user's tasks */
const othersTasks: string[] = [];
let imageTaskId: string;

const CANCEL_TASK = /* GraphQL */ `mutation($id: ID!) { cancelTask(id: $id) { id status } }`;
const TASKS = /* GraphQL */ `
  query($first: Int, $after: String, $last: Int, $before: String, $status: TaskStatus, $mediaType: MediaType, $orderBy: TaskOrderField, $direction: OrderDirection) {
    tasks(first: $first, after: $after, last: $last, before: $before, status: $status, mediaType: $mediaType, orderBy: $orderBy, direction: $direction) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id status mediaType } }
    }
  }`;
const CHANNEL_FIELDS = "id name provider baseUrl models enabled priority apiKeyHint";
const UPSERT_CHANNEL = /* GraphQL */ `mutation($input: ChannelInput!) { upsertChannel(input: $input) { ${CHANNEL_FIELDS} } }`;
const CHANNELS = /* GraphQL */ `query { channels { ${CHANNEL_FIELDS} } }`;
const PRICES = /* GraphQL */ `query { prices { model size perSecond } }`;
const SET_PRICE = /* GraphQL */ `mutation($input: ModelPriceInput!) { setModelPrice(input: $input) { model size perSecond } }`;

interface Page {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  edges: { cursor: string; node: { id: string; status: string; mediaType: string } }[];
}

async function tasks(variables: Record<string, unknown>, token = ownerToken): Promise<Page> {
  const res = await t.gql(TASKS, variables, { token });
  expect(res.errors, JSON.stringify(variables)).toBeUndefined();
  return res.data!.tasks;
}

const ids = (page: Page) => page.edges.map((e) => e.node.id);

async function create(token: string, prompt: string) {
  const res = await t.gql(CREATE_VIDEO, { input: { model: "sora-2", prompt, seconds: 4, size: "720x1280" } }, { token });
  expect(res.errors, `createVideo "${prompt}"`).toBeUndefined();
  return res.data!.createVideo.id as string;
}

// The tasks every test here reads: the owner's, of every status, and two of another user's.
beforeAll(async () => {
  ownerToken = await tokenFor(OWNER);
  otherToken = await tokenFor(OTHER);
  await grantCredit(t, OWNER, "20");
  await grantCredit(t, OTHER, "20");

  // Oldest first.
  const cancelled = await create(ownerToken, "q1 cancelled later [hold]");
  created.push(cancelled);
  othersTasks.push(await create(otherToken, "someone else's first"));
  created.push(await create(ownerToken, "q2 completes"));
  created.push(await create(ownerToken, "q3 fails [fast-fail]"));
  created.push(await create(ownerToken, "q4 completes"));
  othersTasks.push(await create(otherToken, "someone else's second [hold]"));
  created.push(await create(ownerToken, "q5 fails [fast-fail]"));
  created.push(await create(ownerToken, "q6 completes"));
  created.push(await create(ownerToken, "q7 fails [moderation]"));
  for (const id of created.slice(1)) await waitForTask(t, ownerToken, id, (x) => x.status !== "QUEUED" && x.status !== "PROCESSING");

  // No image model is in the catalogue yet: an IMAGE task of the owner's, written straight to the database.
  const db = t.app.services.db;
  const owner = await db.user.findUniqueOrThrow({ where: { subject: OWNER } });
  const channel = await db.channel.findUniqueOrThrow({ where: { name: "gateway" } });
  const image = await db.task.create({
    data: {
      userId: owner.id,
      channelId: channel.id,
      provider: "openai",
      model: "some-image-model",
      mediaType: "IMAGE",
      prompt: "q8 an image",
      status: "FAILED",
      errorCode: "UPSTREAM_ERROR",
      errorMessage: "test row",
      completedAt: new Date(),
      deadlineAt: new Date(Date.now() + 60_000),
    },
  });
  imageTaskId = encodeGlobalID("VideoTask", image.id);
  created.push(imageTaskId);

  // Cancelled last of all: the oldest task by creation is the newest by update.
  expect((await t.gql(CANCEL_TASK, { id: cancelled }, { token: ownerToken })).data!.cancelTask.status).toBe("CANCELLED");
});

describe("the tasks connection", () => {
  it("lists only the caller's tasks, newest first, with a totalCount that never counts anyone else's", async () => {
    const page = await tasks({});
    expect(ids(page)).toEqual([...created].reverse());
    expect(page.totalCount).toBe(8);
    expect(page.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
    for (const id of othersTasks) expect(ids(page)).not.toContain(id);

    const theirs = await tasks({}, otherToken);
    expect(ids(theirs)).toEqual([...othersTasks].reverse());
    expect(theirs.totalCount).toBe(2);
  });

  it("pages forwards with first/after through every task exactly once", async () => {
    const all = [...created].reverse();
    const seen: string[] = [];
    const hasNext: boolean[] = [];
    let after: string | null = null;
    for (let round = 0; round < 10; round++) {
      const page: Page = await tasks({ first: 3, after });
      expect(page.totalCount, "totalCount is the whole list, not the page").toBe(8);
      expect(page.pageInfo.startCursor).toBe(page.edges[0].cursor);
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)!.cursor);
      if (round === 0) expect(page.pageInfo.hasPreviousPage).toBe(false);
      seen.push(...ids(page));
      hasNext.push(page.pageInfo.hasNextPage);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(all);
    expect(hasNext).toEqual([true, true, false]);
  });

  it("pages backwards with last/before through every task exactly once, in the same order", async () => {
    const all = [...created].reverse();
    const pages: string[][] = [];
    const hasPrevious: boolean[] = [];
    let before: string | null = null;
    for (let round = 0; round < 10; round++) {
      const page: Page = await tasks({ last: 3, before });
      expect(page.totalCount).toBe(8);
      if (round === 0) expect(page.pageInfo.hasNextPage).toBe(false);
      pages.push(ids(page));
      hasPrevious.push(page.pageInfo.hasPreviousPage);
      if (!page.pageInfo.hasPreviousPage) break;
      before = page.pageInfo.startCursor;
    }
    expect(pages).toEqual([all.slice(5), all.slice(2, 5), all.slice(0, 2)]);
    expect(hasPrevious).toEqual([true, true, false]);
  });

  it("filters by status and by media type, and totalCount follows the filter", async () => {
    const [cancelled, done2, failed3, done4, failed5, done6, failed7, image] = created;
    const byStatus = async (status: string) => tasks({ status });

    const completed = await byStatus("COMPLETED");
    expect(ids(completed)).toEqual([done6, done4, done2]);
    expect(completed.totalCount).toBe(3);
    expect(completed.edges.every((e) => e.node.status === "COMPLETED")).toBe(true);

    const failed = await byStatus("FAILED");
    expect(ids(failed)).toEqual([image, failed7, failed5, failed3]);
    expect(failed.totalCount).toBe(4);

    const cancelledOnes = await byStatus("CANCELLED");
    expect(ids(cancelledOnes)).toEqual([cancelled]);
    expect(cancelledOnes.totalCount).toBe(1);

    // The other user has a queued task; the owner has none.
    const queued = await byStatus("QUEUED");
    expect(queued.edges).toEqual([]);
    expect(queued.totalCount).toBe(0);

    const images = await tasks({ mediaType: "IMAGE" });
    expect(ids(images)).toEqual([image]);
    expect(images.totalCount).toBe(1);
    const videos = await tasks({ mediaType: "VIDEO" });
    expect(ids(videos)).toEqual([failed7, done6, failed5, done4, failed3, done2, cancelled]);
    expect(videos.totalCount).toBe(7);

    const both = await tasks({ status: "FAILED", mediaType: "VIDEO", first: 2 });
    expect(ids(both)).toEqual([failed7, failed5]);
    expect(both.totalCount).toBe(3);
    expect(both.pageInfo.hasNextPage).toBe(true);
  });

  it("orders by creation ascending, and by last update in either direction", async () => {
    expect(ids(await tasks({ direction: "ASC" }))).toEqual(created);

    // The expected update order, from the database (every task is finished, so it is stable).
    const owner = await t.app.services.db.user.findUniqueOrThrow({ where: { subject: OWNER } });
    const rows = await t.app.services.db.task.findMany({ where: { userId: owner.id }, select: { id: true, updatedAt: true } });
    const byUpdate = rows
      .sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime() || (a.id < b.id ? -1 : 1))
      .map((r) => encodeGlobalID("VideoTask", r.id));
    expect(byUpdate, "the fixture makes update order differ from creation order").not.toEqual(created);
    expect(byUpdate.at(-1), "the cancelled task was updated last").toBe(created[0]);

    expect(ids(await tasks({ orderBy: "UPDATED_AT", direction: "ASC" }))).toEqual(byUpdate);
    expect(ids(await tasks({ orderBy: "UPDATED_AT" }))).toEqual([...byUpdate].reverse());

    // Cursors follow the chosen order.
    const first = await tasks({ orderBy: "UPDATED_AT", direction: "ASC", first: 5 });
    const rest = await tasks({ orderBy: "UPDATED_AT", direction: "ASC", first: 5, after: first.pageInfo.endCursor });
    expect([...ids(first), ...ids(rest)]).toEqual(byUpdate);
    expect(rest.pageInfo.hasNextPage).toBe(false);
  });
});

describe("looking up one task or node", () => {
  const TASK = /* GraphQL */ `query($id: ID!) { videoTask(id: $id) { id prompt status } }`;
  const NODE = /* GraphQL */ `query($id: ID!) { node(id: $id) { __typename id ... on VideoTask { prompt status } ... on User { subject } } }`;

  it("videoTask returns the caller's own task and null, without an error, for someone else's or a garbage id", async () => {
    const own = await t.gql(TASK, { id: created[1] }, { token: ownerToken });
    expect(own.errors).toBeUndefined();
    expect(own.data!.videoTask).toMatchObject({ id: created[1], prompt: "q2 completes", status: "COMPLETED" });

    for (const id of [
      othersTasks[0],
      "garbage",
      encodeGlobalID("VideoTask", "00000000-0000-4000-8000-000000000000"),
      encodeGlobalID("User", decodeGlobalID(created[1]).id),
    ]) {
      const res = await t.gql(TASK, { id }, { token: ownerToken });
      expect(res.errors, id).toBeUndefined();
      expect(res.data!.videoTask, id).toBeNull();
    }
    // The other user still sees their own task.
    expect((await t.gql(TASK, { id: othersTasks[0] }, { token: otherToken })).data!.videoTask).toMatchObject({ id: othersTasks[0] });
  });

  it("node resolves the caller's own task and user, and null for another user's task or user", async () => {
    const own = await t.gql(NODE, { id: created[1] }, { token: ownerToken });
    expect(own.errors).toBeUndefined();
    expect(own.data!.node).toMatchObject({ __typename: "VideoTask", id: created[1], prompt: "q2 completes" });

    const theirs = await t.gql(NODE, { id: othersTasks[0] }, { token: ownerToken });
    expect(theirs.errors).toBeUndefined();
    expect(theirs.data!.node).toBeNull();

    const meId = (await t.gql(ME, {}, { token: ownerToken })).data!.me.id;
    const otherId = (await t.gql(ME, {}, { token: otherToken })).data!.me.id;
    const self = await t.gql(NODE, { id: meId }, { token: ownerToken });
    expect(self.errors).toBeUndefined();
    expect(self.data!.node).toEqual({ __typename: "User", id: meId, subject: OWNER });

    const otherUser = await t.gql(NODE, { id: otherId }, { token: ownerToken });
    expect(otherUser.errors).toBeUndefined();
    expect(otherUser.data!.node).toBeNull();
  });

  it("node answers null, without an error, for an id that names nothing: garbage, an unknown type, a non-UUID key, a type that is no node", async () => {
    const garbage = [
      "garbage",
      encodeGlobalID("VideoTask", "00000000-0000-4000-8000-000000000000"),
      encodeGlobalID("Nope", decodeGlobalID(created[1]).id),
      encodeGlobalID("VideoTask", "not-a-uuid"),
      encodeGlobalID("User", "42"),
      encodeGlobalID("ModelPrice", "sora-2"),
    ];
    for (const id of garbage) {
      const res = await t.gql(NODE, { id }, { token: ownerToken });
      expect(res.errors, id).toBeUndefined();
      expect(res.data!.node, id).toBeNull();
    }
    const many = await t.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: [...garbage, created[1]] }, { token: ownerToken });
    expect(many.errors).toBeUndefined();
    expect(many.data!.nodes).toEqual([...garbage.map(() => null), { id: created[1] }]);
  });

  it("node lets an admin see any user", async () => {
    const otherId = (await t.gql(ME, {}, { token: otherToken })).data!.me.id;
    const res = await t.gql(NODE, { id: otherId }, { token: t.adminToken });
    expect(res.errors).toBeUndefined();
    expect(res.data!.node).toEqual({ __typename: "User", id: otherId, subject: OTHER });
  });
});

describe("me", () => {
  it("creates a user with a zero balance and the USER role on first sight of a valid token", async () => {
    const subject = "first-sight@queries";
    expect(await t.app.services.db.user.findUnique({ where: { subject } })).toBeNull();
    const res = await t.gql(ME, {}, { token: await tokenFor(subject) });
    expect(res.errors).toBeUndefined();
    expect(res.data!.me).toMatchObject({ subject, role: "USER", balance: "0", held: "0" });
    expect(await t.app.services.db.user.findUnique({ where: { subject } })).toMatchObject({ subject, role: "USER", balance: 0n, held: 0n });
    // A second request finds the same user.
    expect((await t.gql(ME, {}, { token: await tokenFor(subject) })).data!.me.id).toBe(res.data!.me.id);
  });

  it("gives the ADMIN role to a new subject whose token carries role: admin", async () => {
    const subject = "new-admin@queries";
    const res = await t.gql(ME, {}, { token: await tokenFor(subject, { role: "admin" }) });
    expect(res.errors).toBeUndefined();
    expect(res.data!.me).toMatchObject({ subject, role: "ADMIN", balance: "0", held: "0" });
  });
});

describe("the admin surface", () => {
  const KEY = "sk-live-0123456789abcdefWXYZ";

  it("upsertChannel creates a channel, then updates it by name, and never shows the API key", async () => {
    const input = {
      name: "backup",
      provider: "openai",
      baseUrl: "https://gateway.example.com/",
      apiKey: KEY,
      models: ["sora-2"],
      priority: -5,
    };
    const createdRes = await t.gql(UPSERT_CHANNEL, { input }, { token: t.adminToken });
    expect(createdRes.errors).toBeUndefined();
    const channel = createdRes.data!.upsertChannel;
    expect(channel).toMatchObject({
      name: "backup",
      provider: "openai",
      baseUrl: "https://gateway.example.com",
      models: ["sora-2"],
      enabled: true,
      priority: -5,
    });
    expect(channel.apiKeyHint).toBe("sk-...WXYZ");

    const updated = await t.gql(
      UPSERT_CHANNEL,
      {
        input: {
          ...input,
          baseUrl: "https://other.example.com",
          apiKey: "sk-other-key-9876543210",
          models: ["sora-2", "sora-2-pro"],
          enabled: false,
          priority: -1,
        },
      },
      { token: t.adminToken },
    );
    expect(updated.errors).toBeUndefined();
    expect(updated.data!.upsertChannel).toEqual({
      id: channel.id,
      name: "backup",
      provider: "openai",
      baseUrl: "https://other.example.com",
      models: ["sora-2", "sora-2-pro"],
      enabled: false,
      priority: -1,
      apiKeyHint: "sk-...3210",
    });

    const list = await t.gql(CHANNELS, {}, { token: t.adminToken });
    expect(list.errors).toBeUndefined();
    const names = list.data!.channels.map((c: { name: string }) => c.name);
    expect(names).toEqual(["gateway", "backup"]); // priority 0 before -1
    expect(list.data!.channels[0].apiKeyHint).toBe(`sk-...${mock.apiKey.slice(-4)}`);
    const text = JSON.stringify(list);
    expect(text).not.toContain(mock.apiKey);
    expect(text).not.toContain("sk-other-key-9876543210");
    expect(JSON.stringify(createdRes)).not.toContain(KEY);
  });

  it("upsertChannel refuses an unknown provider or a bad baseUrl with BAD_USER_INPUT and stores nothing", async () => {
    const input = { name: "broken", provider: "openai", baseUrl: "https://gateway.example.com", apiKey: KEY, models: ["sora-2"] };
    for (const patch of [
      { provider: "no-such-provider" },
      { baseUrl: "not a url" },
      { baseUrl: "ftp://gateway.example.com" },
      { baseUrl: "/v1/videos" },
    ]) {
      const res = await t.gql(UPSERT_CHANNEL, { input: { ...input, ...patch } }, { token: t.adminToken });
      expect(codeOf(res), JSON.stringify(patch)).toBe("BAD_USER_INPUT");
    }
    expect(await t.app.services.db.channel.findUnique({ where: { name: "broken" } })).toBeNull();
  });

  it("channels and upsertChannel are FORBIDDEN to users and UNAUTHENTICATED without a token", async () => {
    const input = { name: "sneaky", provider: "openai", baseUrl: "https://evil.example.com", apiKey: KEY, models: ["sora-2"] };
    for (const [token, code] of [
      [ownerToken, "FORBIDDEN"],
      [null, "UNAUTHENTICATED"],
    ] as const) {
      const list = await t.gql(CHANNELS, {}, { token });
      expect(codeOf(list)).toBe(code);
      expect(list.data?.channels ?? null).toBeNull();
      expect(JSON.stringify(list)).not.toContain("gateway");
      expect(codeOf(await t.gql(UPSERT_CHANNEL, { input }, { token }))).toBe(code);
      // Not even the existing one can be overwritten.
      expect(codeOf(await t.gql(UPSERT_CHANNEL, { input: { ...input, name: "gateway" } }, { token }))).toBe(code);
    }
    expect(await t.app.services.db.channel.findUnique({ where: { name: "sneaky" } })).toBeNull();
    const gateway = await t.app.services.db.channel.findUniqueOrThrow({ where: { name: "gateway" } });
    expect(gateway.baseUrl).toBe(mock.baseUrl);
    expect(t.app.services.channelKeys.open(gateway.apiKey)).toBe(mock.apiKey); // stored sealed
  });

  it("prices lists the contract's default prices", async () => {
    const res = await t.gql(PRICES, {}, { token: ownerToken });
    expect(res.errors).toBeUndefined();
    const prices = res.data!.prices as { model: string; size: string; perSecond: string }[];
    const expected = [
      { model: "sora-2", size: "*", perSecond: "0.1" },
      { model: "sora-2-pro", size: "720x1280", perSecond: "0.3" },
      { model: "sora-2-pro", size: "1280x720", perSecond: "0.3" },
      { model: "sora-2-pro", size: "1024x1792", perSecond: "0.5" },
      { model: "sora-2-pro", size: "1792x1024", perSecond: "0.5" },
    ];
    expect(prices).toEqual(expect.arrayContaining(expected));
    // one price per (model, size)
    const keys = prices.map((p) => `${p.model} ${p.size}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("setModelPrice overrides a price and the next createVideo holds at the new price", async () => {
    const subject = "priced@queries";
    const token = await tokenFor(subject);
    await grantCredit(t, subject, "5");

    const set = await t.gql(SET_PRICE, { input: { model: "sora-2-pro", size: "1280x720", perSecond: "0.25" } }, { token: t.adminToken });
    expect(set.errors).toBeUndefined();
    expect(set.data!.setModelPrice).toEqual({ model: "sora-2-pro", size: "1280x720", perSecond: "0.25" });
    const prices = (await t.gql(PRICES, {}, { token })).data!.prices;
    expect(prices).toContainEqual({ model: "sora-2-pro", size: "1280x720", perSecond: "0.25" });
    expect(prices).toContainEqual({ model: "sora-2-pro", size: "720x1280", perSecond: "0.3" });

    const res = await t.gql(
      CREATE_VIDEO,
      { input: { model: "sora-2-pro", prompt: "priced [hold]", seconds: 4, size: "1280x720" } },
      { token },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.createVideo.cost).toBe("1");
    expect((await t.gql(ME, {}, { token })).data!.me).toMatchObject({ balance: "4", held: "1" });
    const hold = (await ledgerOf(t, subject)).find((e) => e.kind === "HOLD")!;
    expect(hold.amount).toBe(1_000_000_000n);
  });

  it("setModelPrice refuses a negative price with BAD_USER_INPUT and is FORBIDDEN to users, leaving the price as it was", async () => {
    const input = { model: "sora-2", size: "*", perSecond: "-0.1" };
    expect(codeOf(await t.gql(SET_PRICE, { input }, { token: t.adminToken }))).toBe("BAD_USER_INPUT");
    expect(codeOf(await t.gql(SET_PRICE, { input: { ...input, perSecond: "0" } }, { token: ownerToken }))).toBe("FORBIDDEN");
    expect(codeOf(await t.gql(SET_PRICE, { input: { ...input, perSecond: "0" } }, { token: null }))).toBe("UNAUTHENTICATED");
    const prices = (await t.gql(PRICES, {}, { token: ownerToken })).data!.prices;
    expect(prices).toContainEqual({ model: "sora-2", size: "*", perSecond: "0.1" });
    expect(await t.app.services.db.modelPrice.findMany({ where: { model: "sora-2" } })).toEqual([]);
  });
});

describe("authentication", () => {
  const OPERATIONS: [string, string, Record<string, unknown>][] = [
    ["me", ME, {}],
    ["tasks", `query { tasks { totalCount edges { node { id } } } }`, {}],
    ["videoTask", `query($id: ID!) { videoTask(id: $id) { id } }`, { id: "x" }],
    ["node", `query($id: ID!) { node(id: $id) { id } }`, { id: "x" }],
    ["stats", `query { stats { total spent } }`, {}],
    ["prices", PRICES, {}],
    ["channels", CHANNELS, {}],
    ["createVideo", CREATE_VIDEO, { input: { model: "sora-2", prompt: "anonymous", seconds: 4 } }],
    [
      "remixVideo",
      `mutation($input: RemixVideoInput!) { remixVideo(input: $input) { id } }`,
      { input: { videoId: "x", prompt: "anonymous" } },
    ],
    ["cancelTask", CANCEL_TASK, { id: "x" }],
    ["grantCredit", `mutation { grantCredit(subject: "anonymous", amount: "1") { id } }`, {}],
    ["setModelPrice", SET_PRICE, { input: { model: "sora-2", size: "*", perSecond: "0" } }],
  ];

  it("answers every operation but introspection with UNAUTHENTICATED when there is no token, doing nothing", async () => {
    const tasksBefore = await t.app.services.db.task.count();
    const createsBefore = mock.requests.filter((r) => r.method === "POST").length;
    for (const [name, query, variables] of OPERATIONS) {
      const res = await t.gql(query, variables, { token: null });
      expect(codeOf(res), name).toBe("UNAUTHENTICATED");
    }
    // Also a real task id: the caller must not be able to cancel someone's task.
    const cancel = await t.gql(CANCEL_TASK, { id: othersTasks[1] }, { token: null });
    expect(codeOf(cancel)).toBe("UNAUTHENTICATED");
    expect(
      (await t.gql(`query($id: ID!) { videoTask(id: $id) { status } }`, { id: othersTasks[1] }, { token: otherToken })).data!.videoTask
        .status,
    ).toBe("QUEUED");

    expect(await t.app.services.db.task.count()).toBe(tasksBefore);
    expect(mock.requests.filter((r) => r.method === "POST").length).toBe(createsBefore);
    expect(await t.app.services.db.user.findUnique({ where: { subject: "anonymous" } })).toBeNull();
  });

  it("answers introspection without a token", async () => {
    const res = await t.gql(`{ __schema { queryType { name } mutationType { name } } }`, {}, { token: null });
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ __schema: { queryType: { name: "Query" }, mutationType: { name: "Mutation" } } });
  });

  it("answers an expired, forged or malformed token with UNAUTHENTICATED and HTTP 401, and creates no user", async () => {
    const subject = "intruder@queries";
    const past = Math.floor(Date.now() / 1000) - 3600;
    const tokens = {
      expired: await tokenFor(subject, { expiresIn: past }),
      forged: await tokenFor(subject, { role: "admin", secret: "not-the-server-secret" }),
      malformed: "not.a.jwt",
    };
    for (const [kind, token] of Object.entries(tokens)) {
      for (const query of [ME, `{ __schema { queryType { name } } }`]) {
        const res = await t.gql(query, {}, { token });
        expect(res.status, `${kind}: ${query}`).toBe(401);
        expect(codeOf(res), `${kind}: ${query}`).toBe("UNAUTHENTICATED");
        expect(res.data ?? null).toBeNull();
      }
    }
    const scheme = await t.gql(ME, {}, { headers: { authorization: `Basic ${Buffer.from("a:b").toString("base64")}` } });
    expect(scheme.status).toBe(401);
    expect(codeOf(scheme)).toBe("UNAUTHENTICATED");
    expect(await t.app.services.db.user.findUnique({ where: { subject } })).toBeNull();
  });
});
