/**
 * The published client package, used as an application would: imported by its package name,
 * built JavaScript (not this repository's sources), over real HTTP and WebSocket to a running
 * instance. The same story runs on the urql and the Apollo set-ups.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import {
  CreateVideoDocument,
  type CreateVideoMutation,
  type CreateVideoMutationVariables,
  MeDocument,
  type MeQuery,
  TaskProgressDocument,
  type TaskProgressSubscription,
  TasksDocument,
  type TasksQuery,
  type TasksQueryVariables,
} from "@reelay/client";
import { createReelayApolloClient } from "@reelay/client/apollo";
import { createReelayUrqlClient } from "@reelay/client/urql";
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { tinyPng } from "../helpers/images.js";
import { tokenFor } from "../helpers/tokens.js";
import { useTestApp } from "../helpers/use-test-app.js";

const t = useTestApp({
  mock: "openai",
  mockOptions: { script: { queuedPolls: 1, progressSteps: [25, 50, 75] } },
  channels: [{ name: "gateway", models: ["sora-2"] }],
});

type Task = TaskProgressSubscription["taskProgress"];

/** What the story needs from a client set-up; each set-up answers it with its own API. */
interface TypedClient {
  query<R, V extends Record<string, unknown>>(document: TypedDocumentNode<R, V>, variables: V): Promise<R>;
  mutate<R, V extends Record<string, unknown>>(document: TypedDocumentNode<R, V>, variables: V): Promise<R>;
  /** every frame until `stop` returns true; rejects with the subscription's error */
  follow<R, V extends Record<string, unknown>>(document: TypedDocumentNode<R, V>, variables: V, stop: (frame: R) => boolean): Promise<R[]>;
  /** all the tasks there are, paged `pageSize` at a time the way this client pages */
  allTasks(pageSize: number): Promise<{ ids: string[]; pages: number }>;
  close(): Promise<void>;
}

const withTimeout = <T>(what: string, promise: Promise<T>, ms = 20_000) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms))]);

function urqlClient(token: string | (() => Promise<string>)): TypedClient {
  const { client, close } = createReelayUrqlClient({ url: t.url, token, webSocketImpl: WebSocket });
  const unwrap = <R>(result: { data?: R; error?: Error }) => {
    if (result.error) throw result.error;
    return result.data!;
  };
  const self: TypedClient = {
    query: async (document, variables) => unwrap(await client.query(document, variables, { requestPolicy: "network-only" }).toPromise()),
    mutate: async (document, variables) => unwrap(await client.mutation(document, variables).toPromise()),
    follow: (document, variables, stop) =>
      withTimeout(
        "subscription frames",
        new Promise((resolve, reject) => {
          const frames: unknown[] = [];
          const { unsubscribe } = client.subscription(document, variables).subscribe((result) => {
            if (result.error) return reject(result.error);
            frames.push(result.data);
            if (stop(result.data!)) {
              unsubscribe();
              resolve(frames as never);
            }
          });
        }),
      ),
    async allTasks(pageSize) {
      const ids: string[] = [];
      let after: string | null | undefined = null;
      let pages = 0;
      for (;;) {
        const page: TasksQuery = await self.query<TasksQuery, TasksQueryVariables>(TasksDocument, { first: pageSize, after });
        pages++;
        ids.push(...page.tasks.edges.map((edge) => edge.node.id));
        if (!page.tasks.pageInfo.hasNextPage) return { ids, pages };
        after = page.tasks.pageInfo.endCursor;
      }
    },
    close,
  };
  return self;
}

