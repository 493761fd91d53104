// The crisis answer in the widget of a clinic in the United Kingdom: every line is a tappable
// tel: or sms: link, and no US number is shown. Run by tests/e2e/test_clinic_country.py, which
// starts the servers with a GB profile and passes DEMO_URL, CLINIC_NAME and CRISIS_MESSAGE.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { botMessage, launchChromium, openPage, openWidget, send } from "./support.mjs";

const DEMO_URL = process.env.DEMO_URL;
assert.ok(DEMO_URL, "DEMO_URL must point at the demo page (run through make test)");

let browser;

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

test("a crisis message gets the UK lines as links, and the footer names 999", async () => {
  const { context, page } = await openPage(browser, DEMO_URL);
  await openWidget(page);
  await send(page, process.env.CRISIS_MESSAGE, "Samaritans");
  const answer = botMessage(page, "Samaritans");
  const links = await answer.locator("a")
    .evaluateAll((anchors) => anchors.map((a) => [a.textContent, a.getAttribute("href")]));
  // The emergency number comes first, then the helplines in the profile country's order.
  assert.deepEqual(links, [["999", "tel:999"], ["116 123", "tel:116123"], ["85258", "sms:85258?body=SHOUT"]]);
  const everything = await page.locator(".cc-panel").innerText();
  for (const usNumber of ["988", "911", "741741"]) assert.ok(!everything.includes(usNumber), usNumber);
  assert.match(await page.locator(".cc-note").innerText(), /In an emergency call 999, or call Samaritans/);
  // The welcome, given before any link was known, names 999 as a link too.
  assert.equal(await botMessage(page, "virtual assistant of").locator("a[href='tel:999']").count(), 1);
  await context.close();
});
