import type { TestApp } from "./app.js";

/** What the fixtures need of a server: an in-process TestApp or a Reelay child process. */
export type GraphQLTarget = Pick<TestApp, "gql" | "adminToken">;

export const TASK_FIELDS = /* GraphQL */ `
  id status progress prompt model provider channel mediaType seconds size
  videoUrl thumbnailUrl cost createdAt updatedAt completedAt
  error { code message }
  remixedFrom { id }
`;

export const CREATE_VIDEO = /* GraphQL */ `
  mutation Create($input: CreateVideoInput!) { createVideo(input: $input) { ${TASK_FIELDS} } }
`;

export const ME = /* GraphQL */ `query { me { id subject role balance held } }`;

/** Points a channel at a provider (usually a mock on 127.0.0.1). */
export async function upsertChannel(
  t: GraphQLTarget,
  channel: { name: string; baseUrl: string; apiKey: string; models: string[]; provider?: string; priority?: number; enabled?: boolean },
) {
  const res = await t.gql(
    `mutation($input: ChannelInput!) { upsertChannel(input: $input) { id name provider baseUrl models enabled priority apiKeyHint } }`,
    { input: { provider: "openai", ...channel } },
    { token: t.adminToken },
  );
  if (res.errors) throw new Error(`upsertChannel failed: ${JSON.stringify(res.errors)}`);
  return res.data!.upsertChannel;
}

export async function grantCredit(t: GraphQLTarget, subject: string, amount: string) {
  const res = await t.gql(
    `mutation($s: String!, $a: Money!) { grantCredit(subject: $s, amount: $a) { id balance held } }`,
    { s: subject, a: amount },
    { token: t.adminToken },
  );
  if (res.errors) throw new Error(`grantCredit failed: ${JSON.stringify(res.errors)}`);
  return res.data!.grantCredit;
}

/** Polls videoTask until `predicate` holds; fails after `timeoutMs`. */
export async function waitForTask(t: GraphQLTarget, token: string, id: string, predicate: (task: any) => boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let task: any = null;
  while (Date.now() < deadline) {
    const res = await t.gql(`query($id: ID!) { videoTask(id: $id) { ${TASK_FIELDS} } }`, { id }, { token });
    task = res.data?.videoTask;
    if (task && predicate(task)) return task;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`task ${id} did not reach the expected state; last seen: ${JSON.stringify(task)}`);
}

/** The ledger of a user, oldest first, straight from the database. */
export async function ledgerOf(t: TestApp, subject: string) {
  const user = await t.app.services.db.user.findUniqueOrThrow({ where: { subject } });
  return t.app.services.db.ledgerEntry.findMany({ where: { userId: user.id }, orderBy: { createdAt: "asc" } });
}