function apolloClient(token: string | (() => Promise<string>)): TypedClient {
  const { client, close } = createReelayApolloClient({ url: t.url, token, webSocketImpl: WebSocket });
  return {
    query: async (document, variables) => (await client.query({ query: document, variables, fetchPolicy: "network-only" })).data as never,
    mutate: async (document, variables) => (await client.mutate({ mutation: document, variables })).data as never,
    follow: (document, variables, stop) =>
      withTimeout(
        "subscription frames",
        new Promise((resolve, reject) => {
          const frames: unknown[] = [];
          const subscription = client.subscribe({ query: document, variables }).subscribe({
            next(result) {
              if (result.error) return reject(result.error);
              frames.push(result.data);
              if (stop(result.data as never)) {
                subscription.unsubscribe();
                resolve(frames as never);
              }
            },
            error: reject,
          });
        }),
      ),
    // Apollo merges each fetchMore page into the one cached list (reelayTypePolicies' relayStylePagination).
    async allTasks(pageSize) {
      const watched = client.watchQuery({ query: TasksDocument, variables: { first: pageSize } });
      let pages = 1;
      let current = (await watched.refetch()).data as TasksQuery;
      while (current.tasks.pageInfo.hasNextPage) {
        await watched.fetchMore({ variables: { after: current.tasks.pageInfo.endCursor } });
        pages++;
        current = watched.getCurrentResult().data as TasksQuery;
      }
      return { ids: current.tasks.edges.map((edge) => edge.node.id), pages };
    },
    close,
  };
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const TERMINAL = new Set(["COMPLETED", "FAILED", "CANCELLED"]);
const opened: TypedClient[] = [];
afterAll(async () => {
  for (const client of opened) await client.close();
});

describe.each([
  ["urql", urqlClient],
  ["Apollo Client", apolloClient],
])("@reelay/client with %s", (name, setUp) => {
  const subject = `client-${name.replace(/\W/g, "")}@test`;
  const open = (token: string | (() => Promise<string>)) => {
    const client = setUp(token);
    opened.push(client);
    return client;
  };

  it("creates a task with an uploaded image, follows it live to COMPLETED and pages the history", async () => {
    const client = open(await t.userWithCredit(subject, "10"));
    const me = await client.query<MeQuery, Record<string, never>>(MeDocument, {});
    expect(me.me).toMatchObject({ subject, balance: "10", held: "0" });

    const image = tinyPng();
    const created = await client.mutate<CreateVideoMutation, CreateVideoMutationVariables>(CreateVideoDocument, {
      input: {
        model: "sora-2",
        prompt: `a lighthouse in fog (${name})`,
        seconds: 4,
        inputReference: new File([image], "frame.png", { type: "image/png" }),
      },
    });
    const task = created.createVideo;
    expect(task).toMatchObject({ status: "QUEUED", model: "sora-2", seconds: 4 });
    // the provider received the file's exact bytes: the upload went as a multipart request
    const upstream = [...t.mock.jobs.values()].find((job) => job.video.prompt === `a lighthouse in fog (${name})`);
    expect(upstream?.inputReference).toMatchObject({ kind: "file", sha256: sha256(image) });

    const frames = await client.follow(TaskProgressDocument, { id: task.id }, (frame) => TERMINAL.has(frame.taskProgress.status));
    const statuses = frames.map((frame) => frame.taskProgress.status);
    expect(statuses.at(-1)).toBe("COMPLETED");
    const progress = frames.map((frame) => frame.taskProgress.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const done: Task = frames.at(-1)!.taskProgress;
    expect(done).toMatchObject({ id: task.id, progress: 100, cost: "0.4" });
    expect(done.videoUrl).toMatch(/^http/);

    for (const n of [1, 2]) {
      await client.mutate(CreateVideoDocument, { input: { model: "sora-2", prompt: `page filler ${n} (${name})`, seconds: 4 } });
    }
    const history = await client.allTasks(2);
    expect(history.pages).toBe(2);
    expect(history.ids).toHaveLength(3);
    expect(new Set(history.ids).size).toBe(3);
    expect(history.ids).toContain(task.id);
  });

  it("asks a token function again for each request, and reports a refused token instead of retrying forever", async () => {
    let asked = 0;
    const token = await tokenFor(subject);
    const client = open(async () => {
      asked++;
      return token;
    });
    await client.query(MeDocument, {});
    await client.query(MeDocument, {});
    expect(asked).toBeGreaterThanOrEqual(2);

    const refused = open("sk-rl-thisKeyWasNeverIssuedToAnyoneAtAll0000");
    await expect(refused.query(MeDocument, {})).rejects.toThrow(/API key|token/i);
    const subscription = refused.follow(TaskProgressDocument, {}, () => true);
    // 4403 is final: the client gives up at once rather than reconnecting with a key that cannot work
    await expect(subscription).rejects.toThrow(/4403/);
  });
});

describe("@reelay/client in plain Node", () => {
  it("imports as built ESM, without a TypeScript loader, and runs a typed query", async () => {
    const token = await t.userWithCredit("plain-node@test", "3");
    const script = `
      import { MeDocument, webSocketUrlFor } from "@reelay/client";
      import { createReelayUrqlClient } from "@reelay/client/urql";
      const { client, close } = createReelayUrqlClient({ url: process.env.URL, token: process.env.TOKEN });
      const result = await client.query(MeDocument, {}).toPromise();
      await close();
      console.log(JSON.stringify({ me: result.data?.me, error: result.error?.message, ws: webSocketUrlFor(process.env.URL) }));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
      env: { PATH: process.env.PATH, URL: t.url, TOKEN: token },
      timeout: 20_000,
    });
    const out = JSON.parse(stdout.trim());
    expect(out.error).toBeUndefined();
    expect(out.me).toMatchObject({ subject: "plain-node@test", balance: "3" });
    expect(out.ws).toBe(t.url.replace(/^http:/, "ws:"));
  });
});
