/**
 * createVideo end to end: GraphQL over HTTP → validation, routing, pricing and hold →
 * the OpenAI Videos adaptor → the mock provider. Every refusal is checked for what it
 * must NOT do as well: no upstream create request, no task row, no money moved.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { codeOf, type GraphQLResponse } from "./helpers/app.js";
import { CREATE_VIDEO, grantCredit, ledgerOf, ME } from "./helpers/fixtures.js";
import { useHttpsServer } from "./helpers/https-server.js";
import { tinyJpeg, tinyPng, withAllByteValues } from "./helpers/images.js";
import { tokenFor } from "./helpers/tokens.js";
import { useTestApp } from "./helpers/use-test-app.js";
import { mockFailures, type RecordedRequest } from "./mocks/openai-videos.js";

// ---------------------------------------------------------------------------
// Images, built byte by byte. A tail with every byte value follows the image end
// marker (decoders ignore it), so any text/encoding mangling would change the hash.
// ---------------------------------------------------------------------------
/** 1×1 red RGB PNG plus the all-bytes tail. */
const PNG = withAllByteValues(tinyPng());
/** SOI, JFIF APP0, EOI, plus the all-bytes tail. */
const JPEG = withAllByteValues(tinyJpeg());
const NOT_AN_IMAGE = Buffer.from("%PDF-1.7 this is a document, not an image\n");
/** A PNG (by its magic number) of exactly `size` bytes. */
const pngOfSize = (size: number) => {
  const bytes = Buffer.alloc(size, 0x5a);
  PNG.copy(bytes, 0, 0, Math.min(PNG.length, size));
  return bytes;
};
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Reference images above this are refused (set small so the limit is cheap to cross). */
const MAX_REFERENCE_BYTES = 64 * 1024;

// ---------------------------------------------------------------------------
// Shared state
// ---------------------------------------------------------------------------
// Jobs stay queued upstream: every task in this file stays running, so holds stay visible.
const t = useTestApp({
  mock: "openai",
  mockOptions: { script: { queuedPolls: 1_000_000 }, extraModels: ["sora-2-beta"] },
  config: { maxReferenceImageBytes: MAX_REFERENCE_BYTES },
  channels: [
    { name: "gateway", models: ["sora-2", "sora-2-pro"] },
    { name: "switched-off", models: ["sora-2", "sora-2-beta"], enabled: false },
  ],
});
const { mock } = t;

// A local HTTPS server that serves reference images.
const imageRequests: string[] = [];
const imageServer = useHttpsServer(serveImage);

function serveImage(req: IncomingMessage, res: ServerResponse) {
  const path = new URL(req.url ?? "/", "https://127.0.0.1").pathname;
  imageRequests.push(path);
  if (path === "/first-frame.jpg")
    res.writeHead(200, { "content-type": "text/plain" }).end(JPEG); // wrong type on purpose
  else res.writeHead(404).end("not found");
}

const CREATE_PATH = /^\/v1\/videos$/;
const isCreate = (r: RecordedRequest) => r.method === "POST" && CREATE_PATH.test(r.path);
/** Every create request the provider has received so far. */
const creates = () => mock.requests.filter(isCreate);
/** The create requests carrying this exact prompt. */
const createsFor = (prompt: string) => creates().filter((r) => r.fields.prompt === prompt);

let users = 0;
/** A fresh user (own subject, so balances never mix between tests) with `credit` granted. */
async function newUser(credit = "10") {
  const subject = `user-${++users}@create-video`;
  const token = await tokenFor(subject);
  if (credit !== "0") await grantCredit(t, subject, credit);
  else await t.gql(ME, {}, { token }); // first sight creates the user row
  return { subject, token };
}

async function me(token: string) {
  const res = await t.gql(ME, {}, { token });
  expect(res.errors).toBeUndefined();
  return res.data!.me as { balance: string; held: string };
}

async function tasksOf(subject: string) {
  return t.app.services.db.task.findMany({ where: { user: { subject } }, orderBy: { createdAt: "asc" } });
}

