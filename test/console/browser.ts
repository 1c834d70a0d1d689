/** Headless Chromium for the console tests: pages that record what goes wrong, sign-in, and screenshots. */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { expect } from "vitest";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** how long any one thing in the browser may take before the test fails */
export const WAIT_MS = 20_000;
export const WIDTHS = { phone: 375, desktop: 1440 } as const;
const SCREENSHOTS = fileURLToPath(new URL("../../docs/screenshots/", import.meta.url));
/** screenshots are written only when asked for, so that ordinary runs leave the tree as it was */
export const UPDATE_SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === "1";

export const launch = (): Promise<Browser> => chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"], timeout: WAIT_MS });

export interface ConsolePage {
  page: Page;
  /** page errors, console errors and policy violations seen so far */
  problems: string[];
}

/** A page on the console in a fresh profile (nothing in sessionStorage), recording every complaint. */
export async function openConsole(context: BrowserContext, origin: string, at = "/"): Promise<ConsolePage> {
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const problems: string[] = [];
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("console", (message) => {
    // a refused key is answered 401, which the browser logs; the page itself says why
    if (message.type() === "error" && !/status of 401/.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => console.error(`CSP blocked ${e.blockedURI} (${e.violatedDirective})`));
  });
  await page.goto(`${origin}${at}`);
  return { page, problems };
}

export async function signIn(page: Page, key: string) {
  await page.getByLabel("API key or token").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

/** Opens a page of the console from its navigation and waits for its heading. */
export async function go(page: Page, label: string, heading = label) {
  const toggle = page.getByRole("button", { name: "Menu" });
  if (await toggle.isVisible()) await toggle.click();
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: label, exact: true }).click();
  await page.getByRole("heading", { level: 1, name: heading }).waitFor();
}

/**
 * At each width: the page fits without sideways scrolling (tables scroll inside their own box),
 * every form control has a label, and, with UPDATE_SCREENSHOTS=1, a full-page screenshot goes
 * to docs/screenshots/<name>-<width>.png.
 */
export async function checkLayout(page: Page, name: string) {
  const original = page.viewportSize();
  for (const width of Object.values(WIDTHS)) {
    await page.setViewportSize({ width, height: width === WIDTHS.phone ? 812 : 900 });
    const layout = await page.evaluate(() => {
      const unlabelled = [...document.querySelectorAll<HTMLElement>("input, select, textarea, button")]
        .filter((el) => el.offsetParent !== null || el.getClientRects().length > 0)
        .filter((el) => {
          const control = el as HTMLInputElement;
          const named = el.getAttribute("aria-label") || el.getAttribute("aria-labelledby") || (el.textContent ?? "").trim();
          return el.tagName === "BUTTON" ? !named : !(control.labels?.length || named);
        })
        .map((el) => el.outerHTML.slice(0, 120));
      // the widest elements, named, so that a failure says what to fix
      const tooWide = (el: Element | null) => el !== null && el.getBoundingClientRect().right > window.innerWidth + 1;
      const wide = [...document.querySelectorAll<HTMLElement>("body *")]
        .filter((el) => tooWide(el) && !tooWide(el.parentElement))
        .slice(0, 5)
        .map((el) => `${el.tagName.toLowerCase()}.${el.className}`);
      return { overflow: document.documentElement.scrollWidth - window.innerWidth, unlabelled, wide };
    });
    expect(layout.overflow, `${name} at ${width} px is wider than the window: ${layout.wide.join(", ")}`).toBeLessThanOrEqual(0);
    expect(layout.unlabelled, `${name} at ${width} px`).toEqual([]);
    if (UPDATE_SCREENSHOTS) {
      await mkdir(SCREENSHOTS, { recursive: true });
      // the confirmations of what the test just did would cover the page
      await page.evaluate(() => {
        for (const dismiss of document.querySelectorAll<HTMLButtonElement>(".toast button")) dismiss.click();
      });
      // let the layout settle after the resize (the toasts and the menu)
      await page.waitForTimeout(150);
      await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true, animations: "disabled" });
    }
  }
  if (original) await page.setViewportSize(original);
}
