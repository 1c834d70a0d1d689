import autocannon from "autocannon";
import { startChild } from "../lib/child.js";
import { gql, tokenFor } from "../lib/client.js";
import { scratchDatabase } from "../lib/env.js";
import type { Figure } from "../lib/report.js";

const VIDEO_TASK = "query($id: ID!) { videoTask(id: $id) { id status progress model cost videoUrl createdAt } }";

function load(url: string, body: string, headers: Record<string, string>, seconds: number) {
  return autocannon({ url, method: "POST", headers: { "content-type": "application/json", ...headers }, body, connections: 32, duration: seconds });
}

/** videoTask(id) with a JWT on PostgreSQL, against bare graphql-yoga answering a constant field, same run. */
export async function read(options: { quick: boolean }): Promise<Figure[]> {
  const seconds = options.quick ? 3 : 10;
  const database = await scratchDatabase();
  const provider = await startChild<{ baseUrl: string; apiKey: string }>("bench/lib/mock-provider.ts");
  const reelay = await startChild<{ url: string }>("bench/lib/reelay-server.ts", [
    JSON.stringify({ databaseUrl: database.url, role: "api", channelBaseUrl: provider.info.baseUrl, channelApiKey: provider.info.apiKey }),
  ]);
  const bare = await startChild<{ url: string }>("bench/lib/bare-yoga.ts");
  try {
    const token = await tokenFor("reader@bench");
    await gql(reelay.info.url, `mutation { grantCredit(subject: "reader@bench", amount: "100") { id } }`, {}, await tokenFor("admin@bench", "admin"));
    const created = await gql(reelay.info.url, "mutation($i: CreateVideoInput!) { createVideo(input: $i) { id } }", { i: { model: "sora-2", prompt: "a read benchmark", seconds: 4 } }, token);
    const id = created.data?.createVideo.id;
    if (!id) throw new Error(`createVideo failed: ${JSON.stringify(created.errors)}`);
    const check = await gql(reelay.info.url, VIDEO_TASK, { id }, token);
    if (check.data?.videoTask?.id !== id) throw new Error(`videoTask failed: ${JSON.stringify(check)}`);

    // Interleaved warm-up, then the two measured runs back to back.
    await load(bare.info.url, JSON.stringify({ query: "{ hello }" }), {}, 1);
    await load(reelay.info.url, JSON.stringify({ query: VIDEO_TASK, variables: { id } }), { authorization: `Bearer ${token}` }, 1);
    const baseline = await load(bare.info.url, JSON.stringify({ query: "{ hello }" }), {}, seconds);
    const measured = await load(reelay.info.url, JSON.stringify({ query: VIDEO_TASK, variables: { id } }), { authorization: `Bearer ${token}` }, seconds);
    if (measured.non2xx || measured.errors) throw new Error(`read path answered ${measured.non2xx} non-2xx and ${measured.errors} errors`);
    const ratio = measured.requests.average / baseline.requests.average;
    return [
      {
        scenario: "read",
        figure: "videoTask(id) with JWT on PostgreSQL",
        value: measured.requests.average,
        unit: "req/s",
        bound: { label: "bare yoga, constant field", value: baseline.requests.average, unit: "req/s" },
        ratio,
        goal: "≥ 0.60 of bare yoga",
        met: ratio >= 0.6,
        note: `p99 latency ${measured.latency.p99} ms (bare yoga ${baseline.latency.p99} ms), 32 connections, ${seconds} s each`,
      },
    ];
  } finally {
    await reelay.stop();
    await bare.stop();
    await provider.stop();
    await database.drop();
  }
}