/** What a refusal must leave untouched: the user's money, ledger and tasks, and the provider. */
async function snapshot(user: { subject: string; token: string }) {
  return {
    account: await me(user.token),
    ledger: (await ledgerOf(t, user.subject)).map((e) => `${e.kind}:${e.amount}`),
    tasks: (await tasksOf(user.subject)).length,
    creates: creates().length,
  };
}

/** Runs a request that must be refused with `code`, and checks nothing happened because of it. */
async function expectRefused(user: { subject: string; token: string }, code: string, request: () => Promise<GraphQLResponse>) {
  const before = await snapshot(user);
  const res = await request();
  expect(res.errors, `expected ${code}, got ${JSON.stringify(res)}`).toBeDefined();
  expect(codeOf(res)).toBe(code);
  expect(res.data?.createVideo ?? null).toBeNull();
  expect(await snapshot(user), "a refused request must not charge, create a task or call the provider").toEqual(before);
  return res.errors![0];
}

/** After createVideo returns, a task is either running with an upstream id or already terminal. */
async function expectNoOrphan(taskId: string) {
  const row = await t.app.services.db.task.findUniqueOrThrow({ where: { id: dbId(taskId) } });
  if (row.status === "QUEUED" || row.status === "PROCESSING")
    expect(row.upstreamId, "a running task must have an upstream id").toBeTruthy();
  return row;
}

/** The VideoTask global id → the row's UUID. */
const dbId = (globalId: string) => {
  const decoded = Buffer.from(globalId, "base64").toString("utf8");
  return decoded.startsWith("VideoTask:") ? decoded.slice("VideoTask:".length) : globalId;
};

const create = (token: string | null, input: Record<string, unknown>) => t.gql(CREATE_VIDEO, { input }, { token });

