// The chat widget in a real browser (Debian's Chromium driven by playwright-core) against the
// real Rasa and action servers. Run by tests/e2e/test_widget_browser.py, which starts the servers
// and the demo page and passes their addresses in DEMO_URL and ARTIFACTS_DIR.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  ANSWER_TIMEOUT, ARTIFACTS, CLINIC_NAME, axeCheck, bookInWidget, botMessage, launchChromium, launcher,
  openPage as openDemoPage, openWidget, send, waitForBot,
} from "./support.mjs";

const DEMO_URL = process.env.DEMO_URL;
assert.ok(DEMO_URL, "DEMO_URL must point at the demo page (run through make test)");
// The first words of answers, read from the domain by the Python side, so rewording one breaks nothing.
const ANSWERS = JSON.parse(process.env.ANSWER_OPENINGS ?? "{}");
const WHAT_IS = ANSWERS.utter_ask_what_is_ketamine;
const SAFE = ANSWERS.utter_ask_safety;
assert.ok(WHAT_IS && SAFE, "ANSWER_OPENINGS must give the answers' first words (run through make test)");
mkdirSync(ARTIFACTS, { recursive: true });

let browser;

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

function openPage(options = {}) {
  return openDemoPage(browser, DEMO_URL, options);
}

async function logText(page) {
  return page.getByRole("log").innerText();
}

test("the page shows the launcher; opening the widget shows the clinic's welcome and focuses the input", async () => {
  const { context, page } = await openPage();
  await launcher(page).waitFor({ timeout: ANSWER_TIMEOUT });
  assert.equal(await launcher(page).getAttribute("aria-expanded"), "false");
  await openWidget(page);
  const dialog = page.getByRole("dialog", { name: CLINIC_NAME });
  assert.ok(await dialog.isVisible());
  assert.equal(await page.evaluate(() => document.activeElement.id), "cc-input");
  assert.match(await logText(page), /virtual assistant of Demo Ketamine Clinic/);
  // The opening greeting is answered by the welcome alone.
  assert.equal(await page.locator(".cc-bot").count(), 1);
  // Colours come from the clinic profile.
  const header = await page.locator(".cc-header").evaluate((node) => getComputedStyle(node).backgroundColor);
  assert.equal(header, "rgb(11, 93, 102)");
  await context.close();
});

test("an FAQ gets its answer", async () => {
  const { context, page } = await openPage();
  await openWidget(page);
  await send(page, "how long does an infusion take?", "40 to 90 minutes");
  assert.ok(page.dialogs.length === 0);
  await context.close();
});

test("a quick reply sends its payload and shows its title", async () => {
  const { context, page } = await openPage();
  await openWidget(page);
  await page.getByRole("group", { name: "Suggested replies" })
    .getByRole("button", { name: "What is ketamine therapy?" }).click();
  await waitForBot(page, WHAT_IS);
  const userBubbles = await page.locator(".cc-user p").allInnerTexts();
  assert.deepEqual(userBubbles, ["What is ketamine therapy?"]);
  // Quick replies of answered messages are gone; the new answer brings its own.
  assert.equal(await page.getByRole("group", { name: "Suggested replies" }).count(), 1);
  await context.close();
});

test("a booking goes through to its confirmation with a reference number", async () => {
  const { context, page } = await openPage();
  await openWidget(page);
  const reference = await bookInWidget(page, "Ann Browser", "202-555-0187",
    ["Ann Browser", "(202) 555-0187", "Tuesday", "depression", "Aetna"]);
  // The clinic's phone number in the confirmation is a tel: link.
  assert.equal(await botMessage(page, "your request is saved").locator("a[href^='tel:']").first().getAttribute("href"),
    "tel:+12025550123");
  writeFileSync(join(ARTIFACTS, "widget-booking.json"), JSON.stringify({ reference }));
  await context.close();
});

