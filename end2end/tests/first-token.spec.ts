import { expect, test } from "@playwright/test";
import { displayName, password } from "./fixtures";
import { totp } from "./totp";

// An account that never had a token sets up its first authenticator app right after the
// password step, and is signed in by the app's first code.
for (const javaScriptEnabled of [true, false]) {
  test.describe(`first token, JavaScript ${javaScriptEnabled ? "on" : "off"}`, () => {
    test.use({ javaScriptEnabled });

    test("sets up an authenticator app and signs in with its first code", async ({ page }, info) => {
      const username = `fresh-${javaScriptEnabled ? "js" : "nojs"}-${info.project.name}`;
      await page.goto("/login");
      await page.getByLabel("Username").fill(username);
      await page.getByLabel("Password", { exact: true }).fill(password);
      await page.getByRole("button", { name: "Continue" }).click();
      await expect(page).toHaveURL(/\/login\/verify$/);
      await expect(page.getByRole("heading", { name: "Set up your authenticator app" })).toBeVisible();

      await page.getByLabel("Phone it is on").fill("Pixel 9");
      await page.getByRole("button", { name: "Set up" }).click();

      await expect(page.getByRole("img", { name: /QR code/ })).toBeVisible();
      const link = page.getByRole("link", { name: "Open in authenticator app" });
      const href = (await link.getAttribute("href")) ?? "";
      expect(href).toMatch(new RegExp(`^otpauth://totp/MAYI%20ID:${username}\\?`));
      const key = (await page.getByLabel("Setup key").textContent())?.replace(/\s+/g, "") ?? "";
      expect(key).toMatch(/^[A-Z2-7]{32}$/); // 160 bits (OTP-1)
      expect(new URL(href.replace("otpauth://", "https://")).searchParams.get("secret")).toBe(key);
      expect(href).toContain("issuer=MAYI%20ID");

      // A code no step of the window accepts (so this check can never pass by chance).
      const now = Date.now() / 1000;
      const window = [now - 30, now, now + 30, now + 60].map((t) => totp(key, t));
      const wrong = ["000000", "111111", "222222", "333333", "444444"].find((c) => !window.includes(c))!;
      await page.getByLabel("6-digit code the app shows now").fill(wrong);
      await page.getByRole("button", { name: "Finish and sign in" }).click();
      await expect(page.getByRole("alert")).toContainText("That code is not valid");

      await page.getByLabel("6-digit code the app shows now").fill(totp(key));
      await page.getByRole("button", { name: "Finish and sign in" }).click();
      await expect(page).toHaveURL(/\/account$/);
      await expect(page.getByRole("heading", { level: 1, name: displayName })).toBeVisible();
      const tokens = page.getByRole("list", { name: "Your tokens" });
      await expect(tokens).toContainText("Authenticator app");
      await expect(tokens).toContainText("Pixel 9");
    });
  });
}