// ---------------------------------------------------------------------------
describe("createVideo refuses bad requests before any upstream call or charge", () => {
  const cases: { name: string; input: Record<string, unknown>; code: string; message?: RegExp }[] = [
    { name: "negative seconds", input: { seconds: -4 }, code: "BAD_USER_INPUT", message: /seconds/ },
    { name: "zero seconds", input: { seconds: 0 }, code: "BAD_USER_INPUT", message: /seconds/ },
    { name: "seconds the model does not make (5 on sora-2)", input: { seconds: 5 }, code: "BAD_USER_INPUT", message: /4, 8, 12/ },
    { name: "an unknown size (1920x1080)", input: { size: "1920x1080" }, code: "BAD_USER_INPUT", message: /720x1280, 1280x720/ },
    {
      name: "a size only sora-2-pro makes (1024x1792 on sora-2)",
      input: { size: "1024x1792" },
      code: "BAD_USER_INPUT",
      message: /1024x1792/,
    },
    { name: "a malformed size (1280*720)", input: { size: "1280*720" }, code: "BAD_USER_INPUT", message: /size/ },
    { name: "a malformed size (big)", input: { size: "big" }, code: "BAD_USER_INPUT", message: /size/ },
    { name: "an unknown aspectRatio (4:3)", input: { aspectRatio: "4:3" }, code: "BAD_USER_INPUT", message: /9:16, 16:9/ },
    {
      name: "an aspectRatio that contradicts size (9:16 with 1280x720)",
      input: { aspectRatio: "9:16", size: "1280x720" },
      code: "BAD_USER_INPUT",
      message: /aspect ratio/,
    },
    { name: "an empty prompt", input: { prompt: "" }, code: "BAD_USER_INPUT", message: /prompt/ },
    { name: "a whitespace-only prompt", input: { prompt: "  \n\t  " }, code: "BAD_USER_INPUT", message: /prompt/ },
    { name: "a prompt over 4000 characters", input: { prompt: "a".repeat(4001) }, code: "BAD_USER_INPUT", message: /4000/ },
    {
      name: "an idempotencyKey over 200 characters",
      input: { idempotencyKey: "k".repeat(201) },
      code: "BAD_USER_INPUT",
      message: /idempotencyKey/,
    },
    { name: "an empty idempotencyKey", input: { idempotencyKey: "" }, code: "BAD_USER_INPUT", message: /idempotencyKey/ },
    {
      name: "a prompt containing a NUL character",
      input: { prompt: "a lighthouse\u0000at dusk" },
      code: "BAD_USER_INPUT",
      message: /prompt/,
    },
    {
      name: "an idempotencyKey containing a NUL character",
      input: { idempotencyKey: "key\u0000one" },
      code: "BAD_USER_INPUT",
      message: /idempotencyKey/,
    },
    { name: "a model name containing a NUL character", input: { model: "sora-2\u0000" }, code: "BAD_USER_INPUT", message: /model/ },
    { name: "a channel name containing a NUL character", input: { channel: "gateway\u0000" }, code: "BAD_USER_INPUT", message: /channel/ },
    { name: "an unknown model", input: { model: "veo-9" }, code: "NO_CHANNEL" },
    { name: "a model only a disabled channel serves", input: { model: "sora-2-beta" }, code: "NO_CHANNEL" },
    { name: "a pinned channel that does not exist", input: { channel: "no-such-channel" }, code: "NO_CHANNEL" },
    { name: "a pinned channel that is disabled", input: { channel: "switched-off" }, code: "NO_CHANNEL" },
  ];

  it.each(cases)("refuses $name with $code", async ({ input, code, message }) => {
    const user = await newUser();
    const error = await expectRefused(user, code, () => create(user.token, { model: "sora-2", prompt: "a lighthouse at dusk", ...input }));
    if (message) expect(error.message).toMatch(message);
  });

  it("names the allowed seconds in the error when the seconds are not allowed", async () => {
    const user = await newUser();
    const error = await expectRefused(user, "BAD_USER_INPUT", () => create(user.token, { model: "sora-2", prompt: "a kite", seconds: 5 }));
    expect(error.extensions?.allowed).toEqual([4, 8, 12]);
    expect(error.extensions?.field).toBe("seconds");
  });

  it("accepts a prompt of exactly 4000 characters", async () => {
    const user = await newUser();
    const prompt = `${"b".repeat(3999)}!`;
    const res = await create(user.token, { model: "sora-2", prompt });
    expect(res.errors).toBeUndefined();
    expect(createsFor(prompt)).toHaveLength(1);
  });

  it("refuses a task the balance does not cover with INSUFFICIENT_CREDIT", async () => {
    const user = await newUser("0.7"); // sora-2 8 s costs 0.8
    const error = await expectRefused(user, "INSUFFICIENT_CREDIT", () =>
      create(user.token, { model: "sora-2", prompt: "an expensive sunset", seconds: 8 }),
    );
    expect(error.extensions?.required).toBe("0.8");
    expect(await me(user.token)).toMatchObject({ balance: "0.7", held: "0" });
  });

  it("refuses a user with no credit at all with INSUFFICIENT_CREDIT", async () => {
    const user = await newUser("0");
    await expectRefused(user, "INSUFFICIENT_CREDIT", () => create(user.token, { model: "sora-2", prompt: "a free lunch" }));
  });

  it("refuses a request without a token with UNAUTHENTICATED and creates nothing", async () => {
    const tasksBefore = await t.app.services.db.task.count();
    const createsBefore = creates().length;
    const res = await create(null, { model: "sora-2", prompt: "an anonymous video" });
    expect(codeOf(res)).toBe("UNAUTHENTICATED");
    expect(res.data?.createVideo ?? null).toBeNull();
    expect(await t.app.services.db.task.count()).toBe(tasksBefore);
    expect(creates()).toHaveLength(createsBefore);
  });
});