test("the input fits each question of a form, and older answers' buttons go when a form asks", async () => {
  const { context, page } = await openPage();
  await openWidget(page);
  const box = page.getByLabel("Your message");
  const suggested = page.getByRole("group", { name: "Suggested replies" });
  assert.equal(await box.getAttribute("placeholder"), "Type your question");
  await send(page, "I want to book an appointment", "What is your full name?");
  assert.equal(await box.getAttribute("placeholder"), "Your full name");
  assert.equal(await box.getAttribute("autocomplete"), "name");
  await send(page, "Ann Fit", "best phone number or e-mail");
  assert.equal(await box.getAttribute("placeholder"), "Phone number or e-mail address");
  assert.equal(await box.getAttribute("inputmode"), "email");
  // A question at the phone step is answered, then asked again: the answer's buttons do not stay
  // to be pressed while the form waits for a phone number.
  const bots = await page.locator(".cc-bot").count();
  await send(page, "is ketamine therapy safe?", SAFE);
  await page.waitForFunction((n) => [...document.querySelectorAll(".cc-bot")].slice(n)
    .some((m) => m.textContent.includes("best phone number or e-mail")), bots, { timeout: ANSWER_TIMEOUT });
  assert.equal(await suggested.count(), 0);
  assert.equal(await box.getAttribute("data-asks"), "contact");
  await send(page, "202-555-0111", "When would you like to come in?");
  assert.match(await box.getAttribute("placeholder"), /day and time/);
  // Kept over a reload, like the conversation.
  await page.reload();
  await page.getByRole("log").waitFor();
  assert.match(await page.getByLabel("Your message").getAttribute("placeholder"), /day and time/);
  await send(page, "cancel", "saved nothing");
  assert.equal(await page.getByLabel("Your message").getAttribute("placeholder"), "Type your question");
  await context.close();
});

test("a reload keeps the history and the conversation, even in the middle of a form", async () => {
  const { context, page } = await openPage();
  await openWidget(page);
  await send(page, "is ketamine therapy safe?", SAFE);
  await send(page, "I want to book an appointment", "What is your full name?");
  await send(page, "Ann Reload", "best phone number or e-mail");
  await page.reload();
  await page.getByRole("log").waitFor();
  const history = await logText(page);
  const parts = ["is ketamine therapy safe?", SAFE, "Ann Reload", "best phone number or e-mail"];
  for (const part of parts) {
    assert.ok(history.includes(part), `history after reload lacks "${part}"`);
  }
  assert.ok(await page.getByRole("dialog", { name: CLINIC_NAME }).isVisible(), "the open panel stays open");
  // The server still knows the half-filled form: the next answer is the phone number.
  await send(page, "202-555-0110", "When would you like to come in?");
  // History is kept in sessionStorage, never in localStorage.
  assert.equal(await page.evaluate(() => localStorage.length), 0);
  assert.ok(await page.evaluate(() => Object.keys(sessionStorage).some((k) => k.startsWith("clinic-chat:"))));
  await context.close();
});

test("clear conversation starts afresh with a new session", async () => {
  const { context, page } = await openPage();
  await openWidget(page);
  await send(page, "how much does it cost?", "Demo prices");
  const before = await page.evaluate(() => Object.values(sessionStorage).map((v) => JSON.parse(v).sessionId)[0]);
  // Clearing asks first; keeping it changes nothing.
  // The patient is told, once, where the conversation is kept and why.
  const tabOnly = "For your privacy this chat is kept in this browser tab only.";
  assert.ok((await page.locator(".cc-note").innerText()).includes(tabOnly));
  assert.equal(await page.getByText(tabOnly).count(), 1);
  await page.getByRole("button", { name: "Clear conversation" }).click();
  await page.getByRole("button", { name: "Keep it" }).click();
  assert.ok((await logText(page)).includes("Demo prices"), "kept after 'Keep it'");
  await page.getByRole("button", { name: "Clear conversation" }).click();
  await page.getByRole("button", { name: "Clear it" }).click();
  await waitForBot(page, "virtual assistant of");
  const after = await page.evaluate(() => Object.values(sessionStorage).map((v) => JSON.parse(v).sessionId)[0]);
  assert.notEqual(after, before);
  const history = await logText(page);
  assert.ok(!history.includes("Demo prices") && !history.includes("how much does it cost?"));
  await context.close();
});

