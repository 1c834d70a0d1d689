/**
 * The info log tells each task's story a person can follow: created, submitted (on which
 * channel), completed or failed, settled (for how much), every line with the task and its
 * user; and at start, where GraphQL and GraphiQL are.
 */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseTaskId } from "../src/schema/tasks.js";
import { completeTask, endTask } from "../src/tasks/lifecycle.js";
import { startTestApp, type TestApp } from "./helpers/app.js";
import { createTestDatabase, type TestDatabase } from "./helpers/database.js";
import { CREATE_VIDEO, grantCredit, upsertChannel, waitForTask } from "./helpers/fixtures.js";
import { tokenFor } from "./helpers/tokens.js";
import { until } from "./helpers/wait.js";
import { type MockOpenAIVideos, startMockOpenAIVideos } from "./mocks/openai-videos.js";

type LogLine = Record<string, any> & { level: number; msg: string };
const INFO = 30; // pino's number for the info level
const STORY = ["task created", "task submitted", "task completed", "task failed", "task cancelled", "task settled"];

let database: TestDatabase;
let mock: MockOpenAIVideos;
let t: TestApp;
const lines: LogLine[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  mock = await startMockOpenAIVideos();
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  t = await startTestApp({ databaseUrl: database.url, logger });
  await upsertChannel(t, { name: "logged-gateway", baseUrl: mock.baseUrl, apiKey: mock.apiKey, models: ["sora-2"] });
});

afterAll(async () => {
  await t?.stop();
  await mock?.close();
  await database?.drop();
});

/** A user with credit who creates one task; returns its row id and the user's. */
async function createTask(subject: string, prompt: string) {
  const token = await tokenFor(subject);
  await grantCredit(t, subject, "5");
  const res = await t.gql(CREATE_VIDEO, { input: { model: "sora-2", seconds: 4, size: "1280x720", prompt } }, { token });
  expect(res.errors).toBeUndefined();
  const task = res.data!.createVideo;
  const user = await t.app.services.db.user.findUniqueOrThrow({ where: { subject } });
  return { task, token, taskId: parseTaskId(task.id)!, userId: user.id };
}

/** The info lines of one task's story, in the order they were logged. */
const storyOf = (taskId: string) => lines.filter((l) => l.taskId === taskId && STORY.includes(l.msg));

describe("task logs", () => {
  it("says at start where GraphQL is and that GraphiQL is served there", async () => {
    const started = lines.filter((l) => l.msg === "reelay is listening");
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ level: INFO, graphql: t.url, graphiql: t.url });
    const page = await fetch(started[0].graphiql, { headers: { accept: "text/html" } });
    expect(await page.text()).toContain("GraphiQL");
  });

  it("logs one line each when a task is created, submitted on its channel, completed and settled for its cost", async () => {
    const { task, token, taskId, userId } = await createTask("story@logs", "a lighthouse at dusk");
    const done = await waitForTask(t, token, task.id, (x) => x.status === "COMPLETED");
    await until("the settlement line", () => storyOf(taskId).some((l) => l.msg === "task settled"));

    const story = storyOf(taskId);
    expect(story.map((l) => l.msg)).toEqual(["task created", "task submitted", "task completed", "task settled"]);
    for (const line of story) expect(line).toMatchObject({ level: INFO, taskId, userId });
    expect(story[0]).toMatchObject({ subject: "story@logs", model: "sora-2" });
    expect(story[1]).toMatchObject({ channel: "logged-gateway" });
    expect(story[3].amount).toBe(done.cost);
    expect(Number(story[3].amount)).toBeGreaterThan(0);
  });

  it("logs one line when a task fails, then its settlement at no cost", async () => {
    const { task, token, taskId, userId } = await createTask("failure@logs", "[fail] a storm");
    await waitForTask(t, token, task.id, (x) => x.status === "FAILED");
    await until("the settlement line", () => storyOf(taskId).some((l) => l.msg === "task settled"));

    const story = storyOf(taskId);
    expect(story.map((l) => l.msg)).toEqual(["task created", "task submitted", "task failed", "task settled"]);
    for (const line of story) expect(line).toMatchObject({ level: INFO, taskId, userId });
    expect(story[2].code).toBeTruthy();
    expect(story[3]).toMatchObject({ amount: "0" });
    expect(Number(story[3].released)).toBeGreaterThan(0);
  });

  it("logs a task's end once when several workers finish it at the same moment", async () => {
    mock.scriptFor("[pinned]", { queuedPolls: 10_000 });
    const { taskId } = await createTask("race@logs", "[pinned] a heron");
    const services = t.app.services;
    await Promise.all([
      completeTask(services, taskId, { charge: 1n }),
      completeTask(services, taskId, { charge: 1n }),
      endTask(services, taskId, "FAILED", { code: "TIMEOUT", message: "too late" }),
    ]);
    const ends = storyOf(taskId).filter((l) => l.msg !== "task created" && l.msg !== "task submitted");
    expect(ends.filter((l) => l.msg === "task settled")).toHaveLength(1);
    expect(ends).toHaveLength(2);
  });
});
