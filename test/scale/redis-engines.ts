/**
 * Redis topologies a scale test starts for itself on 127.0.0.1, from the installed
 * redis-server: a Redis Cluster of masters, and a master with a replica watched by three
 * Sentinels. Every process has free ports and a temporary directory, and stop() kills them
 * all and removes the directory, whatever state the test left them in.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { RedisNode } from "../../src/config.js";
import { freePort } from "../helpers/processes.js";
import { until } from "../helpers/wait.js";

const run = promisify(execFile);
const HOST = "127.0.0.1";
/** how long a topology may take to form (cluster_state:ok, a replica in sync, Sentinels that know each other) */
const FORMING_MS = 20_000;

/**
 * What keeps these tests from running on this machine, or null: redis-server and redis-cli
 * 7 or later (sharded pub/sub is Redis 7; Sentinel is redis-server --sentinel).
 */
export function missingRedisEngines(): string | null {
  for (const tool of ["redis-server", "redis-cli"]) {
    const version = spawnSync(tool, ["--version"], { encoding: "utf8" });
    if (version.error || version.status !== 0) return `${tool} is not installed (Debian: apt-get install redis-server redis-tools)`;
    const major = Number(/(?:v=|redis-cli )(\d+)\./.exec(version.stdout)?.[1]);
    if (!(major >= 7))
      return `${tool} is older than Redis 7, which sharded pub/sub (SPUBLISH / SSUBSCRIBE) needs: ${version.stdout.trim()}`;
  }
  return null;
}

/** Says loudly, once per file, that a test is skipped and why. */
export function warnSkipped(what: string, missing: string): void {
  console.warn(`\n${"!".repeat(100)}\n!!! SKIPPED: ${what}: ${missing}\n${"!".repeat(100)}\n`);
}

/**
 * Waits for every start, then fails with the first failure: a hook that gave up at the first
 * failure would leave the starts still running unknown to afterAll, and their processes behind.
 */
export async function startedAll(starts: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(starts)).find((outcome) => outcome.status === "rejected");
  if (failed) throw failed.reason;
}

export const redisCli = async (port: number, ...args: string[]): Promise<string> =>
  (await run("redis-cli", ["-h", HOST, "-p", String(port), ...args], { timeout: 10_000 })).stdout.trim();

/** A redis-server process whose output is kept for failure messages. */
class ServerProcess {
  output = "";
  private child: ChildProcess | null = null;
  constructor(
    readonly port: number,
    private readonly args: string[],
  ) {}

