import { type Browser, expect, type Page, test } from "@playwright/test";
import { password, signInWithApp } from "./fixtures";
import { totp } from "./totp";

// The operational console (issue 6): a help desk operator signs in with a second factor, finds
// a user who lost every token and has no recovery address, and issues an emergency access code;
// the user signs in with password + code and recovers; the console counts the code's uses.
// Accounts come from start-server.sh: op-<project>, op-self-<project>, op-nojs-<project>,
// console-lost-<project>, console-lock-<project>, console-user-<project>, op-block-<project>,
// console-block-<project>.

/** Password, then the authenticator app's code: a full session. */
const signIn = (page: Page, username: string) => signInWithApp(page, username);

/** Finds `username` with the console's search and opens their page. */
async function openUser(page: Page, username: string) {
  await page.goto("/admin");
  await expect(page.getByRole("link", { name: "Console help" })).toBeVisible();
  await page.getByLabel("Username, name, email or phone number").fill(username.toUpperCase());
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByRole("table", { name: "Results" }).getByRole("link", { name: username }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText(`(${username})`);
}

/** A second browser of the same kind as the project's (the user's own phone or computer). */
async function newPage(browser: Browser): Promise<Page> {
  const use = test.info().project.use;
  const context = await browser.newContext({
    baseURL: use.baseURL,
    viewport: use.viewport,
    isMobile: use.isMobile,
    hasTouch: use.hasTouch,
    userAgent: use.userAgent,
  });
  return context.newPage();
}

test("an operator issues a code to a user who lost everything; the user recovers with it", async ({ page, browser }, info) => {
  const lost = `console-lost-${info.project.name}`;
  await signIn(page, `op-${info.project.name}`);

  // The user has no contact at all: no recovery address, so only the help desk can help.
  await openUser(page, lost);
  await expect(page.getByText("No email address or phone number.")).toBeVisible();
  await expect(page.getByRole("link", { name: "Console help" })).toBeVisible();

  // Issue the code: verification and reason recorded, defaults 3 uses and 8 hours.
  await page.locator("summary", { hasText: "Issue an emergency access code" }).click();
  await expect(page.getByLabel("Uses (1 to 10)")).toHaveValue("3");
  await expect(page.getByLabel("Valid for")).toHaveValue("480");
  await page.getByLabel("How you verified the person's identity (required)").fill("ID card checked at the desk");
  await page.locator("#reason-issue").fill("lost phone with every token");
  await page.getByRole("button", { name: "Issue the code" }).click();
  await expect(page).toHaveURL(/\/admin\/code$/);
  const shown = page.getByLabel("Emergency access code", { exact: true });
  await expect(shown).toHaveText(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
  const code = ((await shown.textContent()) ?? "").trim();
  await expect(page.getByRole("button", { name: "Print" })).toBeVisible();
  expect(page.url()).not.toContain(code);
  // Shown once: a reload does not show it again.
  await page.reload();
  await expect(page.getByText(/already shown/)).toBeVisible();
  await expect(page.getByText(code)).toHaveCount(0);

  // The user, in their own browser: password, then the code instead of the app's code.
  const user = await newPage(browser);
  await user.goto("/login");
  await user.getByLabel("Username").fill(lost);
  await user.getByLabel("Password", { exact: true }).fill(password);
  await user.getByRole("button", { name: "Continue" }).click();
  await expect(user).toHaveURL(/\/login\/verify$/);
  await user.getByLabel("Emergency access code").fill(code);
  await user.getByRole("button", { name: "Sign in with the emergency code" }).click();
  await expect(user).toHaveURL(/\/tokens$/);
  const banner = user.getByRole("complementary", { name: /Emergency access: 2 uses left/ });
  await expect(banner).toBeVisible();

  // Recovery: remove the lost phone's tokens, enrol a new authenticator app from its setup key.
  await user.getByText("I lost this device (Lost phone)").click();
  await user.getByRole("button", { name: "Yes, I lost Lost phone" }).click();
  await expect(user.getByRole("list", { name: "Tokens on Lost phone" })).toHaveCount(0);
  const add = user.getByRole("region", { name: "Add an authenticator app" });
  await add.getByLabel("Phone it is on").fill("New phone");
  await add.getByRole("button", { name: "Set up a new app" }).click();
  const key = (await add.getByLabel("Setup key").textContent())?.replace(/\s+/g, "") ?? "";
  expect(key).toMatch(/^[A-Z2-7]{32}$/);
  await add.getByLabel("6-digit code the app shows now").fill(totp(key));
  await add.getByRole("button", { name: "Finish" }).click();
  await expect(user.getByRole("list", { name: "Tokens on New phone" }).getByRole("listitem")).toHaveCount(1);

  // The console counts the use, shows the removal and the new token, never the code.
  await page.goto("/admin");
  await openUser(page, lost);
  const codes = page.getByRole("region", { name: "Emergency access codes" });
  await expect(codes.getByRole("cell", { name: "1 / 3" })).toBeVisible();
  await expect(codes.getByRole("cell", { name: "ID card checked at the desk" })).toBeVisible();
  await expect(codes.getByRole("cell", { name: `op-${info.project.name}` })).toBeVisible();
  await expect(page.getByText(code)).toHaveCount(0);
  const tokens = page.getByRole("table", { name: "Tokens" });
  await expect(tokens.getByRole("cell", { name: "New phone" })).toBeVisible();
  await expect(tokens.getByRole("cell", { name: /^removed / })).toBeVisible();

  // Finish recovery: the code is cancelled, and the console says so.
  await banner.getByRole("button", { name: "Finish recovery" }).click();
  await expect(user).toHaveURL(/\/login\?recovered=1$/);
  await page.reload();
  await expect(codes.getByRole("cell", { name: "revoked (finished)" })).toBeVisible();
  await user.context().close();
});

test("an operator cannot issue a code for themselves", async ({ page }, info) => {
  // An operator account of its own: a TOTP code is accepted once, and the test above signs its
  // operator in at the same time.
  const me = `op-self-${info.project.name}`;
  await signIn(page, me);
  await openUser(page, me);
  await page.locator("summary", { hasText: "Issue an emergency access code" }).click();
  await page.getByLabel("How you verified the person's identity (required)").fill("looked in the mirror");
  await page.locator("#reason-issue").fill("my own phone");
  await page.getByRole("button", { name: "Issue the code" }).click();
  await expect(page.getByRole("alert")).toContainText("cannot issue an emergency access code for yourself");
  await expect(page).not.toHaveURL(/\/admin\/code$/);
  await expect(page.getByRole("region", { name: "Emergency access codes" }).getByText("No code was ever issued.")).toBeVisible();
});

test("a normal user opening the console is refused", async ({ page }, info) => {
  await signIn(page, `console-user-${info.project.name}`);
  const response = await page.goto("/admin");
  expect(response?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "Not allowed" })).toBeVisible();
  await expect(page.getByRole("table")).toHaveCount(0);
  const api = await page.request.post("/api/console_search", {
    headers: { Accept: "application/json" },
    form: { q: "console" },
  });
  expect(api.status()).toBe(403);
});

