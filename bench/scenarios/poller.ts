import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Agent, request } from "undici";
import { openDatabase } from "../../src/db/index.js";
import { startChild } from "../lib/child.js";
import { scratchDatabase } from "../lib/env.js";
import type { Figure } from "../lib/report.js";

const INTERVAL_MS = 1_000;
/** a poll is on time when it comes at most this long after the previous one of its task */
const ON_TIME_MS = INTERVAL_MS * 1.1;
const CLOCK_TICKS = 100; // USER_HZ of /proc/<pid>/stat
/** requests one worker keeps in flight (WORKER_CONCURRENCY) */
const WORKER_CONCURRENCY = 256;

/** the worker's poll interval held at the base: what Reelay did before the interval adapted */
const FIXED_INTERVAL = { pollIntervalMs: INTERVAL_MS, pollMinIntervalMs: INTERVAL_MS, pollMaxIntervalMs: INTERVAL_MS };

interface Run {
  tasks: number;
  polls: number;
  onTime: number;
  cores: number;
  statementsPerPoll: number;
  /** the same mock polled by a bare HTTP client as fast as it can, in this process */
  bare: { pollsPerSecond: number; cpuMicrosPerPoll: number } | null;
}

/**
 * The peer bound: a bare undici client with as many requests in flight as the worker has
 * slots, polling the same jobs of the same mock as fast as it can, and what each poll costs
 * it in CPU. No database, no scheduling: what the HTTP exchange alone costs on this machine.
 */
