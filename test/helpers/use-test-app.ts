/**
 * Per-file fixtures: each registers its own vitest `beforeAll` / `afterAll` and returns a handle
 * at once. The handle is an empty object while the file is collected and is filled in by its
 * `beforeAll`, so read it in tests and hooks (or hand it to another fixture, which reads it in
 * its own `beforeAll`), never at the top level of a file.
 *
 * Called at the top of a file, a fixture lives for the whole file; inside a `describe`, for that
 * block. Each `useTestApp` has a database of its own unless it is given another one's, so test
 * files stay isolated from each other when they run in parallel.
 */
import { afterAll, beforeAll, onTestFinished } from "vitest";
import type { Clock } from "../../src/clock.js";
import { startMockChatSse } from "../mocks/chat-sse.js";
import { startMockDashScope } from "../mocks/dashscope.js";
import { startMockGemini } from "../mocks/gemini.js";
import { startMockKling } from "../mocks/kling.js";
import { startMockOpenAIVideos } from "../mocks/openai-videos.js";
import { startMockSeedance } from "../mocks/seedance.js";
import { startTestApp, type TestApp } from "./app.js";
import { createTestDatabase, type TestDatabase } from "./database.js";
import { grantCredit, upsertChannel } from "./fixtures.js";
import { tokenFor } from "./tokens.js";

/** The mock providers, by the name of the provider each one plays. */
const MOCKS = {
  openai: startMockOpenAIVideos,
  gemini: startMockGemini,
  kling: startMockKling,
  dashscope: startMockDashScope,
  seedance: startMockSeedance,
  "chat-sse": startMockChatSse,
};

export type MockKind = keyof typeof MOCKS;
export type MockOf<K extends MockKind> = Awaited<ReturnType<(typeof MOCKS)[K]>>;
export type MockOptionsOf<K extends MockKind> = Parameters<(typeof MOCKS)[K]>[0];

/** What every mock provider offers a channel. */
export interface MockProvider {
  baseUrl: string;
  apiKey: string;
  close(): Promise<void>;
}

/** A channel created before the tests run. */
export interface TestChannel {
  name: string;
  models: string[];
  priority?: number;
  enabled?: boolean;
  /** default: the provider the fixture's mock plays */
  provider?: string;
  /** the server the channel calls; default: the fixture's mock */
  mock?: Pick<MockProvider, "baseUrl" | "apiKey">;
}

export interface TestAppOptions<K extends MockKind | undefined> {
  /** the mock provider started for this instance; its channels point at it unless they name another */
  mock?: K;
  mockOptions?: K extends MockKind ? MockOptionsOf<K> : never;
  /** config over startTestApp's test defaults */
  config?: Parameters<typeof startTestApp>[0]["config"];
  referenceFetch?: Parameters<typeof startTestApp>[0]["referenceFetch"];
  /** the time the instance's rules read: a test clock (createTestClock) lets a test move time; the machine's own otherwise */
  clock?: Clock;
  /** where the app logs (a test that reads the logs); none otherwise */
  logger?: Parameters<typeof startTestApp>[0]["logger"];
  /** channels upserted before the tests run */
  channels?: TestChannel[];
  /** another fixture's database (a second instance of the same deployment); by default one of its own */
  database?: TestDatabase;
}

/** A running instance with everything it was started with. */
export type TestAppFixture<M = undefined> = TestApp & {
  database: TestDatabase;
  mock: M;
  /** A bearer token for `subject`, who is granted `credit` first. */
  userWithCredit(subject: string, credit: string): Promise<string>;
};

/** An empty object now; `fill` puts the started thing's fields into it. */
const handle = <T extends object>() => ({}) as T;
const fill = <T extends object>(target: T, value: T) => Object.assign(target, value);

/**
 * Whatever `start` makes, started before the tests of the file (or block) and `stop`ped after
 * them. Its fields are copied into the handle, so it must keep no state in getters.
 */