test.describe("JavaScript off", () => {
  test.use({ javaScriptEnabled: false });

  test("search, lock and unlock work as plain forms, with the reason required", async ({ page }, info) => {
    const target = `console-lock-${info.project.name}`;
    await signIn(page, `op-nojs-${info.project.name}`);
    // Contains, by a part of the email address, in capitals.
    await page.goto("/admin");
    await page.getByLabel("Username, name, email or phone number").fill(`LOCK-${info.project.name.toUpperCase()}@EXAMPLE`);
    await page.getByLabel("Contains").check();
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page).toHaveURL(/mode=contains/);
    await page.getByRole("table", { name: "Results" }).getByRole("link", { name: target }).click();
    await expect(page.getByRole("heading", { level: 1 })).toContainText(`(${target})`);

    // Lock: the confirmation asks for a reason (the browser will not submit without one).
    await page.locator("summary", { hasText: "Lock the account" }).click();
    await page.getByRole("button", { name: "Lock the account now" }).click();
    expect(await page.locator("#reason-lock").evaluate((e: HTMLInputElement) => e.validity.valueMissing)).toBe(true);
    await expect(page).not.toHaveURL(/done=/);
    await page.locator("#reason-lock").fill("phone reported stolen");
    await page.getByRole("button", { name: "Lock the account now" }).click();
    await expect(page).toHaveURL(/done=locked$/);
    await expect(page.getByRole("status")).toContainText("The account is locked");
    const profile = page.getByRole("region", { name: "Profile" });
    await expect(profile.getByText("locked", { exact: true })).toBeVisible();
    const events = page.getByRole("region", { name: "Recent events" });
    await expect(events.getByRole("cell", { name: "account.locked" })).toBeVisible();

    // Unlock again.
    await page.locator("summary", { hasText: "Unlock the account" }).click();
    await page.locator("#reason-lock").fill("owner called back");
    await page.getByRole("button", { name: "Unlock the account now" }).click();
    await expect(page).toHaveURL(/done=unlocked$/);
    await expect(profile.getByText("active", { exact: true })).toBeVisible();

    // The audit log filters by user and action, and offers the CSV of what it shows.
    await page.getByRole("link", { name: "Audit log" }).click();
    await page.getByLabel("About user (username)").fill(target);
    await page.getByLabel("Action").selectOption("account.unlocked");
    await page.getByRole("button", { name: "Show events" }).click();
    const rows = page.getByRole("table").getByRole("row");
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(1)).toContainText("owner called back");
    const csv = await page.request.get(
      (await page.getByRole("link", { name: "Download as CSV" }).getAttribute("href")) ?? "",
    );
    expect(csv.status()).toBe(200);
    expect(await csv.text()).toContain('"account.unlocked"');

    // The overview draws its charts without a script.
    await page.getByRole("link", { name: "Overview" }).click();
    await expect(page.getByRole("img", { name: /^Accounts locked: / })).toBeVisible();
    await expect(page.getByText("Accounts locked. Total: ")).toContainText(/Total: [1-9]/);
    // Issue 14 item 5: the accounts one lost phone away from needing the help desk (the demo
    // accounts have every token on one phone).
    await expect(page.locator("#overview-at-risk")).toHaveText(/^Accounts one lost phone away from needing the help desk: [1-9]\d*$/);
  });

  test("an operator blocks one token and unblocks it, with a reason, as plain forms", async ({ page }, info) => {
    const target = `console-block-${info.project.name}`;
    await signIn(page, `op-block-${info.project.name}`);
    await openUser(page, target);
    const tokens = page.getByRole("table", { name: "Tokens" });

    await page.locator("summary", { hasText: "Block Authenticator app" }).click();
    const block = page.locator("details", { hasText: "Block Authenticator app" });
    await block.getByRole("textbox").fill("phone reported lost");
    await block.getByRole("button", { name: "Block this token" }).click();
    await expect(page).toHaveURL(/done=block$/);
    await expect(page.getByRole("status")).toContainText("The token is blocked");
    await expect(tokens.getByRole("row", { name: /Authenticator app/ })).toContainText(/blocked \d{4}-\d\d-\d\d/);

    await page.locator("summary", { hasText: "Unblock Authenticator app" }).click();
    const unblock = page.locator("details", { hasText: "Unblock Authenticator app" });
    await unblock.getByRole("textbox").fill("phone found");
    await unblock.getByRole("button", { name: "Unblock this token" }).click();
    await expect(page).toHaveURL(/done=unblock$/);
    await expect(page.getByRole("status")).toContainText("The token is unblocked");
    await expect(tokens.getByRole("row", { name: /Authenticator app/ })).not.toContainText("blocked");
    const events = page.getByRole("region", { name: "Recent events" });
    await expect(events.getByRole("cell", { name: "token.blocked" })).toBeVisible();
    await expect(events.getByRole("cell", { name: "token.unblocked" })).toBeVisible();
  });
});
