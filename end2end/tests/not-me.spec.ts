import { type Browser, expect, type Page, test } from "@playwright/test";
import { password, receivedCode, receivedCount, signInWithApp } from "./fixtures";
import { totp } from "./totp";

// "This was not me" (issue 13): someone who knows the password and can read the recovery
// mailbox gets an emergency access code, signs in with it and adds an authenticator app of
// their own. The owner follows the link in the notice (or calls the help desk, whose operator
// undoes it from the console): the code is cancelled, the app added since is removed, everyone
// is signed out and the account is locked. Accounts from start-server.sh: notme-js-<project>,
// notme-nojs-<project>, undo-target-desktop and op-undo-desktop.

const deliveryPort = Number(process.env.E2E_DELIVERY_PORT ?? Number(process.env.E2E_PORT ?? 3100) + 2);

/** The texts of every email `address` received so far, oldest first. */
async function mailsTo(address: string): Promise<string[]> {
  const res = await fetch(`http://127.0.0.1:${deliveryPort}/mail`);
  const mails = (await res.json()) as Array<{ to: string[]; text: string }>;
  return mails.filter((m) => m.to.includes(address)).map((m) => String(m.text));
}

/** The "this was not me" link (its path) of the newest notice to `address` that has one. */
async function cancelLink(address: string): Promise<string> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const links = (await mailsTo(address))
      .map((text) => text.match(/\/emergency\/cancel\?t=[A-Za-z0-9_-]+/)?.[0])
      .filter((link): link is string => !!link);
    if (links.length > 0) return links[links.length - 1];
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no "this was not me" link arrived for ${address}`);
}

/** Waits until `address` received an email containing `text`. */
async function expectMail(address: string, text: string) {
  await expect.poll(async () => (await mailsTo(address)).some((m) => m.includes(text)), { timeout: 15_000 }).toBe(true);
}

/** Another browser of the project's kind (the owner's own device, or the help desk's). */
async function newPage(browser: Browser, javaScriptEnabled: boolean): Promise<Page> {
  const use = test.info().project.use;
  const context = await browser.newContext({
    baseURL: use.baseURL,
    viewport: use.viewport,
    isMobile: use.isMobile,
    hasTouch: use.hasTouch,
    userAgent: use.userAgent,
    javaScriptEnabled,
  });
  return context.newPage();
}

/**
 * In `page`: the Emergency Access wizard for `username` (the proof code read from the recovery
 * mailbox), sign-in with the code it shows, and a new authenticator app added in the restricted
 * session ("Attacker phone"). Ends on the token list of the restricted session.
 */
async function emergencySessionAddsAnApp(page: Page, username: string) {
  // This browser signed in fully before, so the account remembers it and the code works at
  // once (a code asked for from an unknown browser may have to wait).
  await signInWithApp(page, username);
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);

  const address = `${username}@example.org`;
  const before = await receivedCount(address);
  await page.getByRole("link", { name: "Lost your phone? Use Emergency Access" }).click();
  await expect(page).toHaveURL(/\/emergency$/);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(/\/emergency\/prove$/);
  await page.getByLabel("Confirmation code from the email").fill(await receivedCode(address, before));
  await page.getByRole("button", { name: "Confirm" }).click();
  await expect(page).toHaveURL(/\/emergency\/reason$/);
  await page.getByLabel("I lost my phone (or it broke)").check();
  await page.getByRole("button", { name: "Get my emergency access code" }).click();
  await expect(page).toHaveURL(/\/emergency\/code$/);
  const code = ((await page.getByLabel("Your emergency access code").textContent()) ?? "").trim();
  expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);

  await page.goto("/login");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(/\/login\/verify$/);
  await page.getByLabel("Emergency access code").fill(code);
  await page.getByRole("button", { name: "Sign in with the emergency code" }).click();
  await expect(page).toHaveURL(/\/tokens$/);
  await expect(page.getByRole("complementary", { name: /Emergency access: 2 uses left/ })).toBeVisible();

  const add = page.getByRole("region", { name: "Add an authenticator app" });
  await add.getByLabel("Phone it is on").fill("Attacker phone");
  await add.getByRole("button", { name: "Set up a new app" }).click();
  const key = (await add.getByLabel("Setup key").textContent())?.replace(/\s+/g, "") ?? "";
  expect(key).toMatch(/^[A-Z2-7]{32}$/);
  await add.getByLabel("6-digit code the app shows now").fill(totp(key));
  await add.getByRole("button", { name: "Finish" }).click();
  await expect(page.getByRole("list", { name: "Tokens on Attacker phone" }).getByRole("listitem")).toHaveCount(1);
}

/** The restricted session in `page` is over, and the password alone signs in no more. */
async function expectSignedOutAndLocked(page: Page, username: string) {
  const api = await page.request.post("/api/my_tokens", { headers: { Accept: "application/json" } });
  expect(api.status()).toBe(401);
  await page.goto("/tokens");
  await expect(page).toHaveURL(/\/login$/);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByRole("alert")).toContainText("Wrong username or password.");
  // Still the first step (without JavaScript the address carries the error).
  await expect(page).toHaveURL(/\/login(\?.*)?$/);
}

for (const javaScriptEnabled of [true, false]) {
  test.describe(`JavaScript ${javaScriptEnabled ? "on" : "off"}`, () => {
    test.use({ javaScriptEnabled });

    test(`this was not me: the link undoes the emergency session's new app and locks the account (JavaScript ${javaScriptEnabled ? "on" : "off"})`, async ({ page, browser }, info) => {
      const username = `notme-${javaScriptEnabled ? "js" : "nojs"}-${info.project.name}`;
      const address = `${username}@example.org`;
      await emergencySessionAddsAnApp(page, username);

      // The owner opens the link from the notice, on their own device.
      const owner = await newPage(browser, javaScriptEnabled);
      await owner.goto(await cancelLink(address));
      const card = owner.getByRole("region", { name: "This was not me" });
      await expect(card.getByRole("heading", { name: "This was not me" })).toBeVisible();
      await card.getByRole("button", { name: "Stop it and lock my account" }).click();
      await expect(owner).toHaveURL(/\/emergency\/cancel\?done=undone$/);
      await expect(card.getByRole("status")).toContainText("Every emergency access code is cancelled");
      await expect(card).toContainText("Your account is now locked");
      await expectMail(address, "As you asked, we stopped the emergency access");

      // The link works once.
      await owner.goto(await cancelLink(address));
      await card.getByRole("button", { name: "Stop it and lock my account" }).click();
      await expect(card.getByRole("alert")).toContainText("This link was already used");
      await owner.context().close();

      // The restricted session is over and the password alone is refused.
      await expectSignedOutAndLocked(page, username);
    });
  });
}

