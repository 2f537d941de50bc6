import { expect, test } from "@playwright/test";
import { password, receivedCode, receivedCount } from "./fixtures";
import { totp } from "./totp";
import { runWizard, signInWithCode } from "./wizard";

// The seed's second path: the lost phone held every token. Emergency Access (linked from the
// sign-in page) gives an emergency access code after the password and a code sent to the
// recovery address; the code signs in to a restricted session that removes the lost tokens and
// enrols new ones; "Finish recovery" cancels the code.

test("the whole second path: wizard, emergency sign-in, replace the tokens, finish", async ({ page }, info) => {
  const username = `emergency-js-${info.project.name}`;
  const code = await runWizard(page, username, true);
  await page.getByRole("link", { name: "Sign in now" }).click();
  await expect(page).toHaveURL(/\/login$/);

  // Lower case and spaces instead of hyphens are fine.
  await signInWithCode(page, username, code.toLowerCase().replace(/-/g, " "));
  await expect(page).toHaveURL(/\/tokens$/);
  const banner = page.getByRole("complementary", { name: /Emergency access: 2 uses left/ });
  await expect(banner).toBeVisible();
  await expect(banner.getByRole("listitem").first()).toContainText("(to do)");

  // Remove every token of the lost phone at once (allowed in the restricted session).
  await page.getByText("I lost this device (Lost phone)").click();
  await page.getByRole("button", { name: "Yes, I lost Lost phone" }).click();
  await expect(page.getByRole("list", { name: "Tokens on Lost phone" })).toHaveCount(0);
  await expect(banner.getByRole("listitem").first()).toContainText("(done)");
  await expect(banner.getByText("Finish recovery becomes available once the steps above that are not optional are done.")).toBeVisible();

  // Enrol an authenticator app on the new phone, from the secret text.
  const add = page.getByRole("region", { name: "Add an authenticator app" });
  await add.getByLabel("Phone it is on").fill("New phone");
  await add.getByRole("button", { name: "Set up a new app" }).click();
  const key = (await add.getByLabel("Setup key").textContent())?.replace(/\s+/g, "") ?? "";
  expect(key).toMatch(/^[A-Z2-7]{32}$/);
  await expect(add.getByRole("button", { name: "Copy the setup key" })).toBeVisible();
  await add.getByLabel("6-digit code the app shows now").fill(totp(key));
  await add.getByRole("button", { name: "Finish" }).click();
  await expect(page.getByRole("list", { name: "Tokens on New phone" }).getByRole("listitem")).toHaveCount(1);
  await expect(banner.getByRole("listitem").nth(1)).toContainText("(done)");

  // And a new phone number for SMS codes, confirmed by the code the gateway delivers.
  const number = info.project.name === "phone" ? "+420602100001" : "+420602100002";
  const typed = info.project.name === "phone" ? "+420 602 100 001" : "+420 602 100 002";
  const sms = page.getByRole("region", { name: "Add a phone for SMS codes" });
  const before = await receivedCount(number);
  await sms.getByLabel("Phone number").fill(typed);
  await sms.getByLabel("Phone it is on").fill("New phone");
  await sms.getByRole("button", { name: "Send a code" }).click();
  await sms.getByLabel("6-digit code you received").fill(await receivedCode(number, before));
  await sms.getByRole("button", { name: "Confirm" }).click();
  await expect(page.getByRole("list", { name: "Tokens on New phone" }).getByRole("listitem")).toHaveCount(2);

  // Finish recovery: the code is cancelled and the restricted session ends.
  await banner.getByRole("button", { name: "Finish recovery" }).click();
  await expect(page).toHaveURL(/\/login\?recovered=1$/);
  await expect(page.getByRole("status")).toContainText("Recovery is finished");

  // Sign in with the new app (its next code: the first one was used to enrol).
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Continue" }).click();
  const app = page.getByRole("region", { name: "Authenticator app" });
  await app.getByLabel("6-digit code").fill(totp(key, Date.now() / 1000 + 30));
  await app.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole("list", { name: "Your tokens" })).toContainText("New phone");
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);

  // The emergency code no longer works.
  await signInWithCode(page, username, code);
  await expect(page.getByRole("alert")).toContainText("not valid");
  await expect(page).toHaveURL(/\/login\/verify$/);
});

