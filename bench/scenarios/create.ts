import { startChild } from "../lib/child.js";
import { gql, tokenFor } from "../lib/client.js";
import { scratchDatabase } from "../lib/env.js";
import { type Figure, percentile } from "../lib/report.js";

const CREATE = "mutation($i: CreateVideoInput!) { createVideo(input: $i) { id status } }";
const input = (prompt: string) => ({ i: { model: "sora-2", prompt, seconds: 4 } });

/**
 * createVideo latency beside the provider's own submit latency (the same request sent
 * straight to the mock gateway), and 500 concurrent creates by distinct users.
 */
export async function create(options: { quick: boolean }): Promise<Figure[]> {
  const sequential = options.quick ? 100 : 300;
  const concurrent = 500;
  const database = await scratchDatabase();
  const provider = await startChild<{ baseUrl: string; apiKey: string }>("bench/lib/mock-provider.ts");
  const reelay = await startChild<{ url: string }>("bench/lib/reelay-server.ts", [
    JSON.stringify({ databaseUrl: database.url, role: "api", channelBaseUrl: provider.info.baseUrl, channelApiKey: provider.info.apiKey }),
  ]);
  try {
    const { url } = reelay.info;
    const admin = await tokenFor("admin@bench", "admin");
    const grant = (subject: string, amount: string) =>
      gql(url, "mutation($s: String!, $a: Money!) { grantCredit(subject: $s, amount: $a) { id } }", { s: subject, a: amount }, admin);

    // One after another: createVideo end to end, and the provider's submit alone.
    await grant("creator@bench", "1000");
    const token = await tokenFor("creator@bench");
    const through: number[] = [];
    const direct: number[] = [];
    for (let i = 0; i < sequential; i++) {
      let started = performance.now();
      const res = await gql(url, CREATE, input(`a create benchmark ${i}`), token);
      through.push(performance.now() - started);
      if (res.errors) throw new Error(JSON.stringify(res.errors));
      started = performance.now();
      const upstream = await fetch(`${provider.info.baseUrl}/v1/videos`, {
        method: "POST",
        headers: { authorization: `Bearer ${provider.info.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "sora-2", prompt: `a direct submit ${i}`, seconds: "4" }),
      });
      await upstream.arrayBuffer();
      direct.push(performance.now() - started);
    }
    through.sort((a, b) => a - b);
    direct.sort((a, b) => a - b);

    // 500 users, each with credit for exactly one 4 s task, all at once.
    const subjects = Array.from({ length: concurrent }, (_, i) => `burst-${i}@bench`);
    for (const subject of subjects) await grant(subject, "0.4");
    const tokens = await Promise.all(subjects.map((s) => tokenFor(s)));
    const started = performance.now();
    const results = await Promise.all(tokens.map((t, i) => gql(url, CREATE, input(`a burst ${i}`), t)));
    const burstSeconds = (performance.now() - started) / 1000;
    const failures = results.filter((r) => r.errors || !r.data?.createVideo).length;
    const balances = await Promise.all(tokens.map((t) => gql(url, "{ me { balance held } }", {}, t)));
    const overdrawn = balances.filter((b) => Number(b.data?.me.balance) < 0 || Number(b.data?.me.held) > 0.4).length;
    const again = await gql(url, CREATE, input("one more than the credit"), tokens[0]);

    const overhead = (p: number) => percentile(through, p) - percentile(direct, p);
    return [
      {
        scenario: "create",
        figure: "createVideo p50 (provider's own time subtracted)",
        value: overhead(50),
        unit: "ms",
        bound: { label: "provider submit p50", value: percentile(direct, 50), unit: "ms" },
        ratio: null,
        goal: "report",
        met: null,
        note: `createVideo p50 ${percentile(through, 50).toFixed(1)} ms, p99 ${percentile(through, 99).toFixed(1)} ms; direct submit p99 ${percentile(direct, 99).toFixed(1)} ms; ${sequential} sequential requests`,
      },
      {
        scenario: "create",
        figure: "createVideo p99 (provider's own time subtracted)",
        value: overhead(99),
        unit: "ms",
        bound: { label: "provider submit p99", value: percentile(direct, 99), unit: "ms" },
        ratio: null,
        goal: "report",
        met: null,
      },
      {
        scenario: "create",
        figure: `${concurrent} concurrent creates, distinct users: errors / overdrawn`,
        value: failures + overdrawn,
        unit: "",
        bound: null,
        ratio: null,
        goal: "0 errors, 0 overdrawn",
        met: failures === 0 && overdrawn === 0 && again.errors?.[0]?.extensions?.code === "INSUFFICIENT_CREDIT",
        note: `${failures} errors, ${overdrawn} overdrawn, in ${burstSeconds.toFixed(2)} s; a further create by a spent user answered ${again.errors?.[0]?.extensions?.code ?? "no error"}`,
      },
    ];
  } finally {
    await reelay.stop();
    await provider.stop();
    await database.drop();
  }
}
