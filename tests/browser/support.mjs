// What the browser tests share: Chromium, the demo page's chat widget, and axe-core.
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
export const ANSWER_TIMEOUT = 30_000;
export const CLINIC_NAME = process.env.CLINIC_NAME || "Demo Ketamine Clinic (sample profile)";
export const ARTIFACTS = process.env.ARTIFACTS_DIR || "test-artifacts";

export function launchChromium() {
  // playwright starts Chromium with a fresh temporary user-data-dir of its own.
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    chromiumSandbox: false,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync"],
  });
}

/** A fresh tab (fresh sessionStorage) at `url`, with dialogs recorded. */
export async function openPage(browser, url, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  page.dialogs = [];
  page.on("dialog", async (dialog) => {
    page.dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  await page.goto(url);
  return { context, page };
}

export function launcher(page) {
  return page.getByRole("button", { name: `Open chat with ${CLINIC_NAME}` });
}

export function botMessage(page, fragment) {
  return page.locator(".cc-bot", { hasText: fragment }).last();
}

export async function waitForBot(page, fragment) {
  await botMessage(page, fragment).waitFor({ timeout: ANSWER_TIMEOUT });
}

export async function openWidget(page) {
  await launcher(page).click();
  await waitForBot(page, "virtual assistant of");
}

export async function send(page, text, expectedFragment) {
  const before = await page.locator(".cc-bot").count();
  await page.getByLabel("Your message").fill(text);
  await page.getByRole("button", { name: "Send" }).click();
  await page.waitForFunction((n) => document.querySelectorAll(".cc-bot").length > n, before,
    { timeout: ANSWER_TIMEOUT });
  if (expectedFragment) await waitForBot(page, expectedFragment);
}

/** Books through the widget up to the confirmation; returns the reference (BK-XXXX-XXXX). */
export async function bookInWidget(page, name, phone, wantedDetails) {
  await send(page, "I'd like to book a consultation", "What is your full name?");
  await send(page, name, "best phone number or e-mail");
  await send(page, phone, "When would you like to come in?");
  await send(page, "next tuesday afternoon", "What would you like help with?");
  await page.getByRole("button", { name: "Depression" }).click();
  await waitForBot(page, "Which health insurance");
  await send(page, "Aetna", "May Demo Ketamine Clinic");
  await page.getByRole("button", { name: "Yes" }).click();
  await waitForBot(page, "Here is your booking request");
  const summary = await botMessage(page, "Here is your booking request").innerText();
  for (const detail of wantedDetails) {
    if (!summary.includes(detail)) throw new Error(`summary lacks ${detail}: ${summary}`);
  }
  await page.getByRole("button", { name: "Confirm" }).click();
  await waitForBot(page, "your request is saved");
  const confirmation = await botMessage(page, "your request is saved").innerText();
  const reference = confirmation.match(/\bBK-[A-Z0-9]{4}-[A-Z0-9]{4}\b/);
  if (!reference) throw new Error(`no reference in: ${confirmation}`);
  return reference[0];
}

/** axe-core's WCAG 2.1 A/AA and best-practice checks of `selector`, written to ARTIFACTS/`file`;
 * returns the serious and critical violations. (A page under a strict Content-Security-Policy
 * needs a context with bypassCSP, or the injected script is refused.) */
export async function axeCheck(page, selector, file) {
  await page.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
  const results = await page.evaluate((target) => window.axe.run(target, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
  }), selector);
  const summary = {
    axeVersion: results.testEngine.version,
    passes: results.passes.length,
    // "Needs review" results that axe cannot decide alone (such as contrast over a gradient).
    incomplete: results.incomplete.map((r) => ({ id: r.id, nodes: r.nodes.map((n) => n.target.join(" ")),
      why: r.nodes.map((n) => (n.any[0] || {}).message) })),
    violations: results.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help })),
  };
  writeFileSync(join(ARTIFACTS, file), JSON.stringify(summary, null, 2));
  return summary.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}