export function useStarted<T extends object>(start: () => Promise<T>, stop: (started: T) => Promise<unknown>): T {
  const started = handle<T>();
  let value: T | undefined;
  beforeAll(async () => {
    value = await start();
    fill(started, value);
  });
  afterAll(async () => {
    if (value) await stop(value);
  });
  return started;
}

/** A fresh, migrated PostgreSQL database, dropped after the file (or block). */
export const useTestDatabase = (): TestDatabase => useStarted(createTestDatabase, (database) => database.drop());

async function startMock<K extends MockKind>(kind: K, options?: MockOptionsOf<K>): Promise<MockOf<K>> {
  // Each start function takes its own options type; `kind` has picked the matching one.
  const start = MOCKS[kind] as (options?: MockOptionsOf<K>) => Promise<MockOf<K>>;
  return start(options);
}

/** A mock provider on 127.0.0.1, closed after the file (or block). */
export const useMock = <K extends MockKind>(kind: K, options?: MockOptionsOf<K>): MockOf<K> =>
  useStarted(
    () => startMock(kind, options),
    (mock) => mock.close(),
  );

/** A mock provider for the running test alone, closed when it ends. */
export async function startMockForTest<K extends MockKind>(kind: K, options?: MockOptionsOf<K>): Promise<MockOf<K>> {
  const mock = await startMock(kind, options);
  onTestFinished(() => mock.close());
  return mock;
}

/** A Reelay instance on a database of its own for the running test alone: both go when it ends. */
export async function startTestAppForTest(
  config?: TestAppOptions<undefined>["config"],
  options: Pick<TestAppOptions<undefined>, "clock"> = {},
): Promise<TestApp> {
  const database = await createTestDatabase();
  let app: TestApp | undefined;
  onTestFinished(async () => {
    await app?.stop();
    await database.drop();
  });
  app = await startTestApp({ databaseUrl: database.url, config, clock: options.clock });
  return app;
}

/**
 * A Reelay instance on a free port (see startTestApp) with, by default, a database of its own,
 * the mock provider `options.mock` and the channels `options.channels`. Pass a function when an
 * option depends on something another fixture starts: it is called in `beforeAll`.
 */
export function useTestApp<K extends MockKind | undefined = undefined>(
  options: TestAppOptions<K> | (() => TestAppOptions<K>) = {},
): TestAppFixture<K extends MockKind ? MockOf<K> : undefined> {
  type M = K extends MockKind ? MockOf<K> : undefined;
  const database = handle<TestDatabase>();
  const mock = handle<MockOf<MockKind>>();
  // The database and the mock handles are there at once, so other fixtures may be given them.
  const fixture = { database, mock } as TestAppFixture<M>;
  let app: TestApp | undefined;
  let ownDatabase: TestDatabase | undefined;
  let startedMock: MockProvider | undefined;

  beforeAll(async () => {
    const o = typeof options === "function" ? options() : options;
    if (!o.database) ownDatabase = await createTestDatabase();
    fill(database, o.database ?? ownDatabase!);
    if (o.mock) {
      startedMock = await startMock(o.mock, o.mockOptions);
      fill(mock, startedMock);
    }
    app = await startTestApp({
      databaseUrl: database.url,
      config: o.config,
      referenceFetch: o.referenceFetch,
      clock: o.clock,
      logger: o.logger,
    });
    const started = app;
    Object.assign(fixture, started, {
      mock: o.mock ? mock : undefined,
      async userWithCredit(subject: string, credit: string) {
        await grantCredit(started, subject, credit);
        return tokenFor(subject);
      },
    });
    for (const { mock: server = startedMock, provider = o.mock ?? "openai", ...channel } of o.channels ?? []) {
      if (!server) throw new Error(`useTestApp: channel "${channel.name}" names no mock, and the fixture has none`);
      await upsertChannel(started, { ...channel, provider, baseUrl: server.baseUrl, apiKey: server.apiKey });
    }
  });

  afterAll(async () => {
    await app?.stop();
    await startedMock?.close();
    await ownDatabase?.drop();
  });

  return fixture;
}
