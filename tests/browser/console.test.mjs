// The staff console in a real browser, as front-desk staff use it: a patient books in the chat
// widget, then staff log in, find the request, note a call nobody answered, give the request to a
// colleague, change its status, read the conversation, label a message the assistant did not
// understand, watch a new booking arrive, keep the requests in view under 30 crisis flags, and log
// out. Run by tests/e2e/test_staff_console_browser.py, which starts every server and passes
// DEMO_URL, CONSOLE_URL, STAFF_EMAIL, STAFF_PASSWORD, OWNER_EMAIL (a second account), PYTHON and
// OUTBOX_DB_URL (to raise crisis flags through the outbox, as the assistant does).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ARTIFACTS, axeCheck, bookInWidget, launchChromium, openPage, openWidget, send } from "./support.mjs";

const { DEMO_URL, CONSOLE_URL, STAFF_EMAIL, STAFF_PASSWORD, OWNER_EMAIL, PYTHON, OUTBOX_DB_URL } = process.env;
assert.ok(DEMO_URL && CONSOLE_URL && STAFF_EMAIL && STAFF_PASSWORD && OWNER_EMAIL && PYTHON && OUTBOX_DB_URL,
  "run through make test");
// A time as the console shows it, the clinic's zone named: "Mon 7 Dec 2026, 10:49 EST".
const LOCAL_TIME = /\b\w{3} \d{1,2} \w{3} \d{4}, \d\d:\d\d [A-Z][A-Za-z0-9+-]{1,5}\b/;
const NOTE = "Rang at 10, no answer; will try after lunch.";
mkdirSync(ARTIFACTS, { recursive: true });
const NOT_UNDERSTOOD = "qwzx blorft vintage wibble";

let browser;
let staff; // one staff member's tab, kept across the steps as a person would
let reference;

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

/** Checks the staff tab's current page with axe-core and saves a screenshot of it. */
async function checkPage(name) {
  await staff.page.screenshot({ path: join(ARTIFACTS, `console-${name}.png`), fullPage: true });
  const severe = await axeCheck(staff.page, "html", `console-${name}-axe.json`);
  assert.deepEqual(severe, [], JSON.stringify(severe, null, 2));
}

test("a patient books in the widget and asks something the assistant does not understand", async () => {
  const { context, page } = await openPage(browser, DEMO_URL);
  await openWidget(page);
  reference = await bookInWidget(page, "Bea Console", "202-555-0164", ["Bea Console", "(202) 555-0164"]);
  await send(page, NOT_UNDERSTOOD);
  await context.close();
});

test("staff log in and find the request in the inbox", async () => {
  // The console's Content-Security-Policy forbids injected scripts: axe needs bypassCSP.
  staff = await openPage(browser, `${CONSOLE_URL}/requests`, { bypassCSP: true });
  const { page } = staff;
  assert.match(page.url(), /\/login\?next=/, "without a session the console asks to log in");
  await checkPage("login");
  await page.getByLabel("E-mail").fill(STAFF_EMAIL);
  await page.getByLabel("Password").fill(STAFF_PASSWORD);
  await Promise.all([page.waitForURL(/\/requests$/), page.getByRole("button", { name: "Log in" }).click()]);
  await page.getByRole("link", { name: reference }).waitFor();
  await checkPage("inbox");
});

test("staff find the request by the patient's name and by the last digits of the phone", async () => {
  const { page } = staff;
  // A filtered list, which never reloads itself under the receptionist's typing.
  await page.goto(`${CONSOLE_URL}/requests?kind=booking`);
  const row = page.locator("tr", { has: page.getByRole("link", { name: reference }) });
  // The list shows who to reach and how: the name, and the phone as written here, as a link to call.
  assert.match(await row.innerText(), /Bea Console/);
  assert.equal(await row.getByRole("link", { name: "(202) 555-0164" }).getAttribute("href"), "tel:+12025550164");
  for (const search of ["bea console", "0164"]) {
    await page.getByLabel("Search").fill(search);
    await Promise.all([page.waitForURL(/q=/), page.getByRole("button", { name: "Filter" }).click()]);
    const found = page.locator("tr", { has: page.getByRole("link", { name: reference }) });
    await found.waitFor();
    // Who, how to reach them, when they would like to come, and when they asked, in the clinic's time.
    const text = await found.innerText();
    assert.match(text, /Bea Console/);
    assert.match(text, /next tuesday afternoon/);
    assert.match(text, LOCAL_TIME);
    assert.equal(await found.getByRole("link", { name: "(202) 555-0164" }).getAttribute("href"), "tel:+12025550164");
  }
});