// ---------------------------------------------------------------------------
describe("createVideo defaults, mapping and price", () => {
  it("defaults sora-2 to 4 seconds at 720x1280 and holds 0.10 × 4", async () => {
    const user = await newUser();
    const prompt = "a paper boat on a puddle";
    const res = await create(user.token, { model: "sora-2", prompt });
    expect(res.errors).toBeUndefined();
    expect(res.data!.createVideo).toMatchObject({
      status: "QUEUED",
      model: "sora-2",
      provider: "openai",
      channel: "gateway",
      seconds: 4,
      size: "720x1280",
      cost: "0.4",
      error: null,
    });
    const [sent] = createsFor(prompt);
    expect(sent.fields).toMatchObject({ model: "sora-2", prompt, seconds: "4", size: "720x1280" });
    expect(await me(user.token)).toEqual(expect.objectContaining({ balance: "9.6", held: "0.4" }));
    const row = await expectNoOrphan(res.data!.createVideo.id);
    expect(row.upstreamId).toBe(mock.jobs.get(row.upstreamId!)!.video.id);
  });

  it('selects 1280x720 for aspectRatio "16:9" and sends seconds to the provider as the string "8"', async () => {
    const user = await newUser();
    const prompt = "  a train crossing a viaduct  ";
    const res = await create(user.token, { model: "sora-2", prompt, seconds: 8, aspectRatio: "16:9" });
    expect(res.errors).toBeUndefined();
    expect(res.data!.createVideo).toMatchObject({ seconds: 8, size: "1280x720", cost: "0.8", prompt: prompt.trim() });
    const sent = createsFor(prompt.trim());
    expect(sent).toHaveLength(1);
    expect(sent[0].fields.seconds).toBe("8");
    expect(typeof sent[0].fields.seconds).toBe("string");
    expect(sent[0].fields).toMatchObject({ model: "sora-2", size: "1280x720", prompt: prompt.trim() });
    expect(sent[0].headers.authorization).toBe(`Bearer ${mock.apiKey}`);
    await expectNoOrphan(res.data!.createVideo.id);
  });

  it('selects 720x1280 for aspectRatio "9:16" and accepts a matching size with it', async () => {
    const user = await newUser();
    const res = await create(user.token, { model: "sora-2", prompt: "a waterfall, portrait", aspectRatio: "9:16" });
    expect(res.errors).toBeUndefined();
    expect(res.data!.createVideo.size).toBe("720x1280");
    const both = await create(user.token, { model: "sora-2-pro", prompt: "a waterfall, tall", aspectRatio: "9:16", size: "1024x1792" });
    expect(both.errors).toBeUndefined();
    expect(both.data!.createVideo.size).toBe("1024x1792");
  });

  it("holds price × seconds: sora-2-pro at 1792x1024 for 8 s costs 4", async () => {
    const user = await newUser("10");
    const prompt = "a slow pan over a glacier";
    const res = await create(user.token, { model: "sora-2-pro", prompt, seconds: 8, size: "1792x1024" });
    expect(res.errors).toBeUndefined();
    expect(res.data!.createVideo).toMatchObject({ model: "sora-2-pro", seconds: 8, size: "1792x1024", cost: "4", status: "QUEUED" });
    expect(await me(user.token)).toMatchObject({ balance: "6", held: "4" });
    const ledger = await ledgerOf(t, user.subject);
    expect(ledger.map((e) => [e.kind, e.amount])).toEqual([
      ["CREDIT", 10_000_000_000n],
      ["HOLD", 4_000_000_000n],
    ]);
    expect(createsFor(prompt)[0].fields).toMatchObject({ model: "sora-2-pro", seconds: "8", size: "1792x1024" });
  });

  it("holds the 720p price for sora-2-pro at 1280x720 (0.30 × 12 = 3.6)", async () => {
    const user = await newUser("5");
    const res = await create(user.token, { model: "sora-2-pro", prompt: "a market at noon", seconds: 12, size: "1280x720" });
    expect(res.errors).toBeUndefined();
    expect(res.data!.createVideo.cost).toBe("3.6");
    expect(await me(user.token)).toMatchObject({ balance: "1.4", held: "3.6" });
  });

  it("holds exactly the whole balance when the price equals it", async () => {
    const user = await newUser("0.4");
    const res = await create(user.token, { model: "sora-2", prompt: "the last forty cents" });
    expect(res.errors).toBeUndefined();
    expect(await me(user.token)).toMatchObject({ balance: "0", held: "0.4" });
  });
});

