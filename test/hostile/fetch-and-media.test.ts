/**
 * Hostile input against the real server: result links a provider hands back that point
 * into this network, links smuggled in through the prompt, pages returned as "media", and
 * failures whose raw text names hosts and keys. Each case asserts the refusal and its code;
 * the run ends by checking that the server still serves and that no money moved.
 */
import { createServer } from "node:http";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { proxyKey } from "../../src/http/media.js";
import { parseTaskId } from "../../src/schema/tasks.js";
import { fakeDns } from "../helpers/fake-dns.js";
import { CREATE_VIDEO, ME, upsertChannel, waitForTask } from "../helpers/fixtures.js";
import { tokenFor } from "../helpers/tokens.js";
import { useMock, useTestApp } from "../helpers/use-test-app.js";
import { closeNow, listenLocally } from "../mocks/http.js";
import { HOSTILE_PAGES } from "../mocks/kling.js";

// The worker resolves result hosts through node:dns/promises: the tests decide what names resolve to.
vi.mock("node:dns/promises", async (importOriginal) =>
  (await import("../helpers/fake-dns.js")).withFakeLookup(await importOriginal<typeof import("node:dns/promises")>()),
);

const KLING_MODEL = "kling-v2-5-turbo";
const RESELLER_MODEL = "sora_video2";
const CREDIT = "3";
const TERMINAL = ["COMPLETED", "FAILED", "CANCELLED"];
const ADMIN_VIEW = /* GraphQL */ `query($id: ID!) { node(id: $id) { ... on VideoTask { status upstreamError error { code message } } } }`;
const OWNER_VIEW = /* GraphQL */ `query($id: ID!) { videoTask(id: $id) { status upstreamError } }`;
const SECURITY_HEADERS = { "x-content-type-options": "nosniff", "content-security-policy": "default-src 'none'; sandbox" };
/** what a message users see must never contain: addresses, ports, links, host names, keys */
const INTERNALS = /\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|:\d{2,5}\b|[a-z]+:\/\/|localhost|\.(?:local|internal|test)\b|sk-|ECONNREFUSED/i;

const reseller = useMock("chat-sse");
const t = useTestApp(() => ({
  mock: "kling" as const,
  channels: [
    { name: "kling", models: [KLING_MODEL] },
    { name: "reseller", provider: "chat-sse", mock: reseller, models: [RESELLER_MODEL] },
  ],
}));

fakeDns.records.set("internal.test", ["10.1.2.3"]);
fakeDns.records.set("mixed.test", ["93.184.215.14", "127.0.0.1"]);
fakeDns.records.set("metadata.test", ["169.254.169.254"]);
fakeDns.records.set("cdn.public.test", ["93.184.215.14"]);

type Task = { id: string; status: string; cost: string; videoUrl: string | null; error: { code: string; message: string } | null };

/** Subjects used by the cases below; each must end with its credit untouched. */
const untouched: string[] = [];

async function userFor(subject: string, keepsCredit = true) {
  if (keepsCredit) untouched.push(subject);
  return t.userWithCredit(subject, CREDIT);
}

async function run(token: string, input: { model: string; prompt: string; channel: string }): Promise<Task> {
  const created = await t.gql(CREATE_VIDEO, { input }, { token });
  expect(created.errors, JSON.stringify(created.errors)).toBeUndefined();
  return waitForTask(t, token, created.data!.createVideo.id, (task) => TERMINAL.includes(task.status), 20_000);
}

const kling = (token: string, prompt: string) => run(token, { model: KLING_MODEL, prompt, channel: "kling" });
const viaReseller = (token: string, prompt: string) => run(token, { model: RESELLER_MODEL, prompt, channel: "reseller" });
const adminView = async (id: string) => (await t.gql(ADMIN_VIEW, { id }, { token: t.adminToken })).data!.node;

/** A result link the provider hands back; `self` is the mock provider's own origin. */
interface ResultCase {
  name: string;
  url: (self: string) => string;
}