/** Opens the group named `name` (a `<details>` disclosure) if it is closed. */
async function open(page: Page, name: string) {
  const group = page.getByRole("group", { name });
  if (!(await group.evaluate((e) => (e as HTMLDetailsElement).open))) await group.click();
}

/** The console's "Undo emergency access and lock" with `reason`, on the user page shown. */
async function undo(page: Page, reason: string) {
  await open(page, "Undo emergency access and lock");
  const form = page.getByRole("form", { name: "Undo emergency access and lock" });
  await form.getByLabel("Reason (required, the user is told)").fill(reason);
  await form.getByRole("button", { name: "Undo emergency access and lock now" }).click();
}

test("an operator undoes emergency access from the console and the account is locked", async ({ page, browser }, info) => {
  test.skip(info.project.name !== "desktop", "the console's undo is checked on the desktop");
  const target = "undo-target-desktop";
  const desk = await newPage(browser, true);
  await signInWithApp(desk, "op-undo-desktop");
  await desk.goto("/admin");
  await desk.getByLabel("Username, name, email or phone number").fill(target);
  await desk.getByRole("button", { name: "Search" }).click();
  await desk.getByRole("table", { name: "Results" }).getByRole("link", { name: target }).click();
  await expect(desk.getByRole("heading", { level: 1 })).toContainText(`(${target})`);
  const userPage = desk.url();

  // Without a code in the last 7 days there is nothing to undo, and the console says so.
  await undo(desk, "the user called about a notice");
  await expect(desk.getByRole("alert")).toContainText("no emergency access code in the last 7 days");
  const profile = desk.getByRole("region", { name: "Profile" });
  await expect(profile.getByRole("definition").filter({ hasText: /^active$/ })).toBeVisible();

  // Someone with the password gets a code and adds their own app.
  await emergencySessionAddsAnApp(page, target);

  // The user calls: it was not them. The operator undoes it, with a reason.
  await desk.goto(userPage);
  await undo(desk, "the user did not ask for the code");
  await expect(desk).toHaveURL(/done=undone$/);
  await expect(desk.getByRole("status")).toContainText("Emergency access was undone");
  await expect(profile.getByRole("definition").filter({ hasText: /^locked$/ })).toBeVisible();
  const tokens = desk.getByRole("region", { name: "Tokens" });
  await expect(tokens.getByRole("row", { name: /Attacker phone/ }).getByRole("cell", { name: /^removed / })).toBeVisible();
  await expect(tokens.getByRole("row", { name: /Pixel 7/ }).getByRole("cell", { name: /^removed / })).toHaveCount(0);
  const codes = desk.getByRole("region", { name: "Emergency access codes" });
  await expect(codes.getByRole("cell", { name: "revoked (not_me)" })).toBeVisible();
  const events = desk.getByRole("region", { name: "Recent events" });
  await expect(events.getByRole("row", { name: /account\.locked/ }).getByRole("cell", { name: "op-undo-desktop" })).toBeVisible();
  await expectMail(`${target}@example.org`, "Your help desk has stopped the emergency access");

  await expectSignedOutAndLocked(page, target);
  await desk.context().close();
});