// ---------------------------------------------------------------------------
describe("createVideo forwards the reference image byte for byte", () => {
  /** The one create request with this prompt, which must carry the reference file. */
  function referenceSentFor(prompt: string) {
    const sent = createsFor(prompt);
    expect(sent).toHaveLength(1);
    expect(sent[0].contentType).toMatch(/^multipart\/form-data/);
    return sent[0];
  }

  it("forwards an Upload's exact bytes, typed by its content rather than the client's content type", async () => {
    const user = await newUser();
    const prompt = "animate this frame (upload)";
    const res = await t.upload(
      CREATE_VIDEO,
      { input: { model: "sora-2", prompt, inputReference: null } },
      { path: "input.inputReference", bytes: PNG, name: "notes.txt", type: "text/plain" },
      { token: user.token },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.createVideo).toMatchObject({ status: "QUEUED", cost: "0.4" });
    const sent = referenceSentFor(prompt);
    expect(sent.file).toMatchObject({ sha256: sha256(PNG), size: PNG.length, type: "image/png" });
    expect(sent.fields).toMatchObject({ model: "sora-2", seconds: "4", size: "720x1280" });
    const row = await expectNoOrphan(res.data!.createVideo.id);
    expect(mock.jobs.get(row.upstreamId!)!.inputReference).toMatchObject({ kind: "file", sha256: sha256(PNG) });
  });

  it("forwards the decoded bytes of a data:image/png;base64 URL", async () => {
    const user = await newUser();
    const prompt = "animate this frame (data url)";
    const res = await create(user.token, { model: "sora-2", prompt, inputReferenceUrl: `data:image/png;base64,${PNG.toString("base64")}` });
    expect(res.errors).toBeUndefined();
    expect(referenceSentFor(prompt).file).toMatchObject({ sha256: sha256(PNG), size: PNG.length, type: "image/png" });
  });

  it("forwards the decoded bytes of bare base64", async () => {
    const user = await newUser();
    const prompt = "animate this frame (base64)";
    const res = await create(user.token, { model: "sora-2", prompt, inputReferenceUrl: JPEG.toString("base64") });
    expect(res.errors).toBeUndefined();
    expect(referenceSentFor(prompt).file).toMatchObject({ sha256: sha256(JPEG), size: JPEG.length, type: "image/jpeg" });
  });

  describe("from an https URL", () => {
    // A second instance on the same database that may fetch from the local HTTPS server.
    const fetching = useTestApp(() => ({
      database: t.database,
      config: { maxReferenceImageBytes: MAX_REFERENCE_BYTES, role: "api" },
      referenceFetch: { allowPrivateAddresses: true, ca: imageServer.ca },
    }));

    it("fetches the URL once and forwards exactly the bytes it served", async () => {
      const user = await newUser();
      const prompt = "animate this frame (https)";
      imageRequests.length = 0;
      const res = await fetching.gql(
        CREATE_VIDEO,
        { input: { model: "sora-2", prompt, inputReferenceUrl: `${imageServer.origin}/first-frame.jpg` } },
        { token: user.token },
      );
      expect(res.errors).toBeUndefined();
      expect(imageRequests).toEqual(["/first-frame.jpg"]);
      expect(referenceSentFor(prompt).file).toMatchObject({ sha256: sha256(JPEG), size: JPEG.length, type: "image/jpeg" });
      expect(await me(user.token)).toMatchObject({ balance: "9.6", held: "0.4" });
    });
  });
});