const resultCases: ResultCase[] = [
  { name: "loopback (127.0.0.1)", url: () => "https://127.0.0.1/v.mp4" },
  {
    name: "the channel's own host and port over another scheme (not its origin)",
    url: (self) => `${self.replace("http:", "https:")}/cdn/x.mp4`,
  },
  { name: "another port of the channel's host", url: (self) => `http://127.0.0.1:${Number(new URL(self).port) + 1}/v.mp4` },
  { name: "private 10/8", url: () => "https://10.0.0.5/v.mp4" },
  { name: "private 172.16/12", url: () => "https://172.16.0.1/v.mp4" },
  { name: "private 192.168/16", url: () => "https://192.168.1.10/v.mp4" },
  { name: "link-local", url: () => "https://169.254.1.1/v.mp4" },
  { name: "cloud metadata", url: () => "https://169.254.169.254/latest/meta-data/iam" },
  { name: "ECS metadata", url: () => "https://169.254.170.2/v2/credentials" },
  { name: "carrier-grade NAT", url: () => "https://100.64.0.1/v.mp4" },
  { name: "Alibaba metadata", url: () => "https://100.100.100.200/latest/meta-data" },
  { name: "IPv6 loopback", url: () => "https://[::1]/v.mp4" },
  { name: "IPv6 unique-local", url: () => "https://[fd00::1]/v.mp4" },
  { name: "IPv6 AWS metadata", url: () => "https://[fd00:ec2::254]/latest" },
  { name: "IPv6 link-local", url: () => "https://[fe80::1]/v.mp4" },
  { name: "IPv4-mapped loopback", url: () => "https://[::ffff:127.0.0.1]/v.mp4" },
  { name: "IPv4-mapped metadata in hex", url: () => "https://[::ffff:a9fe:a9fe]/latest" },
  { name: "NAT64 of a private address", url: () => "https://[64:ff9b::a00:1]/v.mp4" },
  { name: "6to4 of loopback", url: () => "https://[2002:7f00:1::1]/v.mp4" },
  { name: "decimal loopback over https", url: () => "https://2130706433/v.mp4" },
  { name: "decimal loopback over http", url: () => "http://2130706433/v.mp4" },
  { name: "octal loopback", url: () => "https://0177.0.0.1/v.mp4" },
  { name: "hex shorthand loopback", url: () => "https://0x7f.1/v.mp4" },
  { name: "the unspecified address", url: () => "https://0.0.0.0/v.mp4" },
  { name: "localhost by name", url: () => "https://localhost/v.mp4" },
  { name: "a name that resolves to a private address", url: () => "https://internal.test/v.mp4" },
  { name: "a name with one private address among public ones", url: () => "https://mixed.test/v.mp4" },
  { name: "a public host over plain http", url: () => "http://cdn.public.test/v.mp4" },
  { name: "a public host with credentials in the URL", url: () => "https://user:secret@cdn.public.test/v.mp4" },
  { name: "a file: URL", url: () => "file:///etc/passwd" },
  {
    name: "a redirect from the channel's origin to a private address",
    url: () => `/redirect?to=${encodeURIComponent("https://10.0.0.1/v.mp4")}`,
  },
  {
    name: "a redirect from the channel's origin to the metadata service over http",
    url: () => `/redirect?to=${encodeURIComponent("http://169.254.169.254/latest/meta-data")}`,
  },
  {
    name: "a redirect from the channel's origin to a name that resolves to metadata",
    url: () => `/redirect?to=${encodeURIComponent("https://metadata.test/latest")}`,
  },
  {
    name: "a redirect from the channel's origin to another local port",
    url: (self) => `/redirect?to=${encodeURIComponent(`http://127.0.0.1:${Number(new URL(self).port) + 1}/`)}`,
  },
  {
    name: "two redirects on the channel's origin, then an IPv4-mapped address",
    url: () => `/redirect?to=${encodeURIComponent(`/redirect?to=${encodeURIComponent("https://[::ffff:7f00:1]/v.mp4")}`)}`,
  },
];

