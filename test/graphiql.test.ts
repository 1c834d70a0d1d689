/**
 * GraphiQL in a real browser (headless Chromium): the page loads nothing from outside the app,
 * a token typed into the Headers tab authenticates queries and SSE subscriptions alike, and a
 * subscription without one ends with UNAUTHENTICATED instead of spinning.
 */

import { parse, validate } from "graphql";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GRAPHIQL_DEFAULT_QUERY } from "../src/http/graphiql.js";
import { schema } from "../src/schema/index.js";
import { CREATE_VIDEO } from "./helpers/fixtures.js";
import { useTestApp } from "./helpers/use-test-app.js";
import { until } from "./helpers/wait.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** how long any one thing in the browser may take before the test fails */
const WAIT_MS = 20_000;
const TEST_TIMEOUT_MS = 60_000;
const SCREENSHOT = "/tmp/graphiql.png";
/** prompts containing this stay queued upstream until the test moves them with setJobState */
const HOLD = "[hold]";

const QUERY_EDITOR = ".graphiql-query-editor";
const HEADERS_TAB = 'button[data-name="headers"]';
const HEADERS_EDITOR = 'section.graphiql-editor-tool[aria-label="Headers"] .graphiql-editor:not(.hidden)';
const ACTIVE_TAB = ".graphiql-tab-active .graphiql-tab-button";
const RESULT = 'section[aria-label="Result Window"]';
const RUN = ".graphiql-execute-button";
const PRETTIFY = 'button[aria-label^="Prettify"]';

const t = useTestApp({
  mock: "openai",
  mockOptions: { scripts: { [HOLD]: { queuedPolls: 1_000_000 } } },
  channels: [{ name: "gateway", models: ["sora-2"] }],
});

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"], timeout: WAIT_MS });
});
afterAll(async () => {
  await browser?.close();
});

/** A fresh browser profile (no stored tabs or headers) on GraphiQL, with every request it makes and every complaint it logs. */
async function openGraphiQL(context: BrowserContext) {
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const requests: string[] = [];
  const problems: string[] = [];
  page.on("request", (request) => requests.push(request.url()));
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => console.error(`CSP blocked ${e.blockedURI} (${e.violatedDirective})`));
  });
  const response = await page.goto(t.url);
  expect(response?.headers()["content-type"]).toMatch(/^text\/html/);
  await expect.poll(() => editorText(page, QUERY_EDITOR), { timeout: WAIT_MS }).toContain("query Me {");
  return { page, requests, problems, headers: response!.headers() };
}

/** What a Monaco editor shows, as plain text: its lines top to bottom (it places them absolutely, and draws spaces as no-break spaces). */
const editorText = (page: Page, selector: string) =>
  page
    .locator(`${selector} .view-lines`)
    .first()
    .evaluate((el) =>
      [...el.querySelectorAll<HTMLElement>(".view-line")]
        .sort((a, b) => Number.parseFloat(a.style.top) - Number.parseFloat(b.style.top))
        .map((line) => (line.textContent ?? "").replace(/\u00a0/g, " "))
        .join("\n"),
    )
    .catch(() => "");

/** The result pane without whitespace: it wraps long lines anywhere, even inside a string. */
const resultOf = async (page: Page) => (await editorText(page, RESULT)).replace(/\s+/g, "");

/** Replaces an editor's text by typing it, key by key. */
async function typeInto(page: Page, selector: string, text: string) {
  await page.locator(`${selector} .monaco-editor`).first().click();
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.press("Delete");
  await page.keyboard.type(text);
}