// ---------------------------------------------------------------------------
describe("createVideo refuses bad reference images before any upstream call or charge", () => {
  const upload = (token: string, bytes: Uint8Array, input: Record<string, unknown> = {}, options: { csrf?: boolean } = {}) =>
    t.upload(
      CREATE_VIDEO,
      { input: { model: "sora-2", prompt: "animate a refused frame", inputReference: null, ...input } },
      { path: "input.inputReference", bytes, name: "frame.png", type: "image/png" },
      { token, ...options },
    );

  it("refuses an upload that is not an image, whatever its declared type, with BAD_USER_INPUT", async () => {
    const user = await newUser();
    const error = await expectRefused(user, "BAD_USER_INPUT", () => upload(user.token, NOT_AN_IMAGE));
    expect(error.message).toMatch(/not a PNG, JPEG, WebP or GIF/);
  });

  it("refuses an upload one byte over the limit with PAYLOAD_TOO_LARGE", async () => {
    const user = await newUser();
    await expectRefused(user, "PAYLOAD_TOO_LARGE", () => upload(user.token, pngOfSize(MAX_REFERENCE_BYTES + 1)));
  });

  it("accepts an upload of exactly the limit", async () => {
    const user = await newUser();
    const bytes = pngOfSize(MAX_REFERENCE_BYTES);
    const res = await t.upload(
      CREATE_VIDEO,
      { input: { model: "sora-2", prompt: "animate a frame at the limit", inputReference: null } },
      { path: "input.inputReference", bytes, type: "image/png" },
      { token: user.token },
    );
    expect(res.errors).toBeUndefined();
    expect(createsFor("animate a frame at the limit")[0].file).toMatchObject({ sha256: sha256(bytes), size: MAX_REFERENCE_BYTES });
  });

  it("refuses an upload a few times over the limit (read as multipart) with PAYLOAD_TOO_LARGE", async () => {
    const user = await newUser();
    let status = 0;
    const error = await expectRefused(user, "PAYLOAD_TOO_LARGE", async () => {
      const res = await upload(user.token, pngOfSize(4 * MAX_REFERENCE_BYTES));
      status = res.status;
      return res;
    });
    expect(status).toBe(413);
    expect(error.message).toContain(String(MAX_REFERENCE_BYTES));
  });

  it("refuses an upload far over the limit by its Content-Length with PAYLOAD_TOO_LARGE and HTTP 413", async () => {
    const user = await newUser();
    let status = 0;
    await expectRefused(user, "PAYLOAD_TOO_LARGE", async () => {
      const res = await upload(user.token, pngOfSize(3 * 1024 * 1024));
      status = res.status;
      return res;
    });
    expect(status).toBe(413);
  });

  it("refuses base64 that decodes to more than the limit with PAYLOAD_TOO_LARGE", async () => {
    const user = await newUser();
    const big = pngOfSize(MAX_REFERENCE_BYTES + 3).toString("base64");
    await expectRefused(user, "PAYLOAD_TOO_LARGE", () =>
      create(user.token, { model: "sora-2", prompt: "too big as base64", inputReferenceUrl: big }),
    );
    await expectRefused(user, "PAYLOAD_TOO_LARGE", () =>
      create(user.token, { model: "sora-2", prompt: "too big as data url", inputReferenceUrl: `data:image/png;base64,${big}` }),
    );
  });

  it.each([
    ["garbage base64", "this is not base64 at all!!"],
    ["base64 of something that is not an image", NOT_AN_IMAGE.toString("base64")],
    ["a data: URL that is not an image type", `data:text/plain;base64,${PNG.toString("base64")}`],
    ["a file: URL", "file:///etc/passwd"],
    ["an ftp: URL", "ftp://example.com/frame.png"],
  ])("refuses %s with BAD_USER_INPUT", async (_name, url) => {
    const user = await newUser();
    await expectRefused(user, "BAD_USER_INPUT", () =>
      create(user.token, { model: "sora-2", prompt: "a refused reference", inputReferenceUrl: url }),
    );
  });

  it("refuses a plain http:// URL without connecting to it", async () => {
    const user = await newUser();
    const connections = imageServer.connections;
    imageRequests.length = 0;
    const error = await expectRefused(user, "BAD_USER_INPUT", () =>
      create(user.token, {
        model: "sora-2",
        prompt: "an http reference",
        inputReferenceUrl: `${imageServer.origin.replace("https:", "http:")}/first-frame.jpg`,
      }),
    );
    expect(error.message).toMatch(/https/);
    expect(imageServer.connections).toBe(connections);
    expect(imageRequests).toEqual([]);
  });

  it("refuses an https URL on a loopback address without ever fetching it", async () => {
    const user = await newUser();
    const connections = imageServer.connections;
    imageRequests.length = 0;
    const error = await expectRefused(user, "BAD_USER_INPUT", () =>
      create(user.token, { model: "sora-2", prompt: "a loopback reference", inputReferenceUrl: `${imageServer.origin}/first-frame.jpg` }),
    );
    expect(error.message).toMatch(/not a public internet address/);
    expect(imageServer.connections, "the loopback server must never see a connection").toBe(connections);
    expect(imageRequests).toEqual([]);
  });

  it("refuses both inputReference and inputReferenceUrl at once with BAD_USER_INPUT", async () => {
    const user = await newUser();
    const error = await expectRefused(user, "BAD_USER_INPUT", () =>
      upload(user.token, PNG, { inputReferenceUrl: `data:image/png;base64,${PNG.toString("base64")}` }),
    );
    expect(error.message).toMatch(/not both/);
  });

  it("refuses a multipart request without the CSRF header with 403 FORBIDDEN and creates nothing", async () => {
    const user = await newUser();
    let status = 0;
    await expectRefused(user, "FORBIDDEN", async () => {
      const res = await upload(user.token, PNG, {}, { csrf: false });
      status = res.status;
      return res;
    });
    expect(status).toBe(403);
  });
});

