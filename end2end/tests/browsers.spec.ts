import { expect, test, type Page } from "@playwright/test";
import { password, totpSecret } from "./fixtures";
import { totp } from "./totp";

// Issue 13 item 5 ("waiting period by trust"): a browser that completed a full sign-in is
// remembered (an HttpOnly cookie); /account lists them, this one marked, with "Forget".

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

test("people see the browsers they signed in with and forget them (issue 13 item 5)", async ({ page, browser }, info) => {
  const username = `browsers-${info.project.name}`;
  // Another browser signed in first (its own token: a code works once).
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await signIn(otherPage, username, "App B");
  await other.close();
  await signIn(page, username, "App A");

  // The cookie is HttpOnly and lives about 180 days.
  const cookie = (await page.context().cookies()).find((c) => c.name === "mayi_browser");
  expect(cookie?.httpOnly).toBe(true);
  expect(cookie!.expires - Date.now() / 1000).toBeGreaterThan(179 * 24 * 3600);

  const list = page.getByRole("list", { name: "Browsers you signed in with" });
  await expect(list.getByRole("listitem")).toHaveCount(2);
  await expect(list.getByRole("listitem").first()).toContainText("(this browser)");
  await expect(list.getByRole("listitem").nth(1)).not.toContainText("(this browser)");

  // Forget the other browser.
  await list.getByRole("listitem").nth(1).getByRole("button", { name: /^Forget/ }).click();
  await expect(page.getByText("The browser is forgotten.")).toBeVisible();
  await expect(list.getByRole("listitem")).toHaveCount(1);
  await expect(list.getByRole("listitem").first()).toContainText("(this browser)");

  // Forget this one: its cookie goes too.
  await list.getByRole("listitem").first().getByRole("button", { name: /^Forget/ }).click();
  await expect(page.getByText("No browser is remembered yet.")).toBeVisible();
  expect((await page.context().cookies()).find((c) => c.name === "mayi_browser")).toBeUndefined();
});
