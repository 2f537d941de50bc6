import { expect, test, type Locator, type Page } from "@playwright/test";
import jsQR from "jsqr";
import { PNG } from "pngjs";
import { displayName, lostPhone, password, qrUser, receivedCode, receivedCount, totpSecret } from "./fixtures";
import { totp } from "./totp";

// The seed's first path, on the phone that will hold the new tokens: the user lost the phone
// with an authenticator app and an SMS token, signs in with the email token, removes every
// token of the lost phone at once, enrols an authenticator app and a phone number on the new
// phone, and from then on signs in with the new app; the old app's codes are refused.

// ---- find ----
const region = (page: Page, name: string) => page.getByRole("region", { name });
const deviceList = (page: Page, device: string) => page.getByRole("list", { name: `Tokens on ${device}` });

// ---- act ----
async function enterPassword(page: Page, username: string) {
  await page.goto("/login");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(/\/login\/verify$/);
}

async function signInWithEmailCode(page: Page) {
  const before = await receivedCount(lostPhone.codeEmail);
  await enterPassword(page, lostPhone.username);
  const email = region(page, lostPhone.emailTokenLabel);
  await email.getByRole("button", { name: "Send a code" }).click();
  await expect(email.getByRole("status")).toContainText("We sent a code to");
  await email.getByLabel(/6-digit code/).fill(await receivedCode(lostPhone.codeEmail, before));
  await email.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/account$/);
}

/** A code no step of the window around now accepts for `secret`. */
function codeOutsideWindow(secret: string): string {
  const now = Date.now() / 1000;
  const window = [now - 30, now, now + 30, now + 60].map((t) => totp(secret, t));
  return ["000000", "111111", "222222", "333333", "444444"].find((c) => !window.includes(c))!;
}

async function startTotp(page: Page, device?: string): Promise<Locator> {
  const add = region(page, "Add an authenticator app");
  if (device !== undefined) await add.getByLabel("Phone it is on").fill(device);
  await add.getByRole("button", { name: "Set up a new app" }).click();
  await expect(add.getByRole("img", { name: /QR code/ })).toBeVisible();
  return add;
}

async function finishTotp(add: Locator, secret: string) {
  await add.getByLabel("6-digit code the app shows now").fill(totp(secret));
  await add.getByRole("button", { name: "Finish" }).click();
}

// ---- check ----
async function expectOnTokens(page: Page) {
  await expect(page).toHaveURL(/\/tokens$/);
  await expect(page.getByRole("heading", { level: 1, name: "Your tokens" })).toBeVisible();
}