// ---------------------------------------------------------------------------
describe("createVideo when the provider misbehaves at submission", () => {
  const createFailures = (n: number, response: ReturnType<typeof mockFailures.serverError>) =>
    mock.failNext(n, { method: "POST", path: CREATE_PATH }, response);

  /** Holds nothing, charges nothing, and leaves HOLD then RELEASE of the same amount in the ledger. */
  async function expectNothingCharged(user: { subject: string; token: string }, credit: string) {
    expect(await me(user.token)).toMatchObject({ balance: credit, held: "0" });
    const ledger = await ledgerOf(t, user.subject);
    expect(ledger.map((e) => e.kind)).toEqual(["CREDIT", "HOLD", "RELEASE"]);
    const [granted, held, released] = ledger;
    expect(held.amount).toBeGreaterThan(0n);
    expect(released.amount).toBe(held.amount);
    expect(released.balanceAfter).toBe(granted.balanceAfter);
  }

  it("retries a 429 rate limit and creates the task on the second attempt", async () => {
    const user = await newUser();
    const prompt = "a hummingbird, rate limited once";
    createFailures(1, mockFailures.rateLimit(1));
    const res = await create(user.token, { model: "sora-2", prompt });
    expect(res.errors).toBeUndefined();
    expect(res.data!.createVideo).toMatchObject({ status: "QUEUED", cost: "0.4", error: null });
    expect(createsFor(prompt)).toHaveLength(2);
    const row = await expectNoOrphan(res.data!.createVideo.id);
    expect(mock.jobs.get(row.upstreamId!)!.video.prompt).toBe(prompt);
    expect(await me(user.token)).toMatchObject({ balance: "9.6", held: "0.4" });
    expect((await ledgerOf(t, user.subject)).map((e) => e.kind)).toEqual(["CREDIT", "HOLD"]);
  });

  it("retries 503 three times and succeeds on the fourth attempt", async () => {
    const user = await newUser();
    const prompt = "a harbour, overloaded thrice";
    createFailures(3, mockFailures.overloaded());
    const res = await create(user.token, { model: "sora-2", prompt });
    expect(res.errors).toBeUndefined();
    expect(res.data!.createVideo).toMatchObject({ status: "QUEUED", cost: "0.4", error: null });
    expect(createsFor(prompt)).toHaveLength(4);
    await expectNoOrphan(res.data!.createVideo.id);
  });

  it("fails the task with UPSTREAM_ERROR after a 500 on every attempt and releases the hold in full", async () => {
    const user = await newUser("3");
    const prompt = "a volcano, server always failing";
    createFailures(4, mockFailures.serverError());
    const res = await create(user.token, { model: "sora-2", prompt, seconds: 12 });
    expect(res.errors).toBeUndefined();
    const task = res.data!.createVideo;
    expect(task).toMatchObject({ status: "FAILED", cost: "0", error: { code: "UPSTREAM_ERROR" } });
    expect(createsFor(prompt)).toHaveLength(4); // SUBMIT_ATTEMPTS defaults to 4
    await expectNothingCharged(user, "3");
    expect((await expectNoOrphan(task.id)).upstreamId).toBeNull();
  });

  it("fails a moderation refusal with CONTENT_POLICY after exactly one attempt and charges nothing", async () => {
    const user = await newUser();
    const prompt = "something the provider will not make [moderation]";
    const res = await create(user.token, { model: "sora-2", prompt });
    expect(res.errors).toBeUndefined();
    expect(res.data!.createVideo).toMatchObject({ status: "FAILED", cost: "0", error: { code: "CONTENT_POLICY" } });
    expect(createsFor(prompt)).toHaveLength(1);
    await expectNothingCharged(user, "10");
  });

  it("does not retry an insufficient_quota 429: the task fails and nothing is charged", async () => {
    const user = await newUser();
    const prompt = "a desert, channel out of quota";
    createFailures(1, mockFailures.insufficientQuota());
    const res = await create(user.token, { model: "sora-2", prompt });
    expect(res.errors).toBeUndefined();
    expect(res.data!.createVideo).toMatchObject({ status: "FAILED", cost: "0" });
    expect(res.data!.createVideo.error).not.toBeNull();
    expect(createsFor(prompt)).toHaveLength(1);
    await expectNothingCharged(user, "10");
    // The failure was consumed by this one attempt: the next create goes through.
    const next = await create(user.token, { model: "sora-2", prompt: `${prompt}, later` });
    expect(next.data!.createVideo.status).toBe("QUEUED");
  });

  it("never shows the channel's API key in a failed task's error", async () => {
    const user = await newUser();
    const prompt = "a refused prompt [moderation]";
    const res = await create(user.token, { model: "sora-2", prompt });
    expect(JSON.stringify(res)).not.toContain(mock.apiKey);
  });
});