async function barePolling(provider: { baseUrl: string; apiKey: string; ids: string[] }, inFlight: number, seconds: number) {
  const agent = new Agent({ keepAliveTimeout: 30_000 });
  const headers = { authorization: `Bearer ${provider.apiKey}` };
  const until = Date.now() + seconds * 1_000;
  const cpu0 = process.cpuUsage();
  let polls = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async (_, lane) => {
      for (let i = lane; Date.now() < until; i += inFlight) {
        const res = await request(`${provider.baseUrl}/v1/videos/${provider.ids[i % provider.ids.length]}`, { headers, dispatcher: agent });
        JSON.parse(await res.body.text());
        polls++;
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  await agent.close();
  return { pollsPerSecond: polls / seconds, cpuMicrosPerPoll: (cpu.user + cpu.system) / polls };
}

/** SQL statements the worker has sent so far, from its /metrics. */
async function statementsOf(origin: string) {
  const text = await (await fetch(`${origin}/metrics`)).text();
  return Number(/^reelay_db_statements_total (\d+)/m.exec(text)?.[1] ?? NaN);
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
async function cpuSeconds(pid: number) {
  const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/**
 * `tasks` running tasks, spread evenly over one interval, polled by one worker process
 * against the mock gateway (its own process) for `seconds` after a warm-up.
 */
async function pollFor(tasks: number, seconds: number, withBareBound: boolean): Promise<Run> {
  const database = await scratchDatabase();
  const statsFile = path.join(tmpdir(), `reelay-bench-polls-${process.pid}-${tasks}.json`);
  const provider = await startChild<{ baseUrl: string; apiKey: string; ids: string[] }>("bench/lib/poll-provider.ts", [
    String(tasks),
    statsFile,
  ]);
  let worker: Awaited<ReturnType<typeof startChild<{ url: string; origin: string }>>> | null = null;
  try {
    const { db, close } = await openDatabase(database.url);
    const user = await db.user.create({ data: { subject: "poller@bench" } });
    const channel = await db.channel.create({
      data: { name: "gateway", provider: "openai", baseUrl: provider.info.baseUrl, apiKey: provider.info.apiKey, models: ["sora-2"] },
    });
    await db.$executeRaw`
      INSERT INTO tasks (id, "userId", "channelId", provider, model, prompt, seconds, status, "upstreamId", "nextPollAt", "deadlineAt", "updatedAt")
      SELECT gen_random_uuid(), ${user.id}::uuid, ${channel.id}::uuid, 'openai', 'sora-2', 'a poller benchmark', 4, 'PROCESSING', id,
             now() + (${INTERVAL_MS} * random()) * interval '1 millisecond', now() + interval '1 day', now()
      FROM unnest(${provider.info.ids}::text[]) AS id`;
    await close();

    // Measured first, while no worker runs; its polls fall outside the worker's window.
    const bare = withBareBound ? await barePolling(provider.info, WORKER_CONCURRENCY, Math.min(seconds, 10)) : null;

    // The interval pinned to the base: these rows measure the worker's throughput on a fixed schedule.
    worker = await startChild<{ url: string; origin: string }>("bench/lib/reelay-server.ts", [
      JSON.stringify({ databaseUrl: database.url, role: "worker", ...FIXED_INTERVAL, workerConcurrency: WORKER_CONCURRENCY }),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 5_000)); // warm-up: JIT, pool, schedule settles
    const from = Date.now();
    const [cpu0, sql0] = [await cpuSeconds(worker.child.pid!), await statementsOf(worker.info.origin)];
    await new Promise((resolve) => setTimeout(resolve, seconds * 1_000));
    const [cpu1, sql1] = [await cpuSeconds(worker.child.pid!), await statementsOf(worker.info.origin)];
    const to = Date.now();
    await worker.stop();
    worker = null;
    await provider.stop();

    const arrivals = JSON.parse(await readFile(statsFile, "utf8")) as Record<string, number[]>;
    // Every poll in the window counts; it is on time when it came at most 1.1 intervals after
    // the task's previous poll. A task's first poll has nothing to be on time against.
    let polls = 0;
    let onTime = 0;
    for (const times of Object.values(arrivals)) {
      for (let i = 0; i < times.length; i++) {
        if (times[i] < from || times[i] > to) continue;
        polls++;
        if (i > 0 && times[i] - times[i - 1] <= ON_TIME_MS) onTime++;
      }
    }
    // Polls that never happened are late too: measure against what was due.
    const due = Math.round((tasks * (to - from)) / INTERVAL_MS);
    return {
      tasks,
      polls,
      onTime: onTime / Math.max(polls, due),
      cores: (cpu1 - cpu0) / ((to - from) / 1000),
      statementsPerPoll: (sql1 - sql0) / Math.max(1, polls),
      bare,
    };
  } finally {
    await worker?.stop();
    await provider.stop();
    await rm(statsFile, { force: true });
    await database.drop();
  }
}

/** What one interval made of the same jobs: provider polls per completed task, and how late completions came. */
interface CompletionRun {
  tasks: number;
  completed: number;
  polls: number;
  /** mean time from the job finishing at the provider to the task COMPLETED in Reelay */
  lagMs: number;
}

/**
 * The same `tasks` jobs, each queued for `timeline.queuedMs` and then running for
 * `timeline.runningMs` with evenly rising progress (the mock follows the clock, not the
 * polls), polled by one worker until all complete: with the fixed interval or the adaptive one.
 */
async function pollsPerCompletion(
  interval: "fixed" | "adaptive",
  tasks: number,
  timeline: { queuedMs: number; runningMs: number },
): Promise<CompletionRun> {
  const database = await scratchDatabase();
  const statsFile = path.join(tmpdir(), `reelay-bench-completions-${process.pid}-${interval}.json`);
  let worker: Awaited<ReturnType<typeof startChild<{ url: string; origin: string }>>> | null = null;
  let provider: Awaited<ReturnType<typeof startChild<{ baseUrl: string; apiKey: string; ids: string[]; createdMs: number[] }>>> | null =
    null;
  const { db, close } = await openDatabase(database.url);
  try {
    const user = await db.user.create({ data: { subject: "completions@bench" } });
    const channel = await db.channel.create({
      data: { name: "gateway", provider: "openai", baseUrl: "http://127.0.0.1:9", apiKey: "", models: ["sora-2"] },
    });
    const schedule = interval === "fixed" ? FIXED_INTERVAL : { pollIntervalMs: INTERVAL_MS };
    worker = await startChild("bench/lib/reelay-server.ts", [JSON.stringify({ databaseUrl: database.url, role: "worker", ...schedule })]);
    // The jobs start once the worker is up, so that both intervals see the whole of every job.
    provider = await startChild("bench/lib/poll-provider.ts", [String(tasks), statsFile, JSON.stringify({ timeline })]);
    const { baseUrl, apiKey, ids, createdMs } = provider.info;
    await db.channel.update({ where: { id: channel.id }, data: { baseUrl, apiKey } });
    // As a submission hands a task over: QUEUED, first poll one base interval on.
    await db.$executeRaw`
      INSERT INTO tasks (id, "userId", "channelId", provider, model, prompt, seconds, status, "upstreamId", "nextPollAt", "deadlineAt", "submittedAt", "updatedAt")
      SELECT gen_random_uuid(), ${user.id}::uuid, ${channel.id}::uuid, 'openai', 'sora-2', 'a completions benchmark', 4, 'QUEUED', id,
             now() + ${INTERVAL_MS} * interval '1 millisecond', now() + interval '1 day', now(), now()
      FROM unnest(${ids}::text[]) AS id`;
    const giveUpAt = Date.now() + timeline.queuedMs + timeline.runningMs + 30_000;
    while (Date.now() < giveUpAt && (await db.task.count({ where: { status: "COMPLETED" } })) < tasks) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const done = await db.task.findMany({ where: { status: "COMPLETED" }, select: { upstreamId: true, completedAt: true } });
    await worker.stop();
    worker = null;
    await provider.stop();
    provider = null;
    const arrivals = JSON.parse(await readFile(statsFile, "utf8")) as Record<string, number[]>;
    const finishedAt = new Map(ids.map((id, i) => [id, createdMs[i] + timeline.queuedMs + timeline.runningMs]));
    const lags = done.map((t) => t.completedAt!.getTime() - finishedAt.get(t.upstreamId!)!);
    return {
      tasks,
      completed: done.length,
      polls: done.reduce((sum, t) => sum + (arrivals[t.upstreamId!]?.length ?? 0), 0),
      lagMs: lags.reduce((a, b) => a + b, 0) / Math.max(1, lags.length),
    };
  } finally {
    await worker?.stop();
    await provider?.stop();
    await close();
    await rm(statsFile, { force: true });
    await database.drop();
  }
}

/** The adaptive interval against the fixed one on the same jobs: polls per completed task, and how late completions come. */
async function adaptiveFigures(quick: boolean): Promise<Figure[]> {
  const tasks = quick ? 50 : 200;
  const timeline = quick ? { queuedMs: 3_000, runningMs: 12_000 } : { queuedMs: 5_000, runningMs: 25_000 };
  const fixed = await pollsPerCompletion("fixed", tasks, timeline);
  const adaptive = await pollsPerCompletion("adaptive", tasks, timeline);
  const perTask = (r: CompletionRun) => r.polls / Math.max(1, r.completed);
  const jobs = `${tasks} jobs, each queued ${timeline.queuedMs / 1000} s then running ${timeline.runningMs / 1000} s, POLL_INTERVAL_MS=${INTERVAL_MS}`;
  return [
    {
      scenario: "poller",
      figure: "polls per completed task, adaptive interval",
      value: perTask(adaptive),
      unit: "",
      bound: { label: "fixed interval, same jobs", value: perTask(fixed), unit: "" },
      ratio: perTask(fixed) / perTask(adaptive),
      goal: "fewer than fixed",
      met: adaptive.completed === tasks && fixed.completed === tasks && perTask(adaptive) < perTask(fixed),
      note: `${jobs}; completed ${adaptive.completed} (adaptive) and ${fixed.completed} (fixed) of ${tasks}`,
    },
    {
      scenario: "poller",
      figure: "provider finished → COMPLETED, adaptive interval, mean",
      value: adaptive.lagMs,
      unit: "ms",
      bound: { label: "fixed interval, same jobs", value: fixed.lagMs, unit: "ms" },
      ratio: fixed.lagMs / adaptive.lagMs,
      goal: "report",
      met: null,
      note: "from the moment the mock's job finished to the task's completedAt, the download of its media included",
    },
  ];
}

/** 10,000 running tasks on a 1 s interval with one worker (and 1,000 beside it, to show what grows). */
export async function poller(options: { quick: boolean }): Promise<Figure[]> {
  const [small, large] = options.quick ? [500, 2_000] : [1_000, 10_000];
  const seconds = options.quick ? 10 : 20;
  const runs = [await pollFor(small, seconds, false), await pollFor(large, seconds, true)];
  const [s, l] = runs;
  const adaptive = await adaptiveFigures(options.quick);
  const note = (r: Run) =>
    `${r.tasks} tasks: ${r.polls} polls in ${seconds} s (${((r.polls / seconds / r.tasks) * 100).toFixed(0)}% of the ${r.tasks}/s due)`;
  return [
    ...runs.map(
      (r): Figure => ({
        scenario: "poller",
        figure: `polls on time (≤ ${ON_TIME_MS} ms apart), ${r.tasks} tasks`,
        value: r.onTime * 100,
        unit: "%",
        bound: { label: "goal", value: 95, unit: "%" },
        ratio: r.onTime / 0.95,
        goal: "≥ 95%",
        met: r.onTime >= 0.95,
        note: note(r),
      }),
    ),
    ...runs.map(
      (r): Figure => ({
        scenario: "poller",
        figure: `worker CPU, ${r.tasks} tasks`,
        value: r.cores,
        unit: "cores",
        bound: { label: "goal", value: 1, unit: "cores" },
        ratio: 1 / r.cores,
        goal: "≤ 1 core",
        met: r.cores <= 1,
      }),
    ),
    {
      scenario: "poller",
      figure: `worker CPU per poll, ${l.tasks} tasks`,
      value: (l.cores * 1e6 * seconds) / Math.max(1, l.polls),
      unit: "µs",
      bound: { label: "bare HTTP client, same mock", value: l.bare!.cpuMicrosPerPoll, unit: "µs" },
      ratio: l.bare!.cpuMicrosPerPoll / ((l.cores * 1e6 * seconds) / Math.max(1, l.polls)),
      goal: "report",
      met: null,
      note: `the bare client reached ${Math.round(l.bare!.pollsPerSecond)} polls/s against this mock (${WORKER_CONCURRENCY} in flight); 10,000 polls/s within one core leaves 100 µs a poll`,
    },
    {
      scenario: "poller",
      figure: `SQL statements per poll, ${l.tasks} tasks`,
      value: l.statementsPerPoll,
      unit: "",
      bound: { label: `same at ${s.tasks} tasks`, value: s.statementsPerPoll, unit: "" },
      ratio: s.statementsPerPoll / l.statementsPerPoll,
      goal: "constant (ratio ≈ 1)",
      met: l.statementsPerPoll <= s.statementsPerPoll * 1.2,
      note: "counted by the worker's pg pool (reelay_db_statements_total), transaction control included",
    },
    ...adaptive,
  ];
}
