import { expect, test, type Page } from "@playwright/test";
import { password, totpSecret } from "./fixtures";
import { totp } from "./totp";

async function signIn(page: Page, username: string, tokenLabel: string) {
  await page.goto("/login");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Continue" }).click();
  const token = page.getByRole("region", { name: tokenLabel });
  await token.getByLabel("6-digit code").fill(totp(totpSecret));
  await token.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/account$/);
}

test("people see where they are signed in and sign out everywhere else (SE-7)", async ({ page, browser }, info) => {
  const username = `sessions-${info.project.name}`;
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await signIn(otherPage, username, "App B");
  await signIn(page, username, "App A");

  const list = page.getByRole("list", { name: "Where you are signed in" });
  await expect(list.getByRole("listitem")).toHaveCount(2);
  await expect(list.getByRole("listitem").first()).toContainText("(this browser)");
  await page.getByRole("button", { name: "Sign out everywhere else" }).click();
  await expect(list.getByRole("listitem")).toHaveCount(1);
  await expect(page.getByText("You are signed in only here.")).toBeVisible();

  // The other browser's session is gone on the server.
  await otherPage.goto("/account");
  await expect(otherPage).toHaveURL(/\/login$/);
  await other.close();
});