  async start(): Promise<void> {
    const child = spawn("redis-server", this.args, { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    child.stdout?.on("data", (d) => (this.output += d));
    child.stderr?.on("data", (d) => (this.output += d));
    await until(`redis-server on ${this.port}`, () => {
      if (child.exitCode !== null) throw new Error(`redis-server on ${this.port} exited:\n${this.output}`);
      return /Ready to accept connections|Sentinel ID is/.test(this.output);
    });
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }
}

/** Distinct free ports (the cluster bus of each node needs a port of its own). */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

export interface RedisClusterEngine {
  /** the seed nodes, as REDIS_CLUSTER_NODES names them */
  nodes: RedisNode[];
  ports: number[];
  /** the port of the master that owns the slot of a key or channel, by the cluster's own CLUSTER KEYSLOT */
  ownerOf(name: string): Promise<number>;
  /** the sharded channels under `pattern` that a node serves (PUBSUB SHARDCHANNELS) */
  shardChannels(port: number, pattern: string): Promise<string[]>;
  /** hands the slot of a key or channel to another master, as a resharding does (keys included); returns the new owner's port */
  moveSlotOf(name: string): Promise<number>;
  /** SIGKILL one node */
  kill(port: number): Promise<void>;
  /** starts a killed node again with its nodes.conf (its slots) and waits for the cluster to be whole */
  restart(port: number): Promise<void>;
  stop(): Promise<void>;
}

/** Masters only (no replicas), every slot covered; the cluster is whole when this resolves. */
export async function startRedisCluster(masters = 3): Promise<RedisClusterEngine> {
  const dir = await mkdtemp(path.join(tmpdir(), "reelay-redis-cluster-"));
  const ports = await freePorts(masters * 2);
  const servers = ports
    .slice(0, masters)
    .map(
      (port, i) =>
        new ServerProcess(port, [
          ...["--bind", HOST, "--port", String(port), "--dir", dir, "--save", "", "--appendonly", "no"],
          ...["--cluster-enabled", "yes", "--cluster-config-file", `nodes-${port}.conf`, "--cluster-port", String(ports[masters + i])],
          ...["--cluster-node-timeout", "2000"],
        ]),
    );
  const whole = async () => {
    for (const server of servers) {
      await until(
        "the cluster to be whole",
        async () => /cluster_state:ok/.test(await redisCli(server.port, "CLUSTER", "INFO")),
        FORMING_MS,
      );
    }
  };
  const byPort = (port: number) => servers.find((s) => s.port === port)!;
  const engine: RedisClusterEngine = {
    nodes: servers.map((s) => ({ host: HOST, port: s.port })),
    ports: servers.map((s) => s.port),
    async ownerOf(name) {
      const slot = Number(await redisCli(servers[0]!.port, "CLUSTER", "KEYSLOT", name));
      const shards = JSON.parse(await redisCli(servers[0]!.port, "--json", "CLUSTER", "SLOTS")) as [number, number, [string, number]][];
      const owner = shards.find(([from, to]) => slot >= from && slot <= to);
      if (!owner) throw new Error(`no node owns slot ${slot}`);
      return owner[2][1];
    },
    async shardChannels(port, pattern) {
      return JSON.parse(await redisCli(port, "--json", "PUBSUB", "SHARDCHANNELS", pattern)) as string[];
    },
    async moveSlotOf(name) {
      const slot = await redisCli(servers[0]!.port, "CLUSTER", "KEYSLOT", name);
      const from = await engine.ownerOf(name);
      const to = engine.ports.find((port) => port !== from)!;
      const [fromId, toId] = [await redisCli(from, "CLUSTER", "MYID"), await redisCli(to, "CLUSTER", "MYID")];
      await redisCli(to, "CLUSTER", "SETSLOT", slot, "IMPORTING", fromId);
      await redisCli(from, "CLUSTER", "SETSLOT", slot, "MIGRATING", toId);
      for (const key of (await redisCli(from, "CLUSTER", "GETKEYSINSLOT", slot, "1000")).split("\n").filter(Boolean)) {
        await redisCli(from, "MIGRATE", HOST, String(to), key, "0", "5000");
      }
      for (const port of engine.ports) await redisCli(port, "CLUSTER", "SETSLOT", slot, "NODE", toId);
      await until("every node to agree on the slot's new owner", async () => {
        for (const port of engine.ports) {
          const shards = JSON.parse(await redisCli(port, "--json", "CLUSTER", "SLOTS")) as [number, number, [string, number]][];
          if (shards.find(([lo, hi]) => Number(slot) >= lo && Number(slot) <= hi)?.[2][1] !== to) return false;
        }
        return true;
      });
      return to;
    },
    kill: (port) => byPort(port).kill(),
    async restart(port) {
      await byPort(port).start();
      await whole();
    },
    async stop() {
      await Promise.allSettled(servers.map((s) => s.kill()));
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(servers.map((s) => s.start()));
    const addresses = servers.map((s) => `${HOST}:${s.port}`);
    await run("redis-cli", ["--cluster", "create", ...addresses, "--cluster-yes"], { timeout: FORMING_MS });
    await whole();
  } catch (err) {
    await engine.stop();
    throw err;
  }
  return engine;
}

export interface SentinelEngine {
  masterName: string;
  /** the Sentinels, as REDIS_SENTINELS names them */
  sentinels: RedisNode[];
  /** the ports of the two data nodes, the first master at start */
  dataPorts: [number, number];
  /** the port of the master the Sentinels name now */
  masterPort(): Promise<number>;
  /** SENTINEL FAILOVER, then waits until the other data node is the master; returns its port */
  failover(): Promise<number>;
  /** SIGKILL a data node */
  kill(port: number): Promise<void>;
  /** waits until every Sentinel names the node on `port` and it acts as master */
  promoted(port: number): Promise<void>;
  stop(): Promise<void>;
}

/** One master, one replica and three Sentinels (quorum 2) watching them. */
export async function startSentinelSet(masterName = "reelay"): Promise<SentinelEngine> {
  const dir = await mkdtemp(path.join(tmpdir(), "reelay-redis-sentinel-"));
  const [master, replica, ...sentinelPorts] = await freePorts(5);
  const data = (port: number, extra: string[] = []) =>
    new ServerProcess(port, ["--bind", HOST, "--port", String(port), "--dir", dir, "--save", "", "--appendonly", "no", ...extra]);
  const servers = [data(master!), data(replica!, ["--replicaof", HOST, String(master)])];
  const sentinels = sentinelPorts.map((port) => new ServerProcess(port, [path.join(dir, `sentinel-${port}.conf`), "--sentinel"]));
  const namedMaster = async (port: number) =>
    Number((await redisCli(port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName)).split("\n")[1]);
  const engine: SentinelEngine = {
    masterName,
    sentinels: sentinelPorts.map((port) => ({ host: HOST, port })),
    dataPorts: [master!, replica!],
    masterPort: () => namedMaster(sentinelPorts[0]!),
    async failover() {
      const after = (await engine.masterPort()) === master ? replica! : master!;
      await redisCli(sentinelPorts[0]!, "SENTINEL", "FAILOVER", masterName);
      await engine.promoted(after);
      return after;
    },
    kill: (port) => servers.find((s) => s.port === port)!.kill(),
    async promoted(port) {
      for (const sentinel of sentinelPorts) {
        await until(`Sentinel ${sentinel} to name ${port} the master`, async () => (await namedMaster(sentinel)) === port, FORMING_MS);
      }
      await until(`${port} to act as the master`, async () => /role:master/.test(await redisCli(port, "INFO", "replication")), FORMING_MS);
    },
    async stop() {
      await Promise.allSettled([...servers, ...sentinels].map((s) => s.kill()));
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(servers.map((s) => s.start()));
    await until(
      "the replica to be in sync",
      async () => /master_link_status:up/.test(await redisCli(replica!, "INFO", "replication")),
      FORMING_MS,
    );
    for (const port of sentinelPorts) {
      const conf = [
        `port ${port}`,
        `bind ${HOST}`,
        `dir ${dir}`,
        `sentinel monitor ${masterName} ${HOST} ${master} 2`,
        `sentinel down-after-milliseconds ${masterName} 1000`,
        `sentinel failover-timeout ${masterName} 10000`,
      ];
      await writeFile(path.join(dir, `sentinel-${port}.conf`), `${conf.join("\n")}\n`);
    }
    await Promise.all(sentinels.map((s) => s.start()));
    // A failover needs a replica the Sentinels know and Sentinels that know each other.
    for (const port of sentinelPorts) {
      await until(
        `Sentinel ${port} to know the replica and the other Sentinels`,
        async () =>
          /"master-link-status":\s*"ok"/.test(await redisCli(port, "--json", "SENTINEL", "REPLICAS", masterName)) &&
          (JSON.parse(await redisCli(port, "--json", "SENTINEL", "SENTINELS", masterName)) as unknown[]).length === 2,
        FORMING_MS,
      );
    }
  } catch (err) {
    await engine.stop();
    throw err;
  }
  return engine;
}