/** Replaces the operation at once, as a paste does (no auto-closed brackets), waits for GraphiQL to name the tab after it, and prettifies it. */
async function pasteOperation(page: Page, text: string, name: string) {
  await page.locator(`${QUERY_EDITOR} .monaco-editor`).first().click();
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.insertText(text);
  await expect.poll(() => page.locator(ACTIVE_TAB).textContent(), { timeout: WAIT_MS }).toBe(name);
  await page.locator(PRETTIFY).click();
  await expect.poll(() => editorText(page, QUERY_EDITOR), { timeout: WAIT_MS }).toMatch(/\{\n\s+\S/);
}

/** Requests that went anywhere but the app: blob: URLs of the page's own workers and data: URLs count as the app's. */
const foreign = (requests: string[]) => requests.filter((url) => !url.startsWith("data:") && new URL(url).origin !== t.origin);

const progressSubscription = (id: string) => `subscription Progress { taskProgress(id: "${id}") { id status progress } }`;

describe("GraphiQL", () => {
  it("opens on a first tab whose query and commented examples are valid against the schema", () => {
    expect(validate(schema, parse(GRAPHIQL_DEFAULT_QUERY))).toEqual([]);
    const examples = [...GRAPHIQL_DEFAULT_QUERY.matchAll(/^# ((?:mutation|subscription) [\s\S]*?^# \})$/gm)].map((m) =>
      m[1].replace(/^# ?/gm, ""),
    );
    expect(examples.map((example) => example.split(" ", 2).join(" "))).toEqual(["mutation CreateVideo", "subscription Progress"]);
    for (const example of examples) expect(validate(schema, parse(example)), example).toEqual([]);
  });

  it(
    "runs me with the token typed into the Headers tab, then shows taskProgress events over SSE up to COMPLETED, fetching nothing from elsewhere",
    async () => {
      const subject = "browser@graphiql";
      const token = await t.userWithCredit(subject, "10");
      const prompt = `a kite over the dunes ${HOLD}`;
      const created = await t.gql(CREATE_VIDEO, { input: { model: "sora-2", prompt, seconds: 4, size: "1280x720" } }, { token });
      expect(created.errors).toBeUndefined();
      const taskId = created.data!.createVideo.id as string;

      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      try {
        const { page, requests, problems, headers } = await openGraphiQL(context);
        // The first tab is Reelay's own, and says where the token goes.
        expect(await page.title()).toBe("Reelay");
        expect(GRAPHIQL_DEFAULT_QUERY).toMatch(/^# .*\n(#.*\n)*#\s+\{"Authorization": "Bearer <your API key or JWT>"\}/);
        expect(await editorText(page, QUERY_EDITOR)).toContain("open the Headers tab below");
        // The page's policy lets it run its own inline code and talk to this origin only.
        expect(headers["content-security-policy"]).toMatch(/default-src 'none'/);
        expect(headers["content-security-policy"]).not.toMatch(/https?:|\*/);

        await page.locator(HEADERS_TAB).click();
        const header = `{"Authorization":"Bearer ${token}"}`;
        await typeInto(page, HEADERS_EDITOR, header);
        expect((await editorText(page, HEADERS_EDITOR)).trim()).toBe(header);

        await page.locator(RUN).click();
        // 10 granted, 0.4 held for the running task
        await expect
          .poll(() => resultOf(page), { timeout: WAIT_MS })
          .toContain(`"me":{"subject":"${subject}","role":"USER","balance":"9.6"}`);

        const subscriptionRequest = page.waitForRequest((r) => r.url().includes("taskProgress"));
        await pasteOperation(page, progressSubscription(taskId), "Progress");
        await page.locator(RUN).click();
        // Over SSE, with the token from the Headers tab.
        const sent = await subscriptionRequest;
        const sentHeaders = await sent.allHeaders();
        expect(sentHeaders.accept).toMatch(/text\/event-stream/);
        expect(sentHeaders.authorization).toBe(`Bearer ${token}`);

        const result = () => resultOf(page);
        await expect.poll(result, { timeout: WAIT_MS }).toContain(`{"id":"${taskId}","status":"QUEUED"`);
        const upstreamId = await until(
          "the task's upstream id",
          async () => (await t.app.services.db.task.findFirst({ where: { prompt }, select: { upstreamId: true } }))?.upstreamId,
        );
        t.mock.setJobState(upstreamId, { status: "in_progress", progress: 40 });
        await expect.poll(result, { timeout: WAIT_MS }).toContain(`{"id":"${taskId}","status":"PROCESSING","progress":40}`);
        t.mock.setJobState(upstreamId, { status: "completed" });
        await expect.poll(result, { timeout: WAIT_MS }).toContain(`{"id":"${taskId}","status":"COMPLETED","progress":100}`);
        // A subscription by id ends after the terminal state: GraphiQL offers to run again.
        await expect.poll(() => page.locator(RUN).getAttribute("aria-label"), { timeout: WAIT_MS }).toMatch(/^Execute/);

        // Back to the start of each editor, so the picture shows the operation and the header.
        for (const editor of [QUERY_EDITOR, HEADERS_EDITOR]) {
          await page.locator(`${editor} .monaco-editor`).first().click();
          await page.keyboard.press("ControlOrMeta+Home");
        }
        await page.screenshot({ path: SCREENSHOT });
        expect(foreign(requests)).toEqual([]);
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "works with no way out to the internet, and answers a subscription without a token with UNAUTHENTICATED instead of spinning",
    async () => {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const blocked: string[] = [];
      // Anything addressed elsewhere fails, as it would on a machine without internet access.
      await context.route(
        (url) => url.protocol !== "data:" && url.protocol !== "blob:" && url.origin !== t.origin,
        (route) => {
          blocked.push(route.request().url());
          return route.abort("internetdisconnected");
        },
      );
      try {
        const { page, problems } = await openGraphiQL(context);
        await pasteOperation(page, progressSubscription("VmlkZW9UYXNrOjE="), "Progress");
        await page.locator(RUN).click();
        await expect.poll(() => resultOf(page), { timeout: WAIT_MS }).toContain('"code":"UNAUTHENTICATED"');
        expect(await resultOf(page)).toContain('"message":"SendAuthorization:Bearer<token>"');
        // The run is over: the button offers to run again rather than to stop.
        await expect.poll(() => page.locator(RUN).getAttribute("aria-label"), { timeout: WAIT_MS }).toMatch(/^Execute/);
        expect(blocked).toEqual([]);
        // the refusal is an HTTP 401, which the browser reports as a failed load
        expect(problems).toEqual(["console: Failed to load resource: the server responded with a status of 401 (Unauthorized)"]);
      } finally {
        await context.close();
      }
    },
    TEST_TIMEOUT_MS,
  );
});