test("staff note a call nobody answered, count the attempts and give the request to a colleague", async () => {
  const { page } = staff;
  await page.getByRole("link", { name: reference }).click();
  await page.getByRole("heading", { name: `Request ${reference}` }).waitFor();
  for (const attempt of [1, 2]) {
    await page.getByLabel("New status").selectOption("tried, no answer");
    await Promise.all([page.waitForURL(/saved=status/), page.getByRole("button", { name: "Save status" }).click()]);
    assert.match(await page.locator("main").innerText(), new RegExp(`status tried, no answer \\(${attempt}\\)`));
  }
  await page.getByLabel("Note", { exact: true }).fill(NOTE);
  await Promise.all([page.waitForURL(/saved=note/), page.getByRole("button", { name: "Add note" }).click()]);
  assert.match(await page.getByRole("status").innerText(), /Note added/);
  const note = page.locator("tr", { hasText: NOTE });
  assert.match(await note.innerText(), new RegExp(STAFF_EMAIL.replace(".", "\\.")));
  assert.match(await note.innerText(), LOCAL_TIME);
  await page.getByLabel("Assigned to").selectOption(OWNER_EMAIL);
  await Promise.all([page.waitForURL(/saved=owner/), page.getByRole("button", { name: "Save owner" }).click()]);
  assert.match(await page.locator("main").innerText(), new RegExp(`assigned to ${OWNER_EMAIL.replace(".", "\\.")}`));
  await checkPage("request-notes");
  // The list shows who has it and how often the desk tried.
  await page.goto(`${CONSOLE_URL}/requests?q=${encodeURIComponent(reference)}`);
  const row = page.locator("tr", { has: page.getByRole("link", { name: reference }) });
  assert.match(await row.innerText(), /tried, no answer \(2\)/);
  assert.ok((await row.innerText()).includes(OWNER_EMAIL), await row.innerText());
});

test("staff change the request's status", async () => {
  const { page } = staff;
  await page.getByLabel("Search").fill(reference);
  await Promise.all([page.waitForURL(/q=/), page.getByRole("button", { name: "Filter" }).click()]);
  await page.getByRole("link", { name: reference }).click();
  await page.getByRole("heading", { name: `Request ${reference}` }).waitFor();
  assert.match(await page.locator("main").innerText(), /Bea Console/);
  await page.getByLabel("New status").selectOption("contacted");
  await Promise.all([page.waitForURL(/saved=status/), page.getByRole("button", { name: "Save status" }).click()]);
  assert.match(await page.getByRole("status").innerText(), /Status saved/);
  const history = await page.locator("table").last().innerText();
  assert.match(history, new RegExp(`contacted\\s+${STAFF_EMAIL.replace(".", "\\.")}`));
  await checkPage("request");
});

test("staff read the conversation behind the request", async () => {
  const { page } = staff;
  await page.getByRole("link", { name: "Read the conversation" }).click();
  await page.getByRole("heading", { name: /^Conversation / }).waitFor();
  const transcript = await page.locator("main").innerText();
  for (const line of ["I'd like to book a consultation", "Bea Console", "What is your full name?", NOT_UNDERSTOOD]) {
    assert.ok(transcript.includes(line), `transcript lacks ${line}`);
  }
  await checkPage("transcript");
  await page.getByRole("link", { name: "Show details" }).click();
  await page.getByRole("link", { name: "Hide details" }).waitFor();
  await checkPage("transcript-details");
});