test("HTML typed by the user is shown as text and never runs", async () => {
  const { context, page } = await openPage();
  await openWidget(page);
  const hostile = "<img src=x onerror=alert(1)>";
  await send(page, hostile);
  // A marker: an image of the same address, loaded after the message was shown. An image made from the
  // message would have failed to load, and run its onerror (a dialog, recorded), by the time this one fails.
  await page.evaluate(() => new Promise((resolve) => {
    const probe = new Image();
    probe.onload = probe.onerror = resolve;
    probe.src = "x";
  }));
  assert.equal(await page.locator(".cc-user p").last().innerText(), hostile);
  assert.equal(await page.locator(".cc-log img").count(), 0);
  assert.deepEqual(page.dialogs, []);
  await context.close();
});

test("bot messages are rendered as text; only http(s), tel: and mailto: become links; images are shown", async () => {
  const { context, page } = await openPage();
  await openWidget(page);
  // Deliver crafted bot messages through the widget's own event handler.
  await page.evaluate(() => {
    const deliver = window.ClinicChat.socket.listeners("bot_uttered")[0];
    deliver({ text: "<b>bold</b> <img src=x onerror=alert(2)> javascript:alert(3) see https://example.org/a?b=1, "
      + "mail hello@example.org or call 988." });
    deliver({ attachment: { type: "image", payload: { src: "https://example.org/picture.png" } } });
    deliver({ attachment: { type: "image", payload: { src: "javascript:alert(4)" } } });
  });
  const message = botMessage(page, "bold");
  assert.ok((await message.innerText()).includes("<b>bold</b> <img src=x onerror=alert(2)>"));
  const hrefs = await message.locator("a").evaluateAll((links) => links.map((a) => a.getAttribute("href")));
  assert.deepEqual(hrefs, ["https://example.org/a?b=1", "mailto:hello@example.org", "tel:988"]);
  const images = await page.locator(".cc-log img").evaluateAll((imgs) => imgs.map((i) => i.getAttribute("src")));
  assert.deepEqual(images, ["https://example.org/picture.png"]);
  assert.deepEqual(page.dialogs, []);
  await context.close();
});

test("keyboard only: open, ask, pick a quick reply, close", async () => {
  const { context, page } = await openPage();
  await launcher(page).waitFor({ timeout: ANSWER_TIMEOUT });
  let focusedLauncher = false;
  for (let i = 0; i < 10 && !focusedLauncher; i += 1) {
    await page.keyboard.press("Tab");
    focusedLauncher = await page.evaluate(() => document.activeElement.classList.contains("cc-launcher"));
  }
  assert.ok(focusedLauncher, "Tab reaches the launcher");
  await page.keyboard.press("Enter");
  await waitForBot(page, "virtual assistant of");
  assert.equal(await page.evaluate(() => document.activeElement.id), "cc-input");
  await page.keyboard.type("what are the side effects?");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelectorAll(".cc-bot").length > 1, null, { timeout: ANSWER_TIMEOUT });
  // Shift+Tab from the input goes back through the log to the latest quick replies.
  let onQuickReply = false;
  for (let i = 0; i < 15 && !onQuickReply; i += 1) {
    await page.keyboard.press("Shift+Tab");
    onQuickReply = await page.evaluate(() => Boolean(document.activeElement.closest(".cc-replies")));
  }
  assert.ok(onQuickReply, "Shift+Tab reaches a quick reply");
  const chosen = await page.evaluate(() => document.activeElement.textContent);
  const botsBefore = await page.locator(".cc-bot").count();
  await page.keyboard.press("Enter");
  await page.waitForFunction((n) => document.querySelectorAll(".cc-bot").length > n, botsBefore,
    { timeout: ANSWER_TIMEOUT });
  assert.equal(await page.locator(".cc-user p").last().innerText(), chosen);
  assert.equal(await page.evaluate(() => document.activeElement.id), "cc-input", "focus returns to the input");
  await page.keyboard.press("Escape");
  assert.ok(await page.getByRole("dialog").isHidden());
  assert.ok(await page.evaluate(() => document.activeElement.classList.contains("cc-launcher")));
  await context.close();
});