test("lost phone: sign in by email, remove the old phone's tokens, enrol app and SMS on the new one", async ({
  page,
}, info) => {
  test.skip(info.project.name !== "phone", "the whole path runs on the phone viewport");

  await signInWithEmailCode(page);
  await page.getByRole("link", { name: "Manage your tokens" }).click();
  await expectOnTokens(page);
  await expect(deviceList(page, "Old phone").getByRole("listitem")).toHaveCount(2);

  // "I lost this device" on Old phone removes both of its tokens at once.
  await page.getByText("I lost this device (Old phone)").click();
  await page.getByRole("button", { name: "Yes, I lost Old phone" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Removed" })).toHaveText("Removed 2 tokens on Old phone.");
  await expect(deviceList(page, "Old phone")).toHaveCount(0);
  await expect(deviceList(page, "Mailbox").getByRole("listitem")).toHaveCount(1);

  // A new authenticator app: the device name is suggested from this browser, and editable.
  const add = region(page, "Add an authenticator app");
  await expect(add.getByLabel("Phone it is on")).toHaveValue("Chrome on Android");
  await startTotp(page, "New phone");
  // On the phone itself there is a link to the app; the test types the key, as a person would.
  await expect(add.getByRole("link", { name: "Open in authenticator app" })).toHaveAttribute("href", /^otpauth:\/\/totp\//);
  const key = (await add.getByLabel("Setup key").textContent())?.replace(/\s+/g, "") ?? "";
  expect(key).toMatch(/^[A-Z2-7]{32}$/);
  await finishTotp(add, key);
  await expect(deviceList(page, "New phone").getByRole("listitem")).toHaveCount(1);

  // A new phone number for SMS codes, confirmed by the code sent to it.
  const sms = region(page, "Add a phone for SMS codes");
  await expect(sms).toContainText("SMS is weaker than an authenticator app");
  const before = await receivedCount(lostPhone.newPhoneNumber);
  await sms.getByLabel("Phone number").fill("+420 601 000 201");
  await sms.getByLabel("Phone it is on").fill("New phone");
  await sms.getByRole("button", { name: "Send a code" }).click();
  await expect(sms.getByRole("status")).toHaveText("We sent a code to +420 601 000 201.");
  // Not usable before its code: the new phone still holds only the app.
  await expect(deviceList(page, "New phone").getByRole("listitem")).toHaveCount(1);
  await sms.getByLabel("6-digit code you received").fill(await receivedCode(lostPhone.newPhoneNumber, before));
  await sms.getByRole("button", { name: "Confirm" }).click();
  const newPhone = deviceList(page, "New phone");
  await expect(newPhone.getByRole("listitem")).toHaveCount(2);
  await expect(newPhone).toContainText("Authenticator app");
  await expect(newPhone).toContainText("SMS");

  // Sign out, then back in with the new app; the old app's code is refused.
  await page.getByRole("link", { name: "Back to your account" }).click();
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);
  await enterPassword(page, lostPhone.username);
  await expect(region(page, "Old SMS")).toHaveCount(0);
  const app = region(page, "Authenticator app");
  await expect(app).toContainText("New phone");
  const oldCode = totp(lostPhone.oldTotpSecret);
  expect(oldCode).not.toBe(totp(key));
  await app.getByLabel("6-digit code").fill(oldCode);
  await app.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("That code is not valid");
  await expect(page).toHaveURL(/\/login\/verify/);
  // The next step's code: the enrolment used this step's (a code works once).
  await app.getByLabel("6-digit code").fill(totp(key, Date.now() / 1000 + 30));
  await app.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole("heading", { level: 1, name: displayName })).toBeVisible();
  const tokens = page.getByRole("list", { name: "Your tokens" });
  await expect(tokens.getByRole("listitem")).toHaveCount(3);
  await expect(tokens).not.toContainText("Old phone");
});

test("desktop: set up an authenticator app by scanning its QR code", async ({ page }, info) => {
  test.skip(info.project.name !== "desktop", "scanning a QR code needs a second screen");

  await enterPassword(page, qrUser);
  const current = region(page, "Authenticator app");
  await current.getByLabel("6-digit code").fill(totp(totpSecret));
  await current.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await page.goto("/tokens");
  await expectOnTokens(page);

  const add = await startTotp(page, "Work laptop phone");
  // Decode the QR code as a camera would see it: a screenshot of the rendered image.
  const png = PNG.sync.read(await add.getByRole("img", { name: /QR code/ }).screenshot());
  const decoded = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  expect(decoded, "the QR code decodes").not.toBeNull();
  const uri = decoded!.data;
  expect(uri).toMatch(new RegExp(`^otpauth://totp/MAYI%20ID:${qrUser}\\?`));
  const params = new URL(uri.replace("otpauth://", "https://")).searchParams;
  expect(params.get("issuer")).toBe("MAYI ID");
  const secret = params.get("secret") ?? "";
  expect(secret).toMatch(/^[A-Z2-7]{32}$/); // 160 bits (OTP-1)
  // The same URI as the link and the typed key.
  await expect(add.getByRole("link", { name: "Open in authenticator app" })).toHaveAttribute("href", uri);
  expect((await add.getByLabel("Setup key").textContent())?.replace(/\s+/g, "")).toBe(secret);

  // A wrong first code leaves it pending; the scanned secret's code finishes it.
  await add.getByLabel("6-digit code the app shows now").fill(codeOutsideWindow(secret));
  await add.getByRole("button", { name: "Finish" }).click();
  await expect(add.getByRole("alert")).toContainText("That code is not valid");
  await finishTotp(add, secret);
  const laptop = deviceList(page, "Work laptop phone");
  await expect(laptop.getByRole("listitem")).toHaveCount(1);
  await expect(laptop).toContainText("Authenticator app");
});
