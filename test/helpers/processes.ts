/**
 * Processes a fault test owns and may kill: Reelay instances (`node src/main.ts`), a
 * redis-server and a PostgreSQL cluster, each on a free port of 127.0.0.1, so that
 * killing them never touches the shared services other test files use.
 *
 * A Reelay instance that dies by itself (an unhandled rejection or uncaught exception ends
 * a Node process with exit code 1) fails the test it died in, and the file, even when the
 * test itself never looks at the process again: see the hooks below.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, afterEach } from "vitest";
import type { GraphQLResponse } from "./app.js";
import type { GraphQLTarget } from "./fixtures.js";
import { TEST_JWT_SECRET, tokenFor } from "./tokens.js";
import { until } from "./wait.js";

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** What Node writes to stderr when an error nobody handled ends the process. */
const FATAL_ERROR = /UnhandledPromiseRejection|uncaughtException|triggerUncaughtException|^Node\.js v\d+/m;

/** A child process whose output is kept for failure messages. */
class Child {
  output = "";
  stderr = "";
  readonly exited: Promise<number | null>;
  constructor(readonly process: ChildProcess) {
    process.stdout?.on("data", (d) => (this.output += d));
    process.stderr?.on("data", (d) => {
      this.output += d;
      this.stderr += d;
    });
    this.exited = new Promise((resolve) => process.once("exit", (code) => resolve(code)));
  }
  get alive() {
    return this.process.exitCode === null && this.process.signalCode === null;
  }
  /**
   * Why the process looks crashed: it ended with a failure code of its own (not from a
   * signal a test sent), or Node reported an unhandled error. Null while it looks healthy.
   */
  crash(): string | null {
    const { exitCode } = this.process;
    if (exitCode !== null && exitCode !== 0) return `exited by itself with code ${exitCode}`;
    if (FATAL_ERROR.test(this.stderr)) return "reported an unhandled error";
    return null;
  }
  async kill(signal: NodeJS.Signals = "SIGKILL") {
    if (!this.alive) return;
    this.process.kill(signal);
    await this.exited;
  }
}

/** Every Reelay process this test file started, checked after each test and after the file. */
const reelays: ReelayProcess[] = [];

function expectNoCrashedReelay() {
  const crashed = reelays.filter((r) => r.child.crash() !== null);
  // Reported once: a later check should not fail another test for the same crash.
  for (const r of crashed) reelays.splice(reelays.indexOf(r), 1);
  if (crashed.length === 0) return;
  const reports = crashed.map((r) => `reelay (${r.role}) on port ${r.port} ${r.child.crash()}:\n${r.child.output.slice(-4_000)}`);
  throw new Error(reports.join("\n\n"));
}

afterEach(expectNoCrashedReelay);
// Registered when a test file imports this module, before the file's own hooks: after-hooks
// run in reverse order, so this one runs last, once the file has stopped its processes.
afterAll(expectNoCrashedReelay);

export interface ReelayProcess extends GraphQLTarget {
  role: string;
  port: number;
  origin: string;
  /** http://127.0.0.1:<port>/graphql */
  url: string;
  child: Child;
  /** parsed JSON log lines so far */
  logs(): Record<string, any>[];
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * `npm start` as a child process (or another entry point, e.g. a build, run in another
 * folder), waited on until /ready answers 200.
 */
export async function startReelay(
  env: Record<string, string>,
  entry: string[] = ["--import", "tsx", "src/main.ts"],
  cwd: string = PROJECT_ROOT,
): Promise<ReelayProcess> {
  const port = await freePort();
  const child = new Child(
    spawn(process.execPath, entry, {
      cwd,
      env: {
        ...process.env,
        NODE_ENV: "production",
        LOG_LEVEL: "info",
        PORT: String(port),
        JWT_SECRET: TEST_JWT_SECRET,
        POLL_INTERVAL_MS: "200",
        SUBMIT_BACKOFF_MS: "20",
        MAX_POLL_BACKOFF_MS: "1000",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  const origin = `http://127.0.0.1:${port}`;
  try {
    await until(
      `reelay (${env.ROLE ?? "all"}) on port ${port} to be ready`,
      async () => {
        if (!child.alive) throw new Error(`reelay exited early:\n${child.output}`);
        return fetch(`${origin}/ready`).then(
          (r) => r.status === 200,
          () => false,
        );
      },
      30_000,
    );
  } catch (err) {
    await child.kill();
    throw new Error(`${(err as Error).message}\n${child.output}`);
  }
  const url = `${origin}/graphql`;
  const reelay: ReelayProcess = {
    role: env.ROLE ?? "all",
    adminToken: await tokenFor("admin@test", { role: "admin" }),
    async gql<T>(
      query: string,
      variables: Record<string, unknown> = {},
      options: { token?: string | null; headers?: Record<string, string> } = {},
    ) {
      const res = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...options.headers,
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      return { ...((await res.json()) as GraphQLResponse<T>), status: res.status };
    },
    port,
    origin,
    url,
    child,
    logs: () =>
      child.output
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line)),
    kill: (signal) => child.kill(signal),
  };
  reelays.push(reelay);
  return reelay;
}

export interface RedisServer {
  url: string;
  port: number;
  /** SIGKILL: an outage */
  kill(): Promise<void>;
  /** starts again on the same port (empty, like a restarted cache) */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  let child: Child | null = null;
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      child = new Child(
        spawn("redis-server", ["--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no"], {
          stdio: ["ignore", "pipe", "pipe"],
        }),
      );
      await until(
        `redis-server on ${port}`,
        () => /Ready to accept connections/.test(child!.output) || (!child!.alive && Promise.reject(new Error(child!.output))),
      );
    },
    kill: async () => child?.kill("SIGKILL"),
    stop: async () => child?.kill("SIGTERM"),
  };
  await server.start();
  return server;
}

export interface PostgresCluster {
  port: number;
  /** postgresql://postgres@127.0.0.1:<port>/<database> */
  url(database: string): string;
  createDatabase(name: string): Promise<string>;
  /** pg_ctl stop -m fast: clients are disconnected */
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * A throwaway cluster from the installed PostgreSQL (initdb + pg_ctl). PostgreSQL refuses
 * to run as root, so as root the cluster belongs to the postgres user.
 */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(tmpdir(), "reelay-pg-"));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { uid, gid } = postgresUser();
    await chown(dir, uid, gid);
  }
  const run = (command: string, args: string[]) => {
    const [cmd, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
    const result = spawnSync(cmd, argv, { encoding: "utf8", timeout: 60_000 });
    if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed:\n${result.stdout}\n${result.stderr}`);
  };
  const data = path.join(dir, "data");
  run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "--no-instructions"]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  const cluster: PostgresCluster = {
    port,
    url: (database) => `postgresql://postgres@127.0.0.1:${port}/${database}`,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: cluster.url("postgres") });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return cluster.url(name);
    },
    start: async () => run("pg_ctl", ["-D", data, "-o", options, "-l", path.join(dir, "log"), "-w", "start"]),
    stop: async () => run("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]),
    async destroy() {
      try {
        run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } catch {
        // already stopped
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
  await cluster.start();
  return cluster;
}

function postgresUser() {
  const result = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  const groups = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
  if (result.status !== 0) throw new Error("running as root needs a postgres user to own a test cluster");
  return { uid: Number(result.stdout.trim()), gid: Number(groups.stdout.trim()) };
}