test("staff label a message the assistant did not understand", async () => {
  const { page } = staff;
  await page.getByRole("link", { name: "Review" }).click();
  const item = page.locator("li", { hasText: NOT_UNDERSTOOD });
  await item.waitFor();
  await checkPage("review");
  // The choices are what a message is about, in plain words; the intent's name stays behind them.
  const titles = await item.getByLabel("Belongs to").locator("option").allInnerTexts();
  assert.ok(titles.includes("Is this a bot?") && titles.includes("A personal medical question"), titles.join(" | "));
  assert.deepEqual(titles.filter((title) => /_|\//.test(title)), []);
  assert.doesNotMatch(await page.locator("main").innerText(), /labelled\.yml|data\/nlu/);
  await item.getByLabel("Belongs to").selectOption("out_of_scope");
  await Promise.all([
    page.waitForURL(/labelled=out_of_scope/),
    item.getByRole("button", { name: "Save label" }).click(),
  ]);
  assert.match(await page.getByRole("status").innerText(), /Saved as “Not about the clinic”/);
  assert.equal(await page.locator("li", { hasText: NOT_UNDERSTOOD }).count(), 0, "a labelled message leaves the queue");
});

test("the figures at a glance are charts with their numbers beside them", async () => {
  const { page } = staff;
  await page.getByRole("link", { name: "At a glance" }).click();
  await page.getByRole("heading", { name: "At a glance" }).waitFor();
  assert.equal(await page.locator("figure svg").count(), 5);
  assert.match(await page.locator("figure", { hasText: "Booking funnel" }).innerText(), /booking confirmed\s+[1-9]/);
  assert.match(await page.locator("figure", { hasText: "Requests per day" }).innerText(), /\d{4}-\d\d-\d\d\s+[1-9]/);
  assert.match(await page.locator("main").innerText(), /Median time from a request to its first contact: \d/);
  // Every label and value is drawn whole inside its chart, the funnel's last label included.
  const clipped = await page.evaluate(() => [...document.querySelectorAll("figure svg")].flatMap((svg) => {
    const width = svg.viewBox.baseVal.width;
    return [...svg.querySelectorAll("text")].filter((text) => {
      const box = text.getBBox();
      return box.x < 0 || box.x + box.width > width;
    }).map((text) => text.textContent);
  }));
  assert.deepEqual(clipped, []);
  assert.equal(await page.locator("svg text", { hasText: "clinic told (webhook or e-mail)" }).count(), 1);
  await checkPage("glance");
});

test("a booking made while the inbox is open appears, and the tab's title counts it", async () => {
  const { page } = staff;
  await page.goto(`${CONSOLE_URL}/requests`);
  const waiting = Number((await page.title()).match(/^\((\d+)\) /)?.[1] ?? 0);
  const patient = await openPage(browser, DEMO_URL);
  await openWidget(patient.page);
  const second = await bookInWidget(patient.page, "Cal Refresh", "202-555-0175", ["Cal Refresh", "(202) 555-0175"]);
  await patient.context.close();
  // No reload by the test: the inbox reloads itself.
  await page.getByRole("link", { name: second }).waitFor({ timeout: 20000 });
  assert.match(await page.title(), new RegExp(`^\\(${waiting + 1}\\) Requests`));
  const row = page.locator("tr", { has: page.getByRole("link", { name: second }) });
  assert.match(await row.innerText(), /Cal Refresh/);
  assert.equal(await row.getByRole("link", { name: "(202) 555-0175" }).getAttribute("href"), "tel:+12025550175");
});

test("with 30 crisis flags open, the requests are still in view", async () => {
  const { page } = staff;
  // Raised through the outbox, as the assistant raises them.
  execFileSync(PYTHON, ["-c", "from clinic.outbox import Outbox\nfor n in range(30):\n"
    + "    Outbox().flag(f'console-30-flags-{n}', 'socketio', 'crisis', 'browser test')"],
  { env: { ...process.env, OUTBOX_DB_URL } });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${CONSOLE_URL}/requests`);
  const heading = await page.locator("#crisis-heading").innerText();
  assert.ok(Number(heading.match(/^(\d+) crisis flag/)?.[1]) >= 30, heading);
  await page.screenshot({ path: join(ARTIFACTS, "console-30-flags.png") });
  const table = await page.locator("#inbox table").boundingBox();
  const firstRow = await page.locator("#inbox table tbody tr").first().boundingBox();
  assert.ok(table && table.y >= 0 && table.y < 800, `the requests table starts at ${table?.y}px`);
  assert.ok(firstRow && firstRow.y < 800, `the first request starts at ${firstRow?.y}px`);
  const severe = await axeCheck(page, "html", "console-30-flags-axe.json");
  assert.deepEqual(severe, [], JSON.stringify(severe, null, 2));
});

test("the list of flags, a flag's page and the audit log pass axe too", async () => {
  const { page } = staff;
  await page.goto(`${CONSOLE_URL}/flags`);
  await checkPage("flags");
  await page.getByRole("link", { name: /^Crisis flag \d+$/ }).first().click();
  await page.getByRole("heading", { name: /^Crisis flag / }).waitFor();
  await checkPage("flag");
  await page.goto(`${CONSOLE_URL}/audit`);
  await checkPage("audit");
});

test("staff log out, and the console asks to log in again", async () => {
  const { page, context } = staff;
  await Promise.all([page.waitForURL(/\/login$/), page.getByRole("button", { name: "Log out" }).click()]);
  await page.goto(`${CONSOLE_URL}/requests`);
  assert.match(page.url(), /\/login\?next=/);
  assert.equal((await context.cookies()).filter((c) => c.name === "staff_session").length, 0);
  writeFileSync(join(ARTIFACTS, "console-booking.json"), JSON.stringify({ reference, notUnderstood: NOT_UNDERSTOOD }));
  await context.close();
});
