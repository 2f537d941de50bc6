import AxeBuilder from "@axe-core/playwright";
import { expect, type Page, test } from "@playwright/test";
import { expectStyledPage, password, receivedCode, signInWithApp, totpSecret } from "./fixtures";
import { totp } from "./totp";
import { csKey } from "./czech";

// Issue 7: axe-core on every page, signed out, in the middle of signing in, signed in, and in the
// restricted emergency session: no serious or critical violation (WCAG 2.1 A and AA rules).
// Each page is checked in the light and the dark theme (colour contrast differs).
async function expectAccessible(page: Page, what: string) {
  // Check the styled page (colour contrast).
  await expectStyledPage(page, what);
  // The whole page, not a page in the making: after a client-side navigation the URL changes
  // before the page's lazily loaded code and its data have arrived, and the document's load
  // state says nothing about either (axe once ran on a half-drawn /account and found 8 rules).
  await expect(page.locator("main h1").first(), `${what}: the page's heading`).toBeVisible();
  for (const loading of ["Loading…", csKey("common.loading")]) {
    await expect(page.getByText(loading, { exact: true }), `${what}: still loading`).toHaveCount(0);
  }
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
    expect(results.passes.length, "axe ran its rules").toBeGreaterThan(10);
    const serious = results.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
    expect(serious, `${what}, ${colorScheme} theme (${page.url()})`).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: null });
}

// One test per page: each page (load, styled check, axe in two themes) takes about 3 s, and
// eleven of them in one test ran past the 30 s test timeout.
for (const path of [
  "/login",
  "/emergency",
  "/emergency/prove",
  "/emergency/cancel?t=not-a-token",
  "/emergency/cancel?done=undone",
  "/freeze",
  "/freeze/device",
  "/freeze/done",
  "/login/verify",
  "/help/signing-in",
  "/help/tokens",
  "/help/emergency-access",
  "/help/emergency-sign-in",
  "/help/lost-phone",
  "/no/such/page",
]) {
  test(`signed-out page ${path}`, async ({ page }) => {
    await page.goto(path);
    await expectAccessible(page, path);
  });
  // Issue 19: the Czech page too (its own words, its own lang attribute).
  test(`signed-out page ${path} in Czech`, async ({ page }) => {
    await page.goto(`/lang/cs?to=${encodeURIComponent(path)}`);
    await expect(page.locator("html")).toHaveAttribute("lang", "cs");
    await expectAccessible(page, `${path} (cs)`);
  });
}

test("signing in and the signed-in pages", async ({ page }, info) => {
  // Several pages, each about 3 s (styled check, axe in two themes): more than the default 30 s
  // on a loaded 2-core machine.
  test.setTimeout(90_000);
  await page.goto("/login");
  await page.getByLabel("Username").fill(`a11y-${info.project.name}`);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(/\/login\/verify$/);
  await expectAccessible(page, "second step");
  const app = page.getByRole("region", { name: "Authenticator app" });
  await app.getByLabel("6-digit code").fill(totp(totpSecret));
  await app.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expectAccessible(page, "account");
  await page.goto("/tokens");
  await expectAccessible(page, "tokens");
});

test("the wizard's steps and the restricted session", async ({ page }, info) => {
  // Several pages, each about 3 s (styled check, axe in two themes): more than the default 30 s
  // on a loaded 2-core machine.
  test.setTimeout(90_000);
  const username = `a11y-wizard-${info.project.name}`;
  await page.goto("/emergency");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(/\/emergency\/prove$/);
  await expectAccessible(page, "wizard step 2");
  await page.getByLabel("Confirmation code from the email").fill(await receivedCode(`${username}@example.org`));
  await page.getByRole("button", { name: "Confirm" }).click();
  await expect(page).toHaveURL(/\/emergency\/reason$/);
  await expectAccessible(page, "wizard step 3");
  await page.getByRole("button", { name: "Get my emergency access code" }).click();
  await expect(page).toHaveURL(/\/emergency\/code$/);
  await expectAccessible(page, "wizard step 4");
  const code = (await page.getByLabel("Your emergency access code").textContent()) ?? "";

  await page.goto("/login");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByLabel("Emergency access code").fill(code);
  await page.getByRole("button", { name: "Sign in with the emergency code" }).click();
  await expect(page).toHaveURL(/\/tokens$/);
  await expectAccessible(page, "restricted token list");
  await page.goto("/account");
  await expectAccessible(page, "restricted account page");
});

test("the operational console", async ({ page }, info) => {
  // Several pages, each about 3 s (styled check, axe in two themes): more than the default 30 s
  // on a loaded 2-core machine.
  test.setTimeout(90_000);
  await signInWithApp(page, `op-a11y-${info.project.name}`);
  await page.goto("/admin");
  await page.getByLabel("Username, name, email or phone number").fill("console-user");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByRole("table", { name: "Results" })).toBeVisible();
  await expectAccessible(page, "console search");
  await page.getByRole("table", { name: "Results" }).getByRole("link", { name: `console-user-${info.project.name}` }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText(`console-user-${info.project.name}`);
  await expectAccessible(page, "console user page");
  for (const path of ["/admin/audit", "/admin/overview", "/admin/applications", "/help/console", "/help"]) {
    await page.goto(path);
    await expectAccessible(page, path);
  }
});
