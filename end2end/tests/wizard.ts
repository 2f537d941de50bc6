import { expect, type Page } from "@playwright/test";
import { password, receivedCode } from "./fixtures";

// The Emergency Access wizard and signing in with its code, for the specs that need a
// restricted session (emergency.spec.ts, stolen.spec.ts).

/** Steps 1 to 4 of the wizard, from the sign-in page's link; returns the code shown. */
export async function runWizard(
  page: Page,
  username: string,
  javaScript: boolean,
  reason = "I lost my phone (or it broke)",
): Promise<string> {
  await page.goto("/login");
  await page.getByRole("link", { name: "Lost your phone? Use Emergency Access" }).click();
  await expect(page).toHaveURL(/\/emergency$/);
  const steps = page.getByRole("navigation", { name: "Emergency Access steps" });
  await expect(steps.locator('[aria-current="step"]')).toContainText("Who you are");

  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(/\/emergency\/prove$/);
  await expect(steps.locator('[aria-current="step"]')).toContainText("Prove it");
  await expect(page.getByText(/•••@example\.org/)).toBeVisible();

  // A wrong code is refused, and says so next to the field.
  const code = await receivedCode(`${username}@example.org`);
  const wrong = code === "000000" ? "000001" : "000000";
  await page.getByLabel("Confirmation code from the email").fill(wrong);
  await page.getByRole("button", { name: "Confirm" }).click();
  await expect(page.getByRole("alert")).toContainText("not valid");
  await page.getByLabel("Confirmation code from the email").fill(code);
  await page.getByRole("button", { name: "Confirm" }).click();
  await expect(page).toHaveURL(/\/emergency\/reason$/);
  await expect(steps.locator('[aria-current="step"]')).toContainText("Why");

  await page.getByLabel(reason).check();
  await page.getByRole("button", { name: "Get my emergency access code" }).click();
  await expect(page).toHaveURL(/\/emergency\/code$/);
  await expect(steps.locator('[aria-current="step"]')).toContainText("Your code");
  const shown = (await page.getByLabel("Your emergency access code").textContent()) ?? "";
  expect(shown).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
  await expect(page.getByText("3 / 3")).toBeVisible();
  if (javaScript) {
    await expect(page.getByRole("button", { name: "Copy the code" })).toBeVisible();
    await expect(page.getByRole("button", { name: "Print" })).toBeVisible();
  }
  return shown;
}

/** Password, then the emergency code instead of the OTP. */
export async function signInWithCode(page: Page, username: string, code: string, secret = password) {
  await page.goto("/login");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(secret);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(/\/login\/verify$/);
  await page.getByLabel("Emergency access code").fill(code);
  await page.getByRole("button", { name: "Sign in with the emergency code" }).click();
}
