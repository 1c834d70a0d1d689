import autocannon from "autocannon";
import { startChild } from "../lib/child.js";
import { gql, tokenFor } from "../lib/client.js";
import { scratchDatabase } from "../lib/env.js";
import type { Figure } from "../lib/report.js";

const VIDEO_TASK = "query($id: ID!) { videoTask(id: $id) { id status progress model cost videoUrl createdAt } }";

function load(url: string, body: string, headers: Record<string, string>, seconds: number) {
  return autocannon({
    url,
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
    connections: 32,
    duration: seconds,
  });
}

/**
 * videoTask(id) with a JWT on PostgreSQL, against bare graphql-yoga answering a constant
 * field, same run. Beside them, yoga answering one task with one read through the pg
 * driver and through Prisma: what a single database round trip costs on this machine.
 */
export async function read(options: { quick: boolean }): Promise<Figure[]> {
  const seconds = options.quick ? 3 : 10;
  const database = await scratchDatabase();
  const provider = await startChild<{ baseUrl: string; apiKey: string }>("bench/lib/mock-provider.ts");
  const reelay = await startChild<{ url: string }>("bench/lib/reelay-server.ts", [
    JSON.stringify({ databaseUrl: database.url, role: "api", channelBaseUrl: provider.info.baseUrl, channelApiKey: provider.info.apiKey }),
  ]);
  const bare = await startChild<{ url: string }>("bench/lib/bare-yoga.ts");
  const withPg = await startChild<{ url: string }>("bench/lib/yoga-one-query.ts", [database.url, "pg"]);
  const withPrisma = await startChild<{ url: string }>("bench/lib/yoga-one-query.ts", [database.url, "prisma"]);
  try {
    const token = await tokenFor("reader@bench");
    await gql(
      reelay.info.url,
      `mutation { grantCredit(subject: "reader@bench", amount: "100") { id } }`,
      {},
      await tokenFor("admin@bench", "admin"),
    );
    const created = await gql(
      reelay.info.url,
      "mutation($i: CreateVideoInput!) { createVideo(input: $i) { id } }",
      { i: { model: "sora-2", prompt: "a read benchmark", seconds: 4 } },
      token,
    );
    const id = created.data?.createVideo.id;
    if (!id) throw new Error(`createVideo failed: ${JSON.stringify(created.errors)}`);
    const check = await gql(reelay.info.url, VIDEO_TASK, { id }, token);
    if (check.data?.videoTask?.id !== id) throw new Error(`videoTask failed: ${JSON.stringify(check)}`);
    const rowId = Buffer.from(id, "base64").toString("utf8").split(":").pop()!; // the global id names the row
    const oneRead = JSON.stringify({ query: `query($id: ID!) { task(id: $id) { id status progress model } }`, variables: { id: rowId } });
    const runs = {
      bare: (s: number) => load(bare.info.url, JSON.stringify({ query: "{ hello }" }), {}, s),
      pg: (s: number) => load(withPg.info.url, oneRead, {}, s),
      prisma: (s: number) => load(withPrisma.info.url, oneRead, {}, s),
      reelay: (s: number) =>
        load(reelay.info.url, JSON.stringify({ query: VIDEO_TASK, variables: { id } }), { authorization: `Bearer ${token}` }, s),
    };
    for (const peer of [withPg, withPrisma]) {
      const answer = await gql(peer.info.url, `query($id: ID!) { task(id: $id) { id } }`, { id: rowId });
      if (answer.data?.task?.id !== rowId) throw new Error(`peer read failed: ${JSON.stringify(answer)}`);
    }

    // A second of warm-up for each (JIT, pools, caches), then the measured runs back to back.
    for (const run of Object.values(runs)) await run(1);
    const measured = {} as Record<keyof typeof runs, autocannon.Result>;
    for (const [name, run] of Object.entries(runs) as [keyof typeof runs, (s: number) => Promise<autocannon.Result>][]) {
      measured[name] = await run(seconds);
      if (measured[name].non2xx || measured[name].errors)
        throw new Error(`${name} answered ${measured[name].non2xx} non-2xx and ${measured[name].errors} errors`);
    }
    const rps = (name: keyof typeof runs) => measured[name].requests.average;
    const reelayRps = rps("reelay");
    const against = (name: "pg" | "prisma", label: string): Figure => ({
      scenario: "read",
      figure: `videoTask(id), against yoga reading one row ${label}`,
      value: reelayRps,
      unit: "req/s",
      bound: { label: `yoga + one read ${label}`, value: rps(name), unit: "req/s" },
      ratio: reelayRps / rps(name),
      goal: "report",
      met: null,
      note: `that peer reaches ${(rps(name) / rps("bare")).toFixed(2)} of bare yoga`,
    });
    return [
      {
        scenario: "read",
        figure: "videoTask(id) with JWT on PostgreSQL",
        value: reelayRps,
        unit: "req/s",
        bound: { label: "bare yoga, constant field", value: rps("bare"), unit: "req/s" },
        ratio: reelayRps / rps("bare"),
        goal: "≥ 0.60 of bare yoga",
        met: reelayRps / rps("bare") >= 0.6,
        note: `p99 latency ${measured.reelay.latency.p99} ms (bare yoga ${measured.bare.latency.p99} ms), 32 connections, ${seconds} s each`,
      },
      against("pg", "with pg"),
      against("prisma", "with Prisma"),
    ];
  } finally {
    await Promise.all([reelay.stop(), bare.stop(), withPg.stop(), withPrisma.stop()]);
    await provider.stop();
    await database.drop();
  }
}
