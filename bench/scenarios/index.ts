import type { Figure } from "../lib/report.js";
import { create } from "./create.js";
import { fanout } from "./fanout.js";
import { mirror } from "./mirror.js";
import { poller } from "./poller.js";
import { read } from "./read.js";
import { startup } from "./startup.js";

/** One benchmark scenario: what `--help` lists and what the Markdown report explains. */
export interface Scenario {
  name: string;
  /** one line: what is measured and against what (with the counts, full and --quick) */
  summary: string;
  /** how to read the figures: what the bounds show, what holds a missed goal back */
  reading?: string;
  run(options: { quick: boolean }): Promise<Figure[]>;
}

/** Every scenario, in the order `npm run bench` runs them. */
export const SCENARIOS: Scenario[] = [
  {
    name: "read",
    summary:
      "videoTask(id) with a JWT on PostgreSQL, 32 connections, against bare graphql-yoga answering a constant field and against yoga reading one row with pg and with Prisma (10 s per run; --quick: 3 s)",
    reading:
      "The two peer rows show what one database read costs on this machine: graphql-yoga answering one task by id with one query through the pg driver, and through Prisma, measured in the same run (their notes give their share of bare yoga). A server that reads the database on every request cannot reach a larger share of bare yoga than those peers do, whatever else it does. Reelay does one indexed read per request (signature checks and the caller's user row are cached); in a CPU profile the rest is spread thin over the schema's plugins (scope auth, Prisma selections) and yoga's request pipeline.",
    run: read,
  },
  {
    name: "fanout",
    summary:
      "a task change published on the bus to the frame each graphql-ws subscriber receives, subscribers split over two instances joined by Redis, against the raw Redis round trip and a plain WebSocket broadcast (1,000 subscribers, 20 changes; --quick: 200, 10)",
    reading:
      "The plain-WebSocket row shows what sending and receiving that many frames alone costs here: two plain `ws` servers forwarding the Redis message to half the clients each, received by the same benchmark process. When that row is already further from raw Redis than the goal allows, no server that writes one frame per subscriber can meet it on this machine. Reelay's remaining gap is one GraphQL execution and one graphql-ws serialisation per subscriber; the changed row is read once per instance.",
    run: fanout,
  },
  {
    name: "poller",
    summary:
      "running tasks polled on a 1 s interval by one worker, at two sizes to show what grows: polls on time, worker CPU, CPU per poll against a bare HTTP client, SQL statements per poll (1,000 and 10,000 tasks, 20 s; --quick: 500 and 2,000, 10 s); then the same jobs that queue and run on the provider's clock polled to completion with the adaptive interval and with the fixed one: polls per completed task and how late completions come (200 jobs of 5 s + 25 s; --quick: 50 of 3 s + 12 s)",
    reading:
      "Providers are called through undici's `request()` on a keep-alive pool (in a CPU profile fetch took most of the worker's time), a batch is claimed and read in one statement from a partial index of running tasks, and a finished poll frees its slot while its reschedule commits. The CPU-per-poll row's bound is a bare undici client with as many requests in flight, polling the same mock and doing nothing else; 10,000 polls a second within one core leaves 100 µs a poll, so what the bare client alone spends is what is left for the database and the schedule. A worker that falls behind polls each task less often than due, and then none is on time; several workers share the tasks through leases (see [Operations](operations.md#many-instances)). SQL statements per poll fall as load rises. The throughput rows hold the interval at its base; the last two rows let it adapt (slower while a job is queued, sooner as its progress nears the end) against the fixed interval on the same jobs: fewer polls for the same completions, at about the same lateness.",
    run: poller,
  },
  {
    name: "create",
    summary:
      "createVideo latency with the provider's own submit time subtracted, against that submit time sent straight to the mock gateway (300 sequential requests; --quick: 100), and 500 concurrent creates by distinct users: errors and overdrawn balances",
    run: create,
  },
  {
    name: "startup",
    summary:
      "`npm start` and `npm run start:built` until /ready answers 200: embedded first start (a new data directory), embedded with existing data, PostgreSQL; first makes the embedded database's template as postinstall does, and runs `npm run build` for the built rows (neither timed; the same with --quick)",
    reading:
      "Creating a PGlite cluster (`initdb` compiled to WebAssembly) and applying every migration through the WebAssembly schema engine takes several seconds, so postinstall does it once into a template that the embedded default's first start copies into its new data directory (see [Operations](operations.md#the-embedded-databases-template)); that start then checks the migrations and finds none pending, and costs about what a start on existing data does. `npm start` opens the database while the server's modules load; tsx compiles them, and keeps what it compiled in a cache in the system's temporary directory, so only a start after a change compiles again. The GraphiQL bundle (9 MB) loads with the first page, not at start.",
    run: startup,
  },
  {
    name: "mirror",
    summary:
      "a finished video streamed from the provider into an S3-compatible test server through the real mirror path: peak memory growth and throughput, against a loopback copy of the same download to a file and one plain PUT to the same server (1024 MiB; --quick: 128 MiB)",
    reading:
      "Memory stays flat (5 MiB parts, two in flight). The S3 test server (s3rver) takes in a plain unsigned PUT of the same download more slowly than a copy to a file: it hashes and writes every part on one thread, then copies all parts into one file at CompleteMultipartUpload. The row “less part assembly” leaves that copy out; R2 and S3 do not copy.",
    run: mirror,
  },
];
