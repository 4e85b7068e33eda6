// Checks the running demo in a real headless Chromium: two tabs join the same room, one
// through Caddy's basic_auth + pluv_token and one through the token app; each types in the
// shared text, sends a chat message or an emoji and moves the mouse, and the other tab must
// see all of it; a third tab joining late must see the text. Screenshots go to /tmp.
//
// Start the demo first (./demo.sh), then: node js/browser-check.mjs
// Env: DEMO_URL (default http://localhost:8080), CHROMIUM (default /usr/bin/chromium),
// SHOTS (screenshot directory, default /tmp).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { chromium } from "playwright-core";

const BASE = process.env.DEMO_URL ?? "http://localhost:8080";
const SHOTS = process.env.SHOTS ?? "/tmp";
const ROOM = `check-${Date.now().toString(36)}`;
const WAIT = { timeout: 15_000 };

const profile = mkdtempSync(join(tmpdir(), "pluv-browser-check-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  viewport: { width: 1200, height: 800 },
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

const problems = [];
const passed = [];

/** Runs one named check; a failure is recorded and the run goes on where it can. */
async function check(name, fn) {
  try {
    await fn();
    passed.push(name);
    console.log(`ok   ${name}`);
  } catch (err) {
    problems.push(`${name}: ${err.message.split("\n")[0]}`);
    console.log(`FAIL ${name}: ${err.message.split("\n")[0]}`);
  }
}

/** Opens a tab and joins ROOM by one of the two token paths. */
async function openTab(label, join) {
  const page = await context.newPage();
  page.on("pageerror", (err) => problems.push(`${label}: page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`${label}: console error: ${msg.text()}`);
  });
  await page.goto(`${BASE}/?room=${ROOM}`);
  await join(page);
  await page.click("#join button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#state").textContent === "open", WAIT);
  await page.waitForFunction(() => !document.querySelector("#text").disabled, WAIT);
  return page;
}

const viaCaddy = (user, password) => async (page) => {
  await page.check("input[name=path][value=caddy]");
  await page.fill("input[name=username]", user);
  await page.fill("input[name=password]", password);
};

const viaTokenApp = (name) => async (page) => {
  await page.check("input[name=path][value=tokenapp]");
  await page.fill("input[name=name]", name);
};

const textOf = (page) => page.$eval("#text", (el) => el.value);

/** Waits until an element matching selector has text containing every one of parts. */
function waitForText(page, selector, ...parts) {
  const has = ([sel, want]) =>
    [...document.querySelectorAll(sel)].some((el) => {
      const text = el.tagName === "TEXTAREA" ? el.value : el.textContent;
      return want.every((w) => text.includes(w));
    });
  return page.waitForFunction(has, [selector, parts], WAIT);
}

let alice;
let carol;
try {
  await check("alice joins through basic_auth + pluv_token", async () => {
    alice = await openTab("alice", viaCaddy("alice", "alice-demo"));
  });
  await check("Carol joins through the token app", async () => {
    carol = await openTab("carol", viaTokenApp("Carol"));
  });
  if (!alice || !carol) throw new Error("a tab could not join");

  await check("each sees the other in 'who is here'", async () => {
    await waitForText(alice, "#people li", "Carol");
    await waitForText(carol, "#people li", "alice");
  });

  await check("text typed by alice reaches Carol", async () => {
    await alice.click("#text");
    await alice.keyboard.type("Hello from alice. ");
    await waitForText(carol, "#text", "Hello from alice. ");
  });

  await check("text typed by Carol reaches alice, and both agree", async () => {
    await carol.click("#text");
    await carol.keyboard.press("End");
    await carol.keyboard.type("Carol was here ✓");
    await waitForText(alice, "#text", "Carol was here ✓");
    const [a, c] = [await textOf(alice), await textOf(carol)];
    if (a !== c) throw new Error(`texts differ: ${JSON.stringify(a)} vs ${JSON.stringify(c)}`);
  });

  await check("chat message from alice reaches Carol", async () => {
    await alice.fill("#send input[name=message]", "hi Carol, this is the chat");
    await alice.press("#send input[name=message]", "Enter");
    await waitForText(carol, "#chat li", "alice", "hi Carol, this is the chat");
  });

  await check("emoji from Carol reaches alice", async () => {
    await carol.click("#emoji button:has-text('🎉')");
    await waitForText(alice, "#chat li.emoji", "Carol", "🎉");
  });

  await check("alice's mouse shows as a cursor on Carol's tab", async () => {
    const box = await alice.locator("#stage").boundingBox();
    await alice.mouse.move(box.x + 300, box.y + 200);
    await alice.mouse.move(box.x + 340, box.y + 260, { steps: 5 });
    await carol.waitForFunction(
      () => {
        const el = document.querySelector(".cursor[data-user='alice']");
        return el && el.textContent === "alice" && el.style.transform.includes("340px");
      },
      null,
      WAIT,
    );
  });

  await check("screenshots", async () => {
    await alice.screenshot({ path: join(SHOTS, "pluv-demo-alice.png") });
    await carol.screenshot({ path: join(SHOTS, "pluv-demo-carol.png") });
  });

  await check("bob joining late sees the same text", async () => {
    const bob = await openTab("bob", viaCaddy("bob", "bob-demo"));
    const want = await textOf(alice);
    const same = (w) => document.querySelector("#text").value === w;
    await bob.waitForFunction(same, want, WAIT);
    await bob.screenshot({ path: join(SHOTS, "pluv-demo-bob.png") });
  });

  await check("a wrong password is refused", async () => {
    const page = await context.newPage();
    await page.goto(`${BASE}/?room=${ROOM}`);
    await viaCaddy("alice", "wrong")(page);
    await page.click("#join button[type=submit]");
    await waitForText(page, "#state", "token refused");
    await page.close();
  });
} catch (err) {
  problems.push(err.message);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}

// The refused login logs a 401 in the console by design; it is not a problem.
const real = problems.filter((p) => !/401 \(Unauthorized\)/.test(p));
console.log(`\n${passed.length} passed, ${real.length} failed`);
for (const p of real) console.log(`  - ${p}`);
console.log(`screenshots: ${SHOTS}/pluv-demo-{alice,carol,bob}.png (room ${ROOM})`);
process.exit(real.length ? 1 : 0);
