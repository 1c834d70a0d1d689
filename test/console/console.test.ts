/**
 * The console end to end, in headless Chromium against the real server, PostgreSQL, Redis and a
 * mock provider that serves a real MP4: sign-in, a create with an uploaded image whose progress bar
 * moves and whose video plays, cancel with the hold released, a dropped connection, errors as
 * people read them, and the admin pages. Each page is checked at 375 and 1440 px wide (and
 * photographed into docs/screenshots with UPDATE_SCREENSHOTS=1).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Browser, BrowserContext, Page, WebSocketRoute } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_REDIS_URL, uniqueRedisPrefix } from "../helpers/app.js";
import { CREATE_VIDEO, grantCredit, waitForTask } from "../helpers/fixtures.js";
import { useTestApp } from "../helpers/use-test-app.js";
import { until } from "../helpers/wait.js";
import type { MockJob } from "../mocks/openai-videos.js";
import { checkLayout, go, launch, openConsole, signIn, WAIT_MS } from "./browser.js";
import { ensureConsoleBuilt } from "./build.js";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
const VIDEO = fixture("mock-video.mp4");
const THUMBNAIL = fixture("mock-thumbnail.webp");
const REFERENCE = fixture("reference.png");
/** prompts containing this stay queued upstream until the test moves them with setJobState */
const HELD = "in slow motion";
const TEST_TIMEOUT_MS = 60_000;

const CREATE_KEY = /* GraphQL */ `mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { id } } }`;
const REVOKE_KEY = /* GraphQL */ `mutation ($id: ID!) { revokeApiKey(id: $id) { id } }`;
const BALANCE = /* GraphQL */ `query ($s: String!) { users(search: $s, first: 1) { edges { node { subject balance held } } } }`;

beforeAll(ensureConsoleBuilt, 120_000);
const t = useTestApp({
  mock: "openai",
  mockOptions: { media: { video: VIDEO, thumbnail: THUMBNAIL }, scripts: { [HELD]: { queuedPolls: 1_000_000 } } },
  channels: [{ name: "gateway", models: ["sora-2", "sora-2-pro"] }],
  // live progress crosses Redis as in production; the media backlog test waits for a copy the worker retries at its next round
  config: { redisUrl: TEST_REDIS_URL, redisPrefix: uniqueRedisPrefix(), mediaSweepIntervalMs: 200 },
});

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
}, WAIT_MS);
afterAll(async () => {
  await browser?.close();
});

/** An API key made through createApiKey; for `subject` (by the admin) or, without one, the admin's own. */
async function apiKey(subject?: string): Promise<{ key: string; id: string }> {
  const res = await t.gql(CREATE_KEY, { input: { name: "console test", ...(subject ? { subject } : {}) } }, { token: t.adminToken });
  expect(res.errors).toBeUndefined();
  return { key: res.data!.createApiKey.key, id: res.data!.createApiKey.apiKey.id };
}

async function balanceOf(subject: string): Promise<{ balance: string; held: string }> {
  const res = await t.gql(BALANCE, { s: subject }, { token: t.adminToken });
  return res.data!.users.edges[0].node;
}

/** A browser profile of its own with the console open, signed in with `key`. */
async function signedIn(key: string, options: { viewport?: { width: number; height: number } } = {}) {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 900 } });
  const opened = await openConsole(context, t.origin);
  await signIn(opened.page, key);
  return { context, ...opened };
}

const jobFor = (prompt: string) =>
  until(`the upstream job for "${prompt}"`, () => [...t.mock.jobs.values()].find((j) => j.video.prompt === prompt));
const headerText = (page: Page, id: "balance" | "held") => page.getByTestId(id).locator("strong").textContent();

async function createFromForm(page: Page, prompt: string, options: { seconds?: string; image?: boolean } = {}) {
  await go(page, "Create");
  await page.getByLabel("Model").selectOption("sora-2");
  await page.getByLabel("Prompt").fill(prompt);
  if (options.seconds) await page.getByLabel("Length").selectOption(options.seconds);
  if (options.image) {
    await page.getByLabel("Reference image (optional)").setInputFiles({ name: "reference.png", mimeType: "image/png", buffer: REFERENCE });
    await page.getByRole("img", { name: "Preview of reference.png" }).waitFor();
  }
  await page.getByRole("button", { name: "Create video" }).click();
}

