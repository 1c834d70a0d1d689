/**
 * Channel administration beyond upsertChannel: updateChannel changes only the fields it is given
 * (the key stays unless a new one is given), deleteChannel takes a channel out of the list and
 * routing once no task runs on it, and both are audited.
 */
import { describe, expect, it } from "vitest";
import { maskKey } from "../src/channels/input.js";
import { codeOf } from "./helpers/app.js";
import { CREATE_VIDEO, upsertChannel, waitForTask } from "./helpers/fixtures.js";
import { useTestApp } from "./helpers/use-test-app.js";

// Jobs stay queued upstream until a test finishes them, so a task runs as long as a test needs.
const t = useTestApp({ mock: "openai", mockOptions: { script: { queuedPolls: 1_000_000 } } });

const CHANNEL_FIELDS = "name baseUrl models enabled priority weight maxConcurrency apiKeyHint";
const UPDATE = /* GraphQL */ `
  mutation($name: String!, $patch: ChannelPatch!) { updateChannel(name: $name, patch: $patch) { ${CHANNEL_FIELDS} } }
`;
const DELETE = /* GraphQL */ `mutation($name: String!) { deleteChannel(name: $name) }`;
const REMIX = /* GraphQL */ `mutation($input: RemixVideoInput!) { remixVideo(input: $input) { id } }`;
const CHANNELS = /* GraphQL */ `query { channels { ${CHANNEL_FIELDS} } }`;
const AUDIT_LOG = /* GraphQL */ `query { auditLog(first: 20) { edges { node { action actorSubject target before after } } } }`;

const admin = (query: string, variables: Record<string, unknown> = {}) => t.gql(query, variables, { token: t.adminToken });

async function channelNamed(name: string) {
  const res = await admin(CHANNELS);
  return res.data!.channels.find((c: { name: string }) => c.name === name) ?? null;
}

async function auditEntries(target: string) {
  const res = await admin(AUDIT_LOG);
  return res.data!.auditLog.edges.map((e: { node: Record<string, any> }) => e.node).filter((e: { target: string }) => e.target === target);
}

/** The Authorization header of the mock's latest submission. */
function lastSubmissionAuth(): string | undefined {
  return t.mock.requests.filter((r) => r.method === "POST" && r.path === "/v1/videos").at(-1)?.headers.authorization;
}

/** Creates a task pinned to `channel`; the job stays queued upstream until finished. */
async function startTask(token: string, channel: string, prompt: string) {
  return t.gql(CREATE_VIDEO, { input: { prompt, model: "sora-2", channel } }, { token });
}

/** Lets the provider finish the task's job and waits until Reelay has it COMPLETED. */
async function finishTask(token: string, id: string, prompt: string) {
  const job = [...t.mock.jobs.values()].find((j) => j.video.prompt === prompt)!;
  t.mock.setJobState(job.video.id, { status: "completed", progress: 100 });
  return waitForTask(t, token, id, (task) => task.status === "COMPLETED");
}