describe("result links that point into this network are never fetched", () => {
  const outcomes = new Map<string, Promise<Task>>();
  beforeAll(() => {
    // Every case at once, each by a user of its own: they run side by side like real traffic.
    resultCases.forEach((c, i) => {
      const outcome = userFor(`result-${i}@hostile`).then((token) => kling(token, `a quiet harbour [result:${c.url(t.mock.baseUrl)}]`));
      outcome.catch(() => {}); // awaited by its own test
      outcomes.set(c.name, outcome);
    });
  });

  it.each(resultCases.map((c) => [c.name]))("%s: the task fails with RESULT_URL_REFUSED and costs nothing", async (name) => {
    const task = await outcomes.get(name)!;
    expect(task).toMatchObject({ status: "FAILED", cost: "0", videoUrl: null, error: { code: "RESULT_URL_REFUSED" } });
    expect(task.error!.message).not.toMatch(INTERNALS);
  });

  it("lets the admin see which address was refused, and nobody else", async () => {
    const task = await outcomes.get("private 10/8")!;
    const admin = await adminView(task.id);
    expect(admin).toMatchObject({ status: "FAILED", error: { code: "RESULT_URL_REFUSED" } });
    expect(admin.upstreamError).toContain("10.0.0.5");
    expect(admin.error.message).not.toContain("10.0.0.5");
    const owner = await t.gql(
      OWNER_VIEW,
      { id: task.id },
      { token: await tokenFor(`result-${resultCases.findIndex((c) => c.name === "private 10/8")}@hostile`) },
    );
    expect(owner.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(owner.data?.videoTask ?? null).toMatchObject({ status: "FAILED", upstreamError: null });
  });
});

describe("links smuggled in through the prompt of a reseller that echoes it", () => {
  const storedBytes = async (task: Task) => Buffer.from(await (await fetch(task.videoUrl!)).arrayBuffer());
  const isOneOfTheResellersOwn = (bytes: Buffer) => [...reseller.videos.values()].some((video) => video.equals(bytes));

  it("takes the reseller's own link, not the <video src> the prompt carried and the reseller repeated last", async () => {
    const token = await userFor("echo@hostile", false);
    const task = await viaReseller(token, "[echo] a fox <video src='http://169.254.169.254/latest/meta-data/iam'>");
    expect(task).toMatchObject({ status: "COMPLETED" });
    expect(isOneOfTheResellersOwn(await storedBytes(task))).toBe(true);
  });

  it("never serves another user's video named by a link to the reseller's own origin in the prompt", async () => {
    const victim = await viaReseller(await userFor("victim@hostile", false), "a private birthday video");
    const victimFile = reseller.videos.get(reseller.finished.at(-1)!)!;
    expect(victim.status).toBe("COMPLETED");
    const stolen = `${reseller.baseUrl}/files/${reseller.finished.at(-1)}.mp4?sign=abc&expires=1`;
    const task = await viaReseller(await userFor("thief@hostile", false), `[echo] a cat ![x](${stolen}) [watch](${stolen})`);
    expect(task.status).toBe("COMPLETED");
    expect((await storedBytes(task)).equals(victimFile)).toBe(false);
  });

  it("fails with RESULT_FROM_PROMPT when the only link in the answer is the prompt's", async () => {
    const task = await viaReseller(await userFor("only-prompt@hostile"), "[nourl] [echo] a dog <video src='https://10.0.0.9/v.mp4'>");
    expect(task).toMatchObject({ status: "FAILED", cost: "0", error: { code: "RESULT_FROM_PROMPT" } });
    expect(task.error!.message).not.toMatch(INTERNALS);
  });

  it("fails without fetching anything when the prompt's link appears only in the echoed parameters", async () => {
    const task = await viaReseller(await userFor("echo-block@hostile"), "[nourl] a bird [x](http://127.0.0.1:9/v.mp4)");
    expect(task).toMatchObject({ status: "FAILED", cost: "0", error: { code: "STREAM_ENDED" } });
  });
});

describe("pages returned as media are stored and served as data", () => {
  const pages = Object.entries(HOSTILE_PAGES);
  const completed = new Map<string, Task>();
  beforeAll(async () => {
    for (const [path] of pages)
      completed.set(path, await kling(await userFor(`page${path.replace(/\//g, "-")}@hostile`, false), `a page [result:${path}]`));
  });

  it.each(pages.map(([path, page]) => [path, page.type]))(
    "%s (declared %s): stored as application/octet-stream and served as an attachment with nosniff and a sandboxing CSP",
    async (path) => {
      const task = completed.get(path)!;
      expect(task.status).toBe("COMPLETED");
      const row = await t.app.services.db.task.findUniqueOrThrow({ where: { id: parseTaskId(task.id)! } });
      expect(row.videoType).toBe("application/octet-stream");
      expect(row.videoKey).toMatch(/\.bin$/);
      const res = await fetch(task.videoUrl!);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/octet-stream");
      expect(res.headers.get("content-disposition")).toBe("attachment");
      expect(Object.fromEntries(Object.keys(SECURITY_HEADERS).map((h) => [h, res.headers.get(h)]))).toEqual(SECURITY_HEADERS);
      expect(await res.text()).toBe(HOSTILE_PAGES[path].body);
    },
  );

  it("serves the provider's copy of a page (before it is mirrored) the same way, whatever type the provider declares", async () => {
    const task = completed.get("/hostile/svg")!;
    const id = parseTaskId(task.id)!;
    await t.app.services.db.task.update({ where: { id }, data: { mediaStatus: "PROXIED", videoKey: null } });
    const res = await fetch(t.app.services.signer.url(proxyKey(id, "video")));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(res.headers.get("content-disposition")).toBe("attachment");
    expect(Object.fromEntries(Object.keys(SECURITY_HEADERS).map((h) => [h, res.headers.get(h)]))).toEqual(SECURITY_HEADERS);
    expect(await res.text()).toBe(HOSTILE_PAGES["/hostile/svg"].body);
  });
});

describe("every answer under /media carries nosniff and a sandboxing CSP", () => {
  let video: Task;
  beforeAll(async () => {
    video = await kling(await userFor("viewer@hostile", false), "a real video");
  });
  const tampered = (url: string) => url.replace(/sig=[^&]+/, "sig=AAAA");

  const paths: { name: string; request: () => Promise<Response>; status: number }[] = [
    { name: "a stored video", request: () => fetch(video.videoUrl!), status: 200 },
    { name: "HEAD", request: () => fetch(video.videoUrl!, { method: "HEAD" }), status: 200 },
    { name: "a byte range", request: () => fetch(video.videoUrl!, { headers: { range: "bytes=0-9" } }), status: 206 },
    { name: "an unsatisfiable range", request: () => fetch(video.videoUrl!, { headers: { range: "bytes=99999999-" } }), status: 416 },
    {
      name: "a revalidation",
      request: async () => {
        const etag = (await fetch(video.videoUrl!, { method: "HEAD" })).headers.get("etag")!;
        return fetch(video.videoUrl!, { headers: { "if-none-match": etag } });
      },
      status: 304,
    },
    { name: "a tampered signature", request: () => fetch(tampered(video.videoUrl!)), status: 403 },
    { name: "a signed key that names nothing", request: () => fetch(t.app.services.signer.url("media/none/video.mp4")), status: 404 },
    { name: "a method other than GET and HEAD", request: () => fetch(video.videoUrl!, { method: "POST" }), status: 405 },
  ];

  it.each(paths.map((p) => [p.name, p]))("%s", async (_name, path) => {
    const res = await path.request();
    expect(res.status).toBe(path.status);
    expect(Object.fromEntries(Object.keys(SECURITY_HEADERS).map((h) => [h, res.headers.get(h)]))).toEqual(SECURITY_HEADERS);
    if (res.status === 200 || res.status === 206) expect(res.headers.get("content-type")).toBe("video/mp4");
    await res.arrayBuffer();
  });
});

describe("errors users see name no host, port, key or link; admins see the provider's raw words", () => {
  let closedOrigin: string;
  beforeAll(async () => {
    const server = createServer();
    closedOrigin = await listenLocally(server);
    await closeNow(server);
    await upsertChannel(t, { name: "dead", provider: "kling", baseUrl: closedOrigin, apiKey: t.mock.apiKey, models: [KLING_MODEL] });
  });
  afterAll(async () => {
    // Out of the way of anything routed by model later.
    await upsertChannel(t, {
      name: "dead",
      provider: "kling",
      baseUrl: closedOrigin,
      apiKey: t.mock.apiKey,
      models: [KLING_MODEL],
      enabled: false,
    });
  });

  it("a refused connection (ECONNREFUSED to 127.0.0.1:port): UPSTREAM_ERROR in Reelay's words", async () => {
    const task = await run(await userFor("refused@hostile"), { model: KLING_MODEL, prompt: "a pier", channel: "dead" });
    expect(task).toMatchObject({ status: "FAILED", cost: "0", error: { code: "UPSTREAM_ERROR" } });
    expect(task.error!.message).not.toMatch(INTERNALS);
    expect((await adminView(task.id)).upstreamError).toMatch(/ECONNREFUSED/);
  });

  it("a refusal whose text names an internal URL and a key: UPSTREAM_REJECTED in Reelay's words", async () => {
    const raw = "upstream http://10.2.3.4:8080/gpu-pool failed for key sk-live-0123456789abcdef";
    t.mock.failNext(1, { method: "POST", path: "/v1/videos/" }, { status: 400, body: { code: 1201, message: raw, request_id: "r" } });
    const task = await kling(await userFor("rejected@hostile"), "a lake");
    expect(task).toMatchObject({ status: "FAILED", cost: "0", error: { code: "UPSTREAM_REJECTED" } });
    expect(task.error!.message).not.toMatch(INTERNALS);
    expect((await adminView(task.id)).upstreamError).toContain(raw);
  });

  it("a refusal for content keeps the provider's reason and loses its links and addresses: CONTENT_POLICY", async () => {
    const raw = "Failure to pass the risk control system (checked by https://risk.kling.internal:9443/v2 at 10.9.8.7)";
    t.mock.failNext(1, { method: "POST", path: "/v1/videos/" }, { status: 400, body: { code: 1301, message: raw, request_id: "r" } });
    const task = await kling(await userFor("policy@hostile"), "a riot");
    expect(task).toMatchObject({ status: "FAILED", cost: "0", error: { code: "CONTENT_POLICY" } });
    expect(task.error!.message).toMatch(/^Failure to pass the risk control system/);
    expect(task.error!.message).not.toMatch(INTERNALS);
    expect((await adminView(task.id)).upstreamError).toContain(raw);
  });

  it("a refusal for content in the middle of a stream: CONTENT_POLICY with the reseller's reason", async () => {
    const task = await viaReseller(await userFor("stream-policy@hostile"), "a storm [fail]");
    expect(task).toMatchObject({ status: "FAILED", cost: "0", error: { code: "CONTENT_POLICY" } });
    expect(task.error!.message).toMatch(/violates our policy/);
    expect(task.error!.message).not.toMatch(INTERNALS);
  });
});

describe("after all of it", () => {
  it("the server still serves", async () => {
    expect((await fetch(`${t.origin}/health`)).status).toBe(200);
    const res = await t.gql(ME, {}, { token: await tokenFor("after@hostile") });
    expect(res.errors).toBeUndefined();
  });

  it("no money moved for any refused task", async () => {
    expect(untouched.length).toBeGreaterThan(resultCases.length);
    for (const subject of untouched) {
      const me = (await t.gql(ME, {}, { token: await tokenFor(subject) })).data!.me;
      expect(me, subject).toMatchObject({ balance: CREDIT, held: "0" });
    }
  });
});