describe("signing in", () => {
  it(
    "refuses a bad or revoked key and a disabled user with a clear message, signs in with a good key, and forgets it on sign-out",
    async () => {
      await grantCredit(t, "signin@console", "1");
      const good = await apiKey("signin@console");
      const revoked = await apiKey("signin@console");
      expect((await t.gql(REVOKE_KEY, { id: revoked.id }, { token: t.adminToken })).errors).toBeUndefined();
      const disabled = await apiKey("disabled@console");
      const disabling = await t.gql(`mutation { disableUser(subject: "disabled@console") { id } }`, {}, { token: t.adminToken });
      expect(disabling.errors).toBeUndefined();
      // both refused on every instance within a second
      for (const key of [revoked.key, disabled.key]) {
        await until("the key to be refused", async () => (await t.gql(`{ me { id } }`, {}, { token: key })).errors);
      }
      const context = await browser.newContext();
      try {
        const { page, problems } = await openConsole(context, t.origin);
        await checkLayout(page, "sign-in");
        for (const key of ["sk-rl-not-a-key-at-all", revoked.key]) {
          await page.getByLabel("API key or token").fill(key);
          const answered = page.waitForResponse((r) => r.url().startsWith(t.url));
          await page.getByRole("button", { name: "Sign in" }).click();
          expect((await answered).status()).toBe(401);
          await expect
            .poll(() => page.getByRole("alert").textContent(), { timeout: WAIT_MS })
            .toContain("This key or token was not accepted");
          await expect.poll(() => page.getByRole("button", { name: "Sign in" }).isEnabled()).toBe(true);
        }
        // a disabled user is told so
        await page.getByLabel("API key or token").fill(disabled.key);
        await page.getByRole("button", { name: "Sign in" }).click();
        await page.getByRole("alert").filter({ hasText: "This user is disabled" }).waitFor();
        // by keyboard alone: the field, then Enter; the focus ring shows where the keyboard is
        await page.getByLabel("API key or token").fill(good.key);
        await page.getByLabel("API key or token").press("Enter");
        await page.getByRole("button", { name: "Sign out" }).waitFor();
        expect(await page.getByTestId("balance").textContent()).toContain("$1.00");
        await page.keyboard.press("Tab");
        await page.keyboard.press("Tab");
        const focused = await page.evaluate(() => {
          const el = document.activeElement as HTMLElement;
          return { text: el.textContent, outline: getComputedStyle(el).outlineStyle };
        });
        expect(focused.outline).not.toBe("none");
        // a reload keeps the tab signed in; signing out forgets the key at once
        await page.reload();
        await page.getByRole("button", { name: "Sign out" }).click();
        await page.getByLabel("API key or token").waitFor();
        expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
        await page.reload();
        await page.getByLabel("API key or token").waitFor();
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    },
    TEST_TIMEOUT_MS,
  );
});

describe("making videos", () => {
  const subject = "alice@console";
  let alice: string;
  beforeAll(async () => {
    await grantCredit(t, subject, "10");
    alice = (await apiKey(subject)).key;
  });

  it(
    "creates a video from an uploaded image at the price shown, moves its progress bar live, and plays it in the gallery",
    async () => {
      const { context, page, problems } = await signedIn(alice);
      try {
        const prompt = `A lighthouse at dusk, waves breaking ${HELD}`;
        await go(page, "Create");
        await page.getByLabel("Model").selectOption("sora-2");
        await expect.poll(() => page.getByTestId("price").textContent()).toBe("$0.40");
        await page.getByLabel("Length").selectOption("8");
        await expect.poll(() => page.getByTestId("price").textContent()).toBe("$0.80");
        // a drop onto the zone takes the image as the file picker does
        await page.getByTestId("dropzone").evaluate(
          (zone, bytes) => {
            const data = new DataTransfer();
            data.items.add(new File([new Uint8Array(bytes)], "dropped.png", { type: "image/png" }));
            zone.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
          },
          [...REFERENCE],
        );
        await expect.poll(() => page.getByText("dropped.png").count()).toBe(1);
        await page.getByLabel("Prompt").fill(prompt);
        await checkLayout(page, "create");
        await page.getByRole("button", { name: "Remove image" }).click();
        await createFromForm(page, prompt, { seconds: "8", image: true });
        await page.getByRole("heading", { level: 1, name: "Tasks" }).waitFor();

        const job: MockJob = await jobFor(prompt);
        expect(job.inputReference?.sha256).toBe(createHash("sha256").update(REFERENCE).digest("hex"));
        await expect.poll(() => headerText(page, "held")).toBe("$0.80");
        const bar = page.getByRole("list", { name: "Running tasks" }).getByRole("progressbar");
        const seen: number[] = [];
        for (const progress of [30, 70]) {
          t.mock.setJobState(job.video.id, { status: "in_progress", progress });
          await expect.poll(() => bar.getAttribute("aria-valuenow"), { timeout: WAIT_MS }).toBe(String(progress));
          seen.push(Number(await bar.getAttribute("aria-valuenow")));
        }
        expect(seen).toEqual([30, 70]);
        await checkLayout(page, "tasks");

        t.mock.setJobState(job.video.id, { status: "completed" });
        await expect.poll(() => bar.count(), { timeout: WAIT_MS }).toBe(0);
        await go(page, "Gallery");
        const video = page.getByRole("list", { name: "Finished media" }).locator("video").first();
        await video.waitFor();
        expect(await video.getAttribute("aria-label")).toBe(`Video: ${prompt}`);
        // played as a person would: muted playback needs no gesture, and readyState 2 means a frame was decoded
        await video.evaluate((el: HTMLVideoElement) => {
          el.muted = true;
          return el.play();
        });
        await expect.poll(() => video.evaluate((el: HTMLVideoElement) => el.readyState), { timeout: WAIT_MS }).toBeGreaterThanOrEqual(2);
        expect(await video.evaluate((el: HTMLVideoElement) => el.videoWidth)).toBe(160);
        await checkLayout(page, "gallery");
        await expect.poll(() => headerText(page, "balance")).toBe("$9.20");
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "cancels a queued task and gives its hold back to the balance",
    async () => {
      const { context, page, problems } = await signedIn(alice);
      try {
        const before = await headerText(page, "balance");
        const prompt = `Paper boats drifting on a pond ${HELD}`;
        await createFromForm(page, prompt);
        const row = page.getByRole("list", { name: "Running tasks" }).getByRole("listitem").filter({ hasText: prompt });
        await row.waitFor();
        await expect.poll(() => headerText(page, "held")).toBe("$0.40");
        await row.getByRole("button", { name: "Cancel" }).click();
        await expect.poll(() => row.count()).toBe(0);
        await expect.poll(() => headerText(page, "held")).toBe("$0.00");
        await expect.poll(() => headerText(page, "balance")).toBe(before);
        expect(await balanceOf(subject)).toEqual({ subject, balance: "9.2", held: "0" });
        const history = page.getByRole("list", { name: "Task history" }).getByRole("listitem").filter({ hasText: prompt });
        await expect.poll(() => history.getAttribute("data-status")).toBe("CANCELLED");
        // the history filters by status
        await page.getByLabel("Status").selectOption("CANCELLED");
        await expect.poll(() => page.getByRole("list", { name: "Task history" }).getByRole("listitem").count()).toBe(1);
        await go(page, "Ledger");
        await page.getByRole("cell", { name: "Release" }).first().waitFor();
        await checkLayout(page, "ledger");
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "shows a banner while the live connection is down, then carries on with live progress once it is back",
    async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      let blocked = false;
      const sockets: WebSocketRoute[] = [];
      // the console's socket passes through the test, which can cut it and refuse new ones
      await context.routeWebSocket(
        (url) => url.pathname === "/graphql",
        (ws) => {
          if (blocked) return ws.close({ code: 1013 });
          ws.connectToServer();
          sockets.push(ws);
        },
      );
      try {
        const { page, problems } = await openConsole(context, t.origin);
        await signIn(page, alice);
        const prompt = `A hot-air balloon over green hills ${HELD}`;
        await createFromForm(page, prompt);
        const job = await jobFor(prompt);
        const bar = page
          .getByRole("list", { name: "Running tasks" })
          .getByRole("listitem")
          .filter({ hasText: prompt })
          .getByRole("progressbar");
        t.mock.setJobState(job.video.id, { status: "in_progress", progress: 20 });
        await expect.poll(() => bar.getAttribute("aria-valuenow")).toBe("20");

        blocked = true;
        for (const ws of sockets.splice(0)) await ws.close({ code: 1012 });
        const banner = page.getByText("Connection lost.");
        await banner.waitFor();
        await checkLayout(page, "reconnecting");
        // progress made while the socket is down reaches the page once it is back
        t.mock.setJobState(job.video.id, { status: "in_progress", progress: 60 });
        await until("the worker to read the new progress", async () => {
          const res = await t.gql(
            `query ($id: ID!) { videoTask(id: $id) { progress } }`,
            { id: (await taskIdOf(prompt))! },
            { token: alice },
          );
          return res.data?.videoTask?.progress === 60;
        });
        expect(await bar.getAttribute("aria-valuenow")).toBe("20");
        blocked = false;
        await banner.waitFor({ state: "hidden", timeout: WAIT_MS });
        await expect.poll(() => bar.getAttribute("aria-valuenow"), { timeout: WAIT_MS }).toBe("60");
        // and what happens next arrives live again
        t.mock.setJobState(job.video.id, { status: "in_progress", progress: 85 });
        await expect.poll(() => bar.getAttribute("aria-valuenow"), { timeout: WAIT_MS }).toBe("85");
        await page
          .getByRole("list", { name: "Running tasks" })
          .getByRole("listitem")
          .filter({ hasText: prompt })
          .getByRole("button", { name: "Cancel" })
          .click();
        expect(problems.filter((p) => !/WebSocket/.test(p))).toEqual([]);
      } finally {
        await context.close();
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "says why a request was refused: a prompt the provider's content policy blocks, and an empty balance",
    async () => {
      await grantCredit(t, "bob@console", "0.1");
      const bob = (await apiKey("bob@console")).key;
      const { context, page, problems } = await signedIn(bob);
      try {
        await go(page, "Create");
        await page.getByLabel("Model").selectOption("sora-2");
        await page.getByLabel("Prompt").fill("a video nobody can afford");
        await page.getByText("Your balance does not cover this video.").waitFor();
        await page.getByRole("button", { name: "Create video" }).click();
        const alert = page.getByRole("alert").filter({ hasText: "Not enough credit" });
        await alert.waitFor();
        expect(await alert.textContent()).toContain("This needs $0.40.");
      } finally {
        await context.close();
      }
      const { context: other, page: alicePage, problems: aliceProblems } = await signedIn(alice);
      try {
        await createFromForm(alicePage, "a scene the provider refuses [moderation]");
        const alert = alicePage.getByRole("alert").filter({ hasText: "content policy" });
        await alert.waitFor();
        expect(await alert.textContent()).toMatch(/Refused by the provider's content policy: .*moderation/);
        expect([...problems, ...aliceProblems]).toEqual([]);
      } finally {
        await other.close();
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "makes an API key that is shown once and revokes it",
    async () => {
      const { context, page, problems } = await signedIn(alice);
      try {
        await go(page, "API keys");
        await page.getByLabel("Name").fill("render farm");
        await page.getByRole("button", { name: "Create key" }).click();
        const shown = await page.getByTestId("new-key").textContent();
        expect(shown).toMatch(/^sk-rl-/);
        const me = await t.gql(`{ me { subject } }`, {}, { token: shown! });
        expect(me.data).toEqual({ me: { subject } });
        const row = page.getByRole("row").filter({ hasText: "render farm" });
        await row.waitFor();
        await checkLayout(page, "keys");
        await page.getByRole("button", { name: "Done" }).click();
        expect(await page.getByTestId("new-key").count()).toBe(0);
        await row.getByRole("button", { name: /Revoke/ }).click();
        await page.getByRole("dialog").getByRole("button", { name: "Revoke" }).click();
        await row.getByText("Revoked").waitFor();
        // refused everywhere within a second of the revocation
        await expect
          .poll(async () => (await t.gql(`{ me { subject } }`, {}, { token: shown! })).errors?.[0]?.extensions?.code, { timeout: 5_000 })
          .toBe("UNAUTHENTICATED");
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    },
    TEST_TIMEOUT_MS,
  );
});

describe("as an admin", () => {
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  beforeAll(async () => {
    ({ context, page, problems } = await signedIn((await apiKey()).key));
  }, TEST_TIMEOUT_MS);
  afterAll(async () => {
    await context?.close();
  });

  it(
    "adds a channel, edits it without typing its key again, and disables it",
    async () => {
      await go(page, "Channels");
      await page.getByRole("button", { name: "Add channel" }).click();
      const form = page.getByRole("form", { name: "New channel" });
      await form.getByLabel("Name", { exact: true }).fill("backup-gateway");
      await form.getByLabel("Provider").selectOption("openai");
      await form.getByLabel("Base URL").fill(t.mock.baseUrl);
      await form.getByLabel("API key").fill(t.mock.apiKey);
      await form.getByLabel("sora-2", { exact: true }).check();
      await form.getByRole("button", { name: "Add channel" }).click();
      const card = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: "backup-gateway" }) });
      await card.waitFor();
      const hint = await card.locator("code").textContent();
      // only a hint of the key is ever shown
      expect(hint).toMatch(/^sk-\.\.\.\w{4}$/);

      await card.getByRole("button", { name: /^Edit/ }).click();
      const edit = page.getByRole("form", { name: "Edit backup-gateway" });
      expect(await edit.getByLabel("API key").inputValue()).toBe("");
      await edit.getByLabel("Priority").fill("5");
      await checkLayout(page, "channels");
      await edit.getByRole("button", { name: "Save channel" }).click();
      await expect.poll(() => card.textContent()).toContain("priority 5");
      expect(await card.locator("code").textContent()).toBe(hint);
      const channels = await t.gql(`{ channels { name priority apiKeyHint enabled } }`, {}, { token: t.adminToken });
      expect(channels.data!.channels).toContainEqual({ name: "backup-gateway", priority: 5, apiKeyHint: hint, enabled: true });

      await card.getByRole("button", { name: /^Disable/ }).click();
      await card.getByText("Disabled", { exact: true }).waitFor();
      const after = await t.gql(`{ channels { name enabled } }`, {}, { token: t.adminToken });
      expect(after.data!.channels).toContainEqual({ name: "backup-gateway", enabled: false });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "credits a user, who sees the new balance",
    async () => {
      await grantCredit(t, "carol@console", "1");
      await go(page, "Users");
      await page.getByLabel("Search by subject").fill("carol");
      const card = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: "carol@console" }) });
      await card.waitFor();
      await card.getByRole("button", { name: "Add credit" }).click();
      await card.getByLabel("Amount (USD)").fill("2.50");
      await card.getByLabel("Note").fill("welcome bonus");
      await card.getByRole("button", { name: "Grant credit" }).click();
      await expect.poll(() => card.getByTestId("user-balance").textContent()).toBe("$3.50");
      expect(await balanceOf("carol@console")).toMatchObject({ balance: "3.5" });
      await page.getByLabel("Search by subject").fill("");
      await checkLayout(page, "users");
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "sets a price, which the create form then shows",
    async () => {
      await go(page, "Prices");
      await page.getByLabel("Model", { exact: true }).fill("sora-2");
      await page.getByLabel("Size", { exact: true }).fill("1280x720");
      await page.getByLabel("Price (USD per unit)").fill("0.25");
      await page.getByRole("button", { name: "Set price" }).click();
      await page.getByRole("row").filter({ hasText: "1280x720" }).filter({ hasText: "$0.25" }).first().waitFor();
      await page.getByLabel("Filter by model").fill("sora-2");
      await expect.poll(() => page.getByRole("row").filter({ hasText: "kling" }).count()).toBe(0);
      await checkLayout(page, "prices");
      await go(page, "Create");
      await page.getByLabel("Model").selectOption("sora-2");
      await page.getByLabel("Size").selectOption("1280x720");
      await expect.poll(() => page.getByTestId("price").textContent()).toBe("$1.00");
      expect(problems).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "lists a task whose media copy was given up, and copies it again on Retry",
    async () => {
      const token = await t.userWithCredit("dave@console", "1");
      const prompt = "Rain on a tin roof at night";
      const created = await t.gql(CREATE_VIDEO, { input: { model: "sora-2", prompt } }, { token });
      await waitForTask(t, token, created.data!.createVideo.id, (task) => task.status === "COMPLETED");
      const id = (await taskIdOf(prompt))!;
      // as the worker leaves it when the storage kept failing until the provider's copy was gone
      await t.app.services.db.task.update({
        where: { id },
        data: { mediaStatus: "LOST", mirrorAttempts: 7, mirrorError: "storage answered 503 Service Unavailable" },
      });
      await go(page, "Media backlog");
      const card = page.getByRole("list", { name: "Tasks whose media is not stored" }).getByRole("listitem").filter({ hasText: prompt });
      await card.getByText("storage answered 503").waitFor();
      await checkLayout(page, "media-backlog");
      await card.getByRole("button", { name: "Retry the copy" }).click();
      await until("the media to be stored again", async () => {
        const task = await t.app.services.db.task.findUnique({ where: { id }, select: { mediaStatus: true } });
        return task?.mediaStatus === "STORED";
      });
      await page.reload();
      await page.getByText("Nothing waiting").waitFor();
      expect(problems).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});

async function taskIdOf(prompt: string): Promise<string | undefined> {
  const task = await t.app.services.db.task.findFirst({ where: { prompt }, select: { id: true } });
  return task?.id;
}