describe("updateChannel", () => {
  it("changes only the fields given, and the provider keeps receiving the stored key", async () => {
    await upsertChannel(t, { name: "patched", baseUrl: t.mock.baseUrl, apiKey: t.mock.apiKey, models: ["sora-2"], priority: 3 });
    const before = await channelNamed("patched");
    const sealedKey = async () => (await t.app.services.db.channel.findUniqueOrThrow({ where: { name: "patched" } })).apiKey;
    const sealedBefore = await sealedKey();

    const res = await admin(UPDATE, { name: "patched", patch: { weight: 7 } });
    expect(res.errors).toBeUndefined();
    expect(res.data!.updateChannel).toEqual({ ...before, weight: 7 });
    expect(await sealedKey()).toBe(sealedBefore);

    const token = await t.userWithCredit("patch-user@test", "100");
    const created = await startTask(token, "patched", "a patched channel keeps its key");
    expect(created.errors).toBeUndefined();
    expect(lastSubmissionAuth()).toBe(`Bearer ${t.mock.apiKey}`);
  });

  it("seals and uses a new key when one is given", async () => {
    await upsertChannel(t, { name: "rekeyed", baseUrl: t.mock.baseUrl, apiKey: t.mock.apiKey, models: ["sora-2"] });
    const token = await t.userWithCredit("rekey-user@test", "100");

    const rotated = await admin(UPDATE, { name: "rekeyed", patch: { apiKey: "sk-rotated-channel-key-0001" } });
    expect(rotated.data!.updateChannel.apiKeyHint).toBe("sk-...0001");
    const stored = await t.app.services.db.channel.findUniqueOrThrow({ where: { name: "rekeyed" } });
    expect(stored.apiKey).not.toContain("sk-rotated");
    // the mock knows only its own key: the new one is sent, and refused
    await startTask(token, "rekeyed", "sent with the rotated key");
    expect(lastSubmissionAuth()).toBe("Bearer sk-rotated-channel-key-0001");

    await admin(UPDATE, { name: "rekeyed", patch: { apiKey: t.mock.apiKey } });
    const created = await startTask(token, "rekeyed", "sent with the mock's key again");
    expect(created.errors).toBeUndefined();
    expect(lastSubmissionAuth()).toBe(`Bearer ${t.mock.apiKey}`);
  });

  it("renames a channel, and its tasks follow it", async () => {
    await upsertChannel(t, { name: "old-name", baseUrl: t.mock.baseUrl, apiKey: t.mock.apiKey, models: ["sora-2"] });
    const res = await admin(UPDATE, { name: "old-name", patch: { name: "new-name", maxConcurrency: 2 } });
    expect(res.data!.updateChannel).toMatchObject({ name: "new-name", maxConcurrency: 2 });
    expect(await channelNamed("old-name")).toBeNull();

    const cleared = await admin(UPDATE, { name: "new-name", patch: { maxConcurrency: null } });
    expect(cleared.data!.updateChannel.maxConcurrency).toBeNull();

    const taken = await admin(UPDATE, { name: "new-name", patch: { name: "patched" } });
    expect(codeOf(taken)).toBe("CONFLICT");
  });

  it.each([
    ["baseUrl", { baseUrl: "https://gateway.example.com/v1" }],
    ["baseUrl", { baseUrl: null }],
    ["models", { models: [" "] }],
    ["apiKey", { apiKey: "  " }],
    ["weight", { weight: 0 }],
    ["maxConcurrency", { maxConcurrency: 0 }],
    ["name", { name: "no spaces allowed" }],
    ["enabled", { enabled: null }],
  ])("refuses a bad %s with BAD_USER_INPUT naming it, and changes nothing", async (field, patch) => {
    await upsertChannel(t, { name: "validated", baseUrl: t.mock.baseUrl, apiKey: t.mock.apiKey, models: ["sora-2"] });
    const before = await channelNamed("validated");
    const res = await admin(UPDATE, { name: "validated", patch });
    expect(codeOf(res)).toBe("BAD_USER_INPUT");
    expect(res.errors![0].extensions!.field).toBe(field);
    expect(await channelNamed("validated")).toEqual(before);
  });

  it("is NOT_FOUND for an unknown channel and FORBIDDEN to a non-admin", async () => {
    expect(codeOf(await admin(UPDATE, { name: "no-such-channel", patch: { weight: 2 } }))).toBe("NOT_FOUND");
    const user = await t.userWithCredit("plain-user@test", "1");
    const res = await t.gql(UPDATE, { name: "patched", patch: { enabled: false } }, { token: user });
    expect(codeOf(res)).toBe("FORBIDDEN");
    expect((await channelNamed("patched")).enabled).toBe(true);
  });

  it("is audited with before and after, the key only as its hint", async () => {
    await upsertChannel(t, { name: "audited", baseUrl: t.mock.baseUrl, apiKey: t.mock.apiKey, models: ["sora-2"] });
    await admin(UPDATE, { name: "audited", patch: { priority: 9, apiKey: "sk-audited-new-key-9999" } });
    const [entry] = await auditEntries("audited");
    expect(entry).toMatchObject({
      action: "CHANNEL_UPDATED",
      actorSubject: "admin@test",
      before: { priority: 0, apiKeyHint: maskKey(t.mock.apiKey) },
      after: { priority: 9, apiKeyHint: "sk-...9999" },
    });
    expect(JSON.stringify(entry)).not.toContain("sk-audited-new-key");
    expect(JSON.stringify(entry)).not.toContain(t.mock.apiKey);
  });
});

