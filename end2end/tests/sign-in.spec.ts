import { expect, test, type Page } from "@playwright/test";
import { user } from "./fixtures";

// Find: the sign-in form's controls, by role and label (as a screen reader finds them).
const form = (page: Page) => ({
  username: page.getByLabel("Username"),
  password: page.getByLabel("Password", { exact: true }),
  showPassword: page.getByRole("checkbox", { name: "Show password" }),
  submit: page.getByRole("button", { name: "Continue" }),
  error: page.getByRole("alert"),
});

test.describe("sign-in page, JavaScript on", () => {
  test("is rendered on the server and hydrates", async ({ page }) => {
    const failed: string[] = [];
    page.on("response", (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    });
    page.on("pageerror", (e) => failed.push(`page error: ${e.message}`));
    await page.goto("/login");
    const f = form(page);
    await expect(page.getByRole("heading", { name: "Sign in to MAYI ID" })).toBeVisible();
    // The "Show password" control exists only once the WebAssembly has hydrated the page.
    await expect(f.showPassword).toBeVisible();
    await f.password.fill("visible now");
    await expect(f.password).toHaveAttribute("type", "password");
    await f.showPassword.check();
    await expect(f.password).toHaveAttribute("type", "text");
    await f.showPassword.uncheck();
    await expect(f.password).toHaveAttribute("type", "password");
    expect(failed).toEqual([]);
  });

  test("a wrong password is refused without reloading the page", async ({ page }) => {
    await page.goto("/login");
    const f = form(page);
    await expect(f.showPassword).toBeVisible(); // hydrated
    await f.username.fill(user.username);
    await f.password.fill("not the password at all");
    const navigations: string[] = [];
    page.on("framenavigated", (frame) => navigations.push(frame.url()));
    await f.submit.click();
    await expect(f.error).toHaveText("Wrong username or password.");
    expect(navigations).toEqual([]);
    // Nothing typed is lost.
    await expect(f.username).toHaveValue(user.username);
  });
});

test("a wrong password and an unknown user read the same", async ({ page }) => {
  await page.goto("/login");
  const f = form(page);
  await expect(f.showPassword).toBeVisible(); // hydrated
  const messages: string[] = [];
  for (const username of [user.username, "no-such-user-anywhere"]) {
    await f.username.fill(username);
    await f.password.fill("definitely not it");
    await f.submit.click();
    await expect(f.error).toBeVisible();
    messages.push((await f.error.textContent()) ?? "");
    await page.reload();
  }
  expect(messages).toEqual(["Wrong username or password.", "Wrong username or password."]);
});

test("the help page explains the two steps", async ({ page }) => {
  await page.goto("/login");
  await page.getByRole("link", { name: "Help with signing in" }).click();
  await expect(page).toHaveURL(/\/help\/signing-in$/);
  await expect(page.getByRole("heading", { level: 1, name: "Signing in to MAYI ID" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "2. Confirm it is you" })).toBeVisible();
  await page.getByRole("link", { name: "Go to sign-in" }).click();
  await expect(page).toHaveURL(/\/login$/);
});

test.describe("sign-in page, JavaScript off", () => {
  test.use({ javaScriptEnabled: false });

  test("renders the form and posts it", async ({ page }) => {
    await page.goto("/login");
    const f = form(page);
    await expect(page.getByRole("heading", { name: "Sign in to MAYI ID" })).toBeVisible();
    await expect(f.username).toHaveAttribute("autocomplete", "username");
    await expect(f.password).toHaveAttribute("autocomplete", "current-password");
    await expect(f.password).toHaveAttribute("type", "password");
    // Without JavaScript there is no "Show password" control that would do nothing.
    await expect(f.showPassword).toHaveCount(0);
    await f.username.fill("nobody-by-this-name");
    await f.password.fill("some password or other");
    await f.submit.click();
    await expect(page).toHaveURL(/\/login/);
    await expect(f.error).toHaveText("Wrong username or password.");
  });

  test("an unknown address shows the not-found page", async ({ page }) => {
    const response = await page.goto("/no/such/page");
    expect(response?.status()).toBe(404);
    await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
    await expect(page.getByRole("link", { name: "Go to sign-in" })).toBeVisible();
  });
});
