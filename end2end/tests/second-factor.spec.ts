import { expect, test, type Page } from "@playwright/test";
import {
  account,
  codeEmail,
  displayName,
  password,
  receivedCode,
  receivedCount,
  smsNumber,
  tokenDevice,
  tokenLabel,
  totpSecret,
} from "./fixtures";
import { totp } from "./totp";

// Act: the two sign-in steps, through the visible controls only.
async function enterPassword(page: Page, username: string) {
  await page.goto("/login");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(/\/login\/verify$/);
}

async function enterCode(page: Page, code: string) {
  const app = page.getByRole("region", { name: tokenLabel });
  await expect(app).toContainText(tokenDevice);
  await app.getByLabel("6-digit code").fill(code);
  await app.getByRole("button", { name: "Sign in" }).click();
}

// Check: the signed-in landing page.
async function expectSignedIn(page: Page) {
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole("heading", { level: 1, name: displayName })).toBeVisible();
  const tokens = page.getByRole("list", { name: "Your tokens" });
  await expect(tokens.getByRole("listitem")).toHaveCount(1);
  await expect(tokens).toContainText(tokenLabel);
  await expect(tokens).toContainText(tokenDevice);
}

async function signOut(page: Page) {
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  // The session is gone on the server: the account page sends us back to sign-in.
  await page.goto("/account");
  await expect(page).toHaveURL(/\/login$/);
}

for (const javaScriptEnabled of [true, false]) {
  test.describe(`password and authenticator app, JavaScript ${javaScriptEnabled ? "on" : "off"}`, () => {
    test.use({ javaScriptEnabled });

    test("signs in, shows the account, signs out", async ({ page }, info) => {
      const username = account(javaScriptEnabled ? "signin-js" : "signin-nojs", info.project.name);
      await enterPassword(page, username);
      await expect(page.getByText(`Signed in as ${displayName}`)).toBeVisible();
      await enterCode(page, totp(totpSecret));
      await expectSignedIn(page);
      await signOut(page);
    });
  });
}

test("a code that was already used is refused (OTP-6)", async ({ page }, info) => {
  const username = account("replay", info.project.name);
  const code = totp(totpSecret);
  await enterPassword(page, username);
  await enterCode(page, code);
  await expectSignedIn(page);
  await signOut(page);

  await enterPassword(page, username);
  await enterCode(page, code);
  await expect(page.getByRole("alert")).toContainText("That code is not valid");
  await expect(page).toHaveURL(/\/login\/verify/);
  // What was typed is still there to correct.
  await expect(page.getByLabel("6-digit code")).toHaveValue(code);
});

test("the second step without a correct password leads back to the start", async ({ page }) => {
  await page.goto("/login/verify");
  await expect(page.getByRole("alert")).toContainText("Your sign-in has expired");
  await page.getByRole("link", { name: "Start again" }).click();
  await expect(page).toHaveURL(/\/login$/);
});

test.describe("codes sent by SMS and email", () => {
  test("signs in with a code sent by SMS (JavaScript on)", async ({ page }, info) => {
    const phone = smsNumber(info.project.name);
    const before = await receivedCount(phone);
    await page.goto("/login");
    await page.getByLabel("Username").fill(`sms-${info.project.name}`);
    await page.getByLabel("Password", { exact: true }).fill(password);
    await page.getByRole("button", { name: "Continue" }).click();
    await expect(page).toHaveURL(/\/login\/verify$/);
    const section = page.getByRole("region", { name: "Work phone" });
    await expect(section).toContainText("+420 ••• ••• 00");
    await section.getByRole("button", { name: "Send a code" }).click();
    await expect(section.getByRole("status")).toContainText("We sent a code to");
    const code = await receivedCode(phone, before);
    await section.getByLabel(/6-digit code/).fill(code);
    await section.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/account$/);
    await expect(page.getByRole("heading", { level: 1, name: displayName })).toBeVisible();
  });

  test.describe("JavaScript off", () => {
    test.use({ javaScriptEnabled: false });

    test("signs in with a code sent by email; a wrong code is refused first", async ({ page }, info) => {
      const address = codeEmail(info.project.name);
      const before = await receivedCount(address);
      await page.goto("/login");
      await page.getByLabel("Username").fill(`email-${info.project.name}`);
      await page.getByLabel("Password", { exact: true }).fill(password);
      await page.getByRole("button", { name: "Continue" }).click();
      await expect(page).toHaveURL(/\/login\/verify$/);
      const section = () => page.getByRole("region", { name: "Work email" });
      await section().getByRole("button", { name: "Send a code" }).click();
      await expect(section().getByRole("status")).toContainText("We sent a code to c•••@example.org");
      const code = await receivedCode(address, before);
      const wrong = code === "000000" ? "111111" : "000000";
      await section().getByLabel(/6-digit code/).fill(wrong);
      await section().getByRole("button", { name: "Sign in" }).click();
      await expect(section().getByRole("alert")).toContainText("That code is not valid");
      await section().getByLabel(/6-digit code/).fill(code);
      await section().getByRole("button", { name: "Sign in" }).click();
      await expect(page).toHaveURL(/\/account$/);
      await expect(page.getByRole("heading", { level: 1, name: displayName })).toBeVisible();
    });
  });
});