describe("deleteChannel", () => {
  it("is refused while a task runs on the channel, and allowed once it ends", async () => {
    await upsertChannel(t, { name: "retired", baseUrl: t.mock.baseUrl, apiKey: t.mock.apiKey, models: ["sora-2"], priority: 100 });
    const token = await t.userWithCredit("retired-user@test", "100");
    const prompt = "a task on a channel about to be deleted";
    const created = await startTask(token, "retired", prompt);
    expect(created.errors).toBeUndefined();
    const taskId = created.data!.createVideo.id;

    const refused = await admin(DELETE, { name: "retired" });
    expect(codeOf(refused)).toBe("CONFLICT");
    expect(refused.errors![0].message).toMatch(/"retired" has 1 running task/);
    expect(await channelNamed("retired")).not.toBeNull();

    await finishTask(token, taskId, prompt);
    const deleted = await admin(DELETE, { name: "retired" });
    expect(deleted.errors).toBeUndefined();
    expect(deleted.data!.deleteChannel).toBe(true);

    // gone from the list and from routing, pinned or not
    expect(await channelNamed("retired")).toBeNull();
    expect(codeOf(await startTask(token, "retired", "pinned to a deleted channel"))).toBe("NO_CHANNEL");
    const routed = await t.gql(CREATE_VIDEO, { input: { prompt: "routed by model", model: "sora-2" } }, { token });
    expect(routed.data?.createVideo.channel).not.toBe("retired");
    // the old task stays readable, under the name it ran on
    const old = await waitForTask(t, token, taskId, () => true);
    expect(old).toMatchObject({ status: "COMPLETED", channel: "retired" });
    const remix = await t.gql(REMIX, { input: { videoId: taskId, prompt: "again" } }, { token });
    expect(codeOf(remix)).toBe("NO_CHANNEL");
    expect(remix.errors![0].message).toBe('The channel "retired" that made this video is not available');

    // the name is free again, and NOT_FOUND for a second delete
    expect(codeOf(await admin(DELETE, { name: "retired" }))).toBe("NOT_FOUND");
    await upsertChannel(t, { name: "retired", baseUrl: t.mock.baseUrl, apiKey: t.mock.apiKey, models: ["sora-2"] });
    expect((await channelNamed("retired")).apiKeyHint).toBeTruthy();
    expect(codeOf(await admin(UPDATE, { name: "retired", patch: { enabled: false } }))).toBeUndefined();
  });

  it("and a task created while the delete holds the channel do not both go through", async () => {
    const { db } = t.app.services;
    await upsertChannel(t, { name: "contested", baseUrl: t.mock.baseUrl, apiKey: t.mock.apiKey, models: ["sora-2"] });
    const channel = await db.channel.findUniqueOrThrow({ where: { name: "contested" } });
    const token = await t.userWithCredit("contested-user@test", "100");
    let creating: ReturnType<typeof startTask> | undefined;
    // what deleteChannel does, with a task created between its lock and its commit
    await db.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM channels WHERE name = 'contested' FOR UPDATE`;
      creating = startTask(token, "contested", "created during the delete");
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await tx.task.count({ where: { channelId: channel.id } })).toBe(0);
      await tx.channel.update({
        where: { name: "contested" },
        data: { deletedAt: new Date(), enabled: false, name: "contested~deleted~x" },
      });
    });
    expect(codeOf(await creating!)).toBe("NO_CHANNEL");
    expect(await db.task.count({ where: { channelId: channel.id } })).toBe(0);
  });

  it("is audited with the channel as it was, and FORBIDDEN to a non-admin", async () => {
    await upsertChannel(t, { name: "short-lived", baseUrl: t.mock.baseUrl, apiKey: t.mock.apiKey, models: ["sora-2"] });
    const user = await t.userWithCredit("another-user@test", "1");
    expect(codeOf(await t.gql(DELETE, { name: "short-lived" }, { token: user }))).toBe("FORBIDDEN");

    expect((await admin(DELETE, { name: "short-lived" })).errors).toBeUndefined();
    const [entry] = await auditEntries("short-lived");
    expect(entry).toMatchObject({
      action: "CHANNEL_DELETED",
      actorSubject: "admin@test",
      before: { baseUrl: t.mock.baseUrl, models: ["sora-2"] },
      after: null,
    });
    expect(JSON.stringify(entry)).not.toContain(t.mock.apiKey);
  });
});
