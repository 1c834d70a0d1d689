import { expect } from "vitest";
import type { TestApp } from "../helpers/app.js";
import { grantCredit } from "../helpers/fixtures.js";
import { tokenFor } from "../helpers/tokens.js";
import type { MockOpenAIVideos } from "../mocks/openai-videos.js";

export const QUEUED_TASK = /* GraphQL */ `id status progress queuePosition cost channel error { code message }`;
export const CREATE = /* GraphQL */ `mutation($input: CreateVideoInput!) { createVideo(input: $input) { ${QUEUED_TASK} } }`;
export const TASK = /* GraphQL */ `query($id: ID!) { videoTask(id: $id) { ${QUEUED_TASK} } }`;
export const PROGRESS = /* GraphQL */ `subscription($id: ID!) { taskProgress(id: $id) { id status queuePosition } }`;
export const CANCEL = /* GraphQL */ `mutation($id: ID!) { cancelTask(id: $id) { ${QUEUED_TASK} } }`;
const UPSERT = /* GraphQL */ `mutation($input: ChannelInput!) { upsertChannel(input: $input) { name maxConcurrency whenFull } }`;

/** The mock's jobs stay queued until a test finishes them (`finish`): a slot frees when the test says so. */
export const HELD_JOBS = { script: { queuedPolls: 1_000_000 } };

/** A channel named `name` on the mock for sora-2, with a limit. */
export async function limitedChannel(
  t: TestApp,
  mock: MockOpenAIVideos,
  channel: { name: string; maxConcurrency: number; whenFull?: "QUEUE" | "REFUSE"; priority?: number },
) {
  const res = await t.gql(
    UPSERT,
    { input: { provider: "openai", baseUrl: mock.baseUrl, apiKey: mock.apiKey, models: ["sora-2"], ...channel } },
    { token: t.adminToken },
  );
  expect(res.errors).toBeUndefined();
  return res.data!.upsertChannel;
}

export async function userWithCredit(t: TestApp, subject: string, credit = "10") {
  await grantCredit(t, subject, credit);
  return tokenFor(subject);
}

/** createVideo for a 4-second sora-2 video (USD 0.40 held). */
export const create = (t: TestApp, token: string, prompt: string, extra: Record<string, unknown> = {}) =>
  t.gql(CREATE, { input: { model: "sora-2", prompt, seconds: 4, size: "1280x720", ...extra } }, { token });

export async function created(t: TestApp, token: string, prompt: string, extra: Record<string, unknown> = {}) {
  const res = await create(t, token, prompt, extra);
  expect(res.errors).toBeUndefined();
  return res.data!.createVideo;
}

export async function taskOf(t: TestApp, token: string, id: string) {
  return (await t.gql(TASK, { id }, { token })).data!.videoTask;
}

/** The prompts of the jobs the mock was asked to create, in the order the requests arrived. */
export const submittedPrompts = (mock: MockOpenAIVideos) =>
  mock.requests.filter((r) => r.method === "POST" && r.path === "/v1/videos").map((r) => String(r.fields.prompt));

/** Completes the mock's job for `prompt` now; the next poll finds it done. */
export function finish(mock: MockOpenAIVideos, prompt: string) {
  const job = [...mock.jobs.values()].find((j) => j.video.prompt === prompt);
  if (!job) throw new Error(`the mock has no job for "${prompt}"`);
  mock.setJobState(job.video.id, { status: "completed" });
}