test.describe("JavaScript off", () => {
  test.use({ javaScriptEnabled: false });

  test("the wizard works as plain forms and shows the code once", async ({ page }, info) => {
    const username = `emergency-nojs-${info.project.name}`;
    const code = await runWizard(page, username, false);
    // A reload (or the back button) does not show it again.
    await page.reload();
    await expect(page.getByLabel("Your emergency access code")).toHaveCount(0);
    await expect(page.getByText(/already shown once/)).toBeVisible();
    // And it signs in without JavaScript too.
    await signInWithCode(page, username, code);
    await expect(page).toHaveURL(/\/tokens$/);
    await expect(page.getByRole("complementary", { name: /Emergency access: 2 uses left/ })).toBeVisible();
  });
});

test("a code past its uses is refused; the restricted session is refused other functions", async ({ page, context }, info) => {
  const username = `emergency-uses-${info.project.name}`;
  const code = await runWizard(page, username, true);
  for (const left of [2, 1, 0]) {
    await context.clearCookies();
    await signInWithCode(page, username, code);
    await expect(page).toHaveURL(/\/tokens$/);
    await expect(page.getByRole("complementary", { name: new RegExp(`Emergency access: ${left} uses left`) })).toBeVisible();
    if (left === 2) {
      // EC-11: a function outside token and contact management answers 403.
      const sessions = await page.request.post("/api/my_sessions", { headers: { Accept: "application/json" } });
      expect(sessions.status()).toBe(403);
      const tokens = await page.request.post("/api/my_tokens", { headers: { Accept: "application/json" } });
      expect(tokens.status()).toBe(200);
      // The account page shows the banner, not the session list.
      await page.goto("/account");
      await expect(page.getByRole("complementary", { name: /Emergency access/ })).toBeVisible();
      await expect(page.getByRole("heading", { name: "Where you are signed in" })).toHaveCount(0);
    }
  }
  await context.clearCookies();
  await signInWithCode(page, username, code);
  await expect(page.getByRole("alert")).toContainText("not valid");
  await expect(page).toHaveURL(/\/login\/verify$/);
});

// Issue 14 item 2 (the seed: "type it instead of the OTP"): the 6-digit code field of the second
// step takes the emergency access code too (any case, spaces or hyphens) and says so; it opens
// the restricted session, never a full one.
for (const javaScript of [true, false]) {
  test.describe(`the code field, JavaScript ${javaScript ? "on" : "off"}`, () => {
    test.use({ javaScriptEnabled: javaScript });

    test("takes the emergency access code where the 6-digit code goes", async ({ page }, info) => {
      const username = `emergency-field-${javaScript ? "js" : "nojs"}-${info.project.name}`;
      const code = await runWizard(page, username, javaScript);
      await page.goto("/login");
      await page.getByLabel("Username").fill(username);
      await page.getByLabel("Password", { exact: true }).fill(password);
      await page.getByRole("button", { name: "Continue" }).click();
      await expect(page).toHaveURL(/\/login\/verify$/);
      const app = page.getByRole("region", { name: "Authenticator app" });
      const field = app.getByLabel("6-digit code");
      await expect(field).toHaveAccessibleDescription(/emergency access code works here too/);
      // A made-up code of that form is refused like any wrong code.
      await field.fill("abcd efgh jkmn pqrs");
      await app.getByRole("button", { name: "Sign in" }).click();
      await expect(app.getByRole("alert")).toContainText("not valid");
      await expect(page).toHaveURL(/\/login\/verify/);
      // The real one, typed in lower case with spaces: letters are not refused.
      await app.getByLabel("6-digit code").fill(code.toLowerCase().replaceAll("-", " "));
      await app.getByRole("button", { name: "Sign in" }).click();
      await expect(page).toHaveURL(/\/tokens$/);
      await expect(page.getByRole("complementary", { name: /Emergency access: 2 uses left/ })).toBeVisible();
    });
  });
}