test("axe-core finds no serious or critical violations in the open widget", async () => {
  const { context, page } = await openPage();
  await openWidget(page);
  await send(page, "does insurance cover it?", "insurance");
  const severe = await axeCheck(page, ".cc-root", "widget-axe.json");
  assert.deepEqual(severe, [], JSON.stringify(severe, null, 2));
  await context.close();
});

test("screenshots: desktop panel, and full screen on a phone", async () => {
  const desktop = await openPage();
  await openWidget(desktop.page);
  await send(desktop.page, "how soon does it work?", "relief within hours");
  await desktop.page.screenshot({ path: join(ARTIFACTS, "widget-desktop.png"), animations: "disabled" });
  await desktop.context.close();

  const phone = await openPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await openWidget(phone.page);
  await send(phone.page, "is it covered by insurance?", "Not every insurance plan");
  const box = await phone.page.getByRole("dialog").boundingBox();
  assert.deepEqual([box.x, box.y, box.width, box.height], [0, 0, 390, 844], "the panel fills the phone screen");
  await phone.page.screenshot({ path: join(ARTIFACTS, "widget-mobile.png"), animations: "disabled" });
  await phone.context.close();
});

test("offline: a visible notice, the message is kept, and it is sent after reconnecting", async () => {
  const { context, page } = await openPage();
  await openWidget(page);
  await context.setOffline(true);
  await page.evaluate(() => window.ClinicChat.socket.io.engine.close());
  const notice = page.getByRole("status");
  await notice.filter({ hasText: "offline" }).waitFor({ timeout: 10_000 });
  await page.getByLabel("Your message").fill("how long does an infusion take?");
  await page.getByRole("button", { name: "Send" }).click();
  await page.locator(".cc-pending").waitFor();
  await context.setOffline(false);
  await waitForBot(page, "40 to 90 minutes");
  assert.ok(await notice.isHidden(), "the notice goes once the connection is back");
  assert.equal(await page.locator(".cc-pending").count(), 0);
  await context.close();
});

test("on a phone, Clear sits away from Close, asks first, and keeps the booking's reference", async () => {
  const { context, page } = await openPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await openWidget(page);
  const clear = await page.getByRole("button", { name: "Clear conversation" }).boundingBox();
  const close = await page.getByRole("button", { name: "Close chat" }).boundingBox();
  assert.ok(close.x - (clear.x + clear.width) >= 24, `Clear ends ${close.x - (clear.x + clear.width)} px from Close`);
  const reference = await bookInWidget(page, "Pia Phone", "(202) 555-0187", ["Pia Phone", "(202) 555-0187"]);
  await page.getByRole("button", { name: "Clear conversation" }).click();
  assert.ok((await logText(page)).includes(reference), "nothing is cleared before the patient confirms");
  await page.getByRole("button", { name: "Clear it" }).click();
  await waitForBot(page, "virtual assistant of");
  const history = await logText(page);
  assert.ok(history.includes(`your reference ${reference}`), history);
  assert.ok(!history.includes("Here is your booking request"), "the old conversation is gone");
  await page.reload();
  await page.getByRole("log").waitFor();
  assert.ok((await logText(page)).includes(reference), "the kept reference survives a reload");
  await context.close();
});
