import { expect, type Locator, type Page, test } from "@playwright/test";
import { password, receivedCode, totpSecret } from "./fixtures";
import { totp } from "./totp";

// Issue 7: the sign-in, token enrolment and Emergency Access flows done with the keyboard alone:
// Tab to a control, type, Enter to submit. No clicks.

/** Presses Tab until `target` has the focus (at most 40 times). */
async function tabTo(page: Page, target: Locator) {
  for (let i = 0; i < 40; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press("Tab");
  }
  await expect(target).toBeFocused();
}

test("sign in, add an authenticator app, and get an emergency code, by keyboard", async ({ page }, info) => {
  const username = `kbd-${info.project.name}`;
  await page.goto("/login");
  await page.keyboard.press("Tab");
  await expect(page.getByRole("link", { name: "Skip to content" })).toBeFocused();
  await tabTo(page, page.getByLabel("Username"));
  await page.keyboard.type(username);
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Password", { exact: true })).toBeFocused();
  await page.keyboard.type(password);
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/login\/verify$/);
  const app = page.getByRole("region", { name: "Authenticator app" });
  await tabTo(page, app.getByLabel("6-digit code"));
  await page.keyboard.type(totp(totpSecret));
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/account$/);

  // Token enrolment.
  await page.goto("/tokens");
  const add = page.getByRole("region", { name: "Add an authenticator app" });
  await tabTo(page, add.getByLabel("Phone it is on"));
  await page.keyboard.press("Control+A");
  await page.keyboard.type("Keyboard phone");
  await page.keyboard.press("Enter");
  await expect(add.getByLabel("Setup key")).toBeVisible();
  const key = (await add.getByLabel("Setup key").textContent())?.replace(/\s+/g, "") ?? "";
  await tabTo(page, add.getByLabel("6-digit code the app shows now"));
  await page.keyboard.type(totp(key));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("list", { name: "Tokens on Keyboard phone" }).getByRole("listitem")).toHaveCount(1);

  // Emergency Access, all four steps.
  await page.goto("/emergency");
  await tabTo(page, page.getByLabel("Username"));
  await page.keyboard.type(username);
  await page.keyboard.press("Tab");
  await page.keyboard.type(password);
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/emergency\/prove$/);
  await tabTo(page, page.getByLabel("Confirmation code from the email"));
  await page.keyboard.type(await receivedCode(`${username}@example.org`));
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/emergency\/reason$/);
  await tabTo(page, page.getByLabel("I lost my phone (or it broke)"));
  await page.keyboard.press("ArrowDown");
  await expect(page.getByLabel("My phone was stolen")).toBeChecked();
  await tabTo(page, page.getByRole("button", { name: "Get my emergency access code" }));
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/emergency\/code$/);
  await expect(page.getByLabel("Your emergency access code")).toHaveText(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
  // The focus ring is visible on the focused control.
  await tabTo(page, page.getByRole("link", { name: "Sign in now" }));
  const outline = await page.getByRole("link", { name: "Sign in now" }).evaluate((el) => getComputedStyle(el).outlineStyle);
  expect(outline).not.toBe("none");
});
