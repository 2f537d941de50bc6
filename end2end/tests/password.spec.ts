import { expect, test } from "@playwright/test";
import { password, signInWithApp } from "./fixtures";

// PW-9: change the password on the account page (current one first, the new one twice), with
// JavaScript on and off; the old password stops working, the new one signs in.
for (const javaScriptEnabled of [true, false]) {
  test.describe(`password change, JavaScript ${javaScriptEnabled ? "on" : "off"}`, () => {
    test.use({ javaScriptEnabled });

    test("changes the password", async ({ page }, info) => {
      const username = `pw-${javaScriptEnabled ? "js" : "nojs"}-${info.project.name}`;
      const next = "a completely new passphrase";
      const signIn = (secret: string, at: number) => signInWithApp(page, username, at, secret);
      await signIn(password, Date.now() / 1000);

      await page.getByLabel("Current password").fill(password);
      await page.getByLabel(/^New password \(/).fill(next);
      await page.getByLabel("New password again").fill("something else entirely");
      await page.getByRole("button", { name: "Change password" }).click();
      await expect(page.getByRole("alert")).toContainText("The two new passwords differ.");

      await page.getByLabel("Current password").fill(password);
      await page.getByLabel(/^New password \(/).fill(next);
      await page.getByLabel("New password again").fill(next);
      await page.getByRole("button", { name: "Change password" }).click();
      await expect(page.getByRole("status").filter({ hasText: "password was changed" })).toBeVisible();

      await page.getByRole("button", { name: "Sign out", exact: true }).click();
      await page.goto("/login");
      await page.getByLabel("Username").fill(username);
      await page.getByLabel("Password", { exact: true }).fill(password);
      await page.getByRole("button", { name: "Continue" }).click();
      await expect(page.getByRole("alert")).toContainText("Wrong username or password");
      await signIn(next, Date.now() / 1000 + 30);
    });
  });
}