// ---------------------------------------------------------------------------
describe("createVideo idempotency", () => {
  it("returns the same task for the same key from the same user, holding and submitting once", async () => {
    const user = await newUser();
    const prompt = "an origami crane, idempotent";
    const input = { model: "sora-2", prompt, seconds: 8, idempotencyKey: "order-1" };
    const first = await create(user.token, input);
    const second = await create(user.token, input);
    expect(first.errors).toBeUndefined();
    expect(second.errors).toBeUndefined();
    expect(second.data!.createVideo.id).toBe(first.data!.createVideo.id);
    expect(createsFor(prompt)).toHaveLength(1);
    expect((await ledgerOf(t, user.subject)).map((e) => e.kind)).toEqual(["CREDIT", "HOLD"]);
    expect(await me(user.token)).toMatchObject({ balance: "9.2", held: "0.8" });
    expect(await tasksOf(user.subject)).toHaveLength(1);
  });

  it("creates a separate task when another user sends the same key", async () => {
    const alice = await newUser();
    const bob = await newUser();
    const prompt = "a lantern festival, shared key";
    const input = { model: "sora-2", prompt, idempotencyKey: "shared-key" };
    const a = await create(alice.token, input);
    const b = await create(bob.token, input);
    expect(a.errors).toBeUndefined();
    expect(b.errors).toBeUndefined();
    expect(b.data!.createVideo.id).not.toBe(a.data!.createVideo.id);
    expect(createsFor(prompt)).toHaveLength(2);
    for (const user of [alice, bob]) {
      expect((await ledgerOf(t, user.subject)).map((e) => e.kind)).toEqual(["CREDIT", "HOLD"]);
      expect(await me(user.token)).toMatchObject({ balance: "9.6", held: "0.4" });
    }
  });

  it("gives 5 concurrent requests with one key the same task, one hold and one upstream create", async () => {
    const user = await newUser();
    const prompt = "a swarm of fireflies, concurrent";
    const input = { model: "sora-2", prompt, idempotencyKey: "burst-1" };
    const results = await Promise.all(Array.from({ length: 5 }, () => create(user.token, input)));
    for (const res of results) expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    const ids = new Set(results.map((r) => r.data!.createVideo.id));
    expect(ids.size).toBe(1);
    expect(createsFor(prompt)).toHaveLength(1);
    expect((await ledgerOf(t, user.subject)).map((e) => e.kind)).toEqual(["CREDIT", "HOLD"]);
    expect(await me(user.token)).toMatchObject({ balance: "9.6", held: "0.4" });
    expect(await tasksOf(user.subject)).toHaveLength(1);
    await expectNoOrphan([...ids][0]);
  });

  it("does not replay a refused request: the same key works once the request is valid", async () => {
    const user = await newUser();
    await expectRefused(user, "BAD_USER_INPUT", () =>
      create(user.token, { model: "sora-2", prompt: "a retry", seconds: 5, idempotencyKey: "fix-me" }),
    );
    const res = await create(user.token, { model: "sora-2", prompt: "a retry", seconds: 4, idempotencyKey: "fix-me" });
    expect(res.errors).toBeUndefined();
    expect(res.data!.createVideo).toMatchObject({ status: "QUEUED", seconds: 4 });
  });
});
