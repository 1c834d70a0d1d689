import { expect } from "vitest";
import { parseTaskId } from "../../src/schema/tasks.js";
import type { TestApp } from "../helpers/app.js";
import { CREATE_VIDEO, grantCredit, ledgerOf, ME } from "../helpers/fixtures.js";
import { Collector, wsClient } from "../helpers/subscriptions.js";
import { tokenFor } from "../helpers/tokens.js";

const WATCH = /* GraphQL */ `subscription($id: ID!) { taskProgress(id: $id) { id status progress cost videoUrl provider channel error { code } } }`;

export interface TaskState {
  status: string;
  progress: number;
  cost: string;
  videoUrl: string | null;
  provider: string;
  channel: string;
  error: { code: string } | null;
}

/**
 * One task through the whole product: createVideo over HTTP, taskProgress over graphql-ws
 * until the terminal state, then the ledger. Checks what every provider must give: progress
 * that never falls, and one HOLD followed by one SETTLE (plus the release of any rest) or one RELEASE.
 */
export async function runTask(t: TestApp, subject: string, credit: string, input: Record<string, unknown>) {
  const token = await tokenFor(subject);
  await grantCredit(t, subject, credit);
  const created = await t.gql(CREATE_VIDEO, { input }, { token });
  expect(created.errors).toBeUndefined();
  const task = created.data!.createVideo;
  const client = wsClient(t.wsUrl, token);
  const updates = new Collector<{ taskProgress: TaskState }>(client, WATCH, { id: task.id });
  await updates.done;
  await client.dispose();
  const states = updates.results.map((r) => r.data!.taskProgress);
  for (let i = 1; i < states.length; i++) expect(states[i].progress).toBeGreaterThanOrEqual(states[i - 1].progress);
  const row = await t.app.services.db.task.findUniqueOrThrow({ where: { id: parseTaskId(task.id)! } });
  const last = states.at(-1)!;
  const movements = (await ledgerOf(t, subject)).filter((e) => e.taskId === row.id).map((e) => e.kind);
  // Completed: the charge settles, and what it leaves of the hold is released; otherwise all of it is released.
  if (last.status === "COMPLETED") expect(movements.join(",")).toMatch(/^HOLD,SETTLE(,RELEASE)?$/);
  else expect(movements).toEqual(["HOLD", "RELEASE"]);
  const me = (await t.gql(ME, {}, { token })).data!.me as { balance: string; held: string };
  return { created: task, states, last, row, me, token };
}

export async function bytesAt(url: string) {
  const res = await fetch(url);
  return { type: res.headers.get("content-type"), bytes: Buffer.from(await res.arrayBuffer()) };
}
