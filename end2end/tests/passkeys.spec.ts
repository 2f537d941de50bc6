import { expect, test, type Page } from "@playwright/test";
import { password } from "./fixtures";
import { totp } from "./totp";
import { runWizard, signInWithCode } from "./wizard";

// Passkeys and security keys (issue 17), in Chromium with a virtual authenticator (CDP
// WebAuthn domain): a security key added in the restricted emergency session survives the
// lost phone and signs in after recovery; without JavaScript the second step says passkeys
// need it and the account's other tokens still work.

const totpSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/** A USB security key with a PIN (user verification), touched at once when asked. */
async function securityKey(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "usb",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    credentials: async () =>
      (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials,
  };
}

/** Adds a passkey named `name` on `device` from the token page (JavaScript on). */
async function addPasskey(page: Page, name: string, device: string) {
  const add = page.getByRole("region", { name: "Add a passkey or security key" });
  await add.getByLabel("Name of this passkey or key").fill(name);
  await add.getByLabel("Device or key it is on").fill(device);
  await add.getByRole("button", { name: "Add a passkey or security key" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Passkey added" })).toContainText(name);
  await expect(page.getByRole("list", { name: `Tokens on ${device}` }).getByRole("listitem")).toHaveCount(1);
}

async function passwordStep(page: Page, username: string) {
  await page.goto("/login");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(/\/login\/verify$/);
}

test("a security key added in the restricted session signs in after recovery", async ({ page }, info) => {
  const username = `passkey-rec-${info.project.name}`;
  const key = await securityKey(page);
  const code = await runWizard(page, username, true);
  await signInWithCode(page, username, code);
  await expect(page).toHaveURL(/\/tokens$/);
  const banner = page.getByRole("complementary", { name: /Emergency access/ });

  // The lost phone's tokens go; a security key comes.
  await page.getByText("I lost this device (Lost phone)").click();
  await page.getByRole("button", { name: "Yes, I lost Lost phone" }).click();
  await expect(page.getByRole("list", { name: "Tokens on Lost phone" })).toHaveCount(0);
  await addPasskey(page, "Key ring", "YubiKey");
  expect(await key.credentials()).toHaveLength(1);
  await expect(page.getByRole("list", { name: "Tokens on YubiKey" })).toContainText("Passkey or security key");

  await banner.getByRole("button", { name: "Finish recovery" }).click();
  await expect(page).toHaveURL(/\/login\?recovered=1$/);

  // Signing in: the password, then the key.
  await passwordStep(page, username);
  const passkey = page.getByRole("region", { name: "Passkey or security key" });
  await expect(passkey.getByText("need JavaScript")).toHaveCount(0);
  await passkey.getByRole("button", { name: "Use a passkey or security key" }).click();
  await expect(page).toHaveURL(/\/account/);
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  expect((await key.credentials())[0].signCount).toBeGreaterThanOrEqual(1);
});

test("without JavaScript the second step says passkeys need it and the other tokens work", async ({ page, browser }, info) => {
  const username = `passkey-nojs-${info.project.name}`;
  await securityKey(page);
  // Signed in with the first app, a passkey is added (JavaScript on).
  await passwordStep(page, username);
  const first = page.getByRole("region", { name: "App A" });
  await first.getByLabel("6-digit code").fill(totp(totpSecret));
  await first.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/account/);
  await page.goto("/tokens");
  await addPasskey(page, "Laptop passkey", "Laptop");

  // Another browser with JavaScript off.
  const context = await browser.newContext({ javaScriptEnabled: false, baseURL: info.project.use.baseURL });
  const plain = await context.newPage();
  await passwordStep(plain, username);
  const passkey = plain.getByRole("region", { name: "Passkey or security key" });
  await expect(passkey).toContainText("Passkeys and security keys need JavaScript");
  await expect(passkey.getByRole("button")).toHaveCount(0);
  const second = plain.getByRole("region", { name: "App B" });
  await second.getByLabel("6-digit code").fill(totp(totpSecret));
  await second.getByRole("button", { name: "Sign in" }).click();
  await expect(plain).toHaveURL(/\/account/);
  // The token page says the same where passkeys are added.
  await plain.goto("/tokens");
  const add = plain.getByRole("region", { name: "Add a passkey or security key" });
  await expect(add).toContainText("need JavaScript");
  await expect(add.getByRole("button")).toHaveCount(0);
  await expect(plain.getByRole("list", { name: "Tokens on Laptop" })).toContainText("Laptop passkey");
  await context.close();
});
