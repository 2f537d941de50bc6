import { expect, test } from "@playwright/test";
import { password, totpSecret } from "./fixtures";
import { totp } from "./totp";

// The seed's first path: with another token still at hand, sign in, remove every token of the
// lost phone at once, and keep the rest.
for (const javaScriptEnabled of [true, false]) {
  test.describe(`token list, JavaScript ${javaScriptEnabled ? "on" : "off"}`, () => {
    test.use({ javaScriptEnabled });

    test("I lost this device removes its tokens only; the last token stays", async ({ page }, info) => {
      const username = `lost-${javaScriptEnabled ? "js" : "nojs"}-${info.project.name}`;
      await page.goto("/login");
      await page.getByLabel("Username").fill(username);
      await page.getByLabel("Password", { exact: true }).fill(password);
      await page.getByRole("button", { name: "Continue" }).click();
      const backup = page.getByRole("region", { name: "Backup app" });
      await backup.getByLabel("6-digit code").fill(totp(totpSecret));
      await backup.getByRole("button", { name: "Sign in" }).click();
      await expect(page).toHaveURL(/\/account$/);

      await page.getByRole("link", { name: "Manage your tokens" }).click();
      await expect(page).toHaveURL(/\/tokens$/);
      const oldPhone = page.getByRole("list", { name: "Tokens on Old phone" });
      await expect(oldPhone.getByRole("listitem")).toHaveCount(2);
      await expect(page.getByRole("list", { name: "Tokens on Tablet" }).getByRole("listitem")).toHaveCount(1);

      await page.getByText("I lost this device (Old phone)").click();
      await expect(page.getByText(/removes all 2 tokens on Old phone/)).toBeVisible();
      await page.getByRole("button", { name: "Yes, I lost Old phone" }).click();
      if (javaScriptEnabled) {
        await expect(page.getByRole("status")).toHaveText("Removed 2 tokens on Old phone.");
      }
      await expect(oldPhone).toHaveCount(0);
      const tablet = page.getByRole("list", { name: "Tokens on Tablet" });
      await expect(tablet.getByRole("listitem")).toHaveCount(1);

      // The last token cannot go: the page says why.
      await tablet.getByText("Remove Backup app").click();
      await expect(tablet.getByText(/Remove “Backup app” \(Authenticator app, Tablet\)\?/)).toBeVisible();
      await page.getByRole("button", { name: "Yes, remove “Backup app”" }).click();
      await expect(page.getByRole("alert")).toContainText("This would remove your last token");
      await expect(page.getByRole("list", { name: "Tokens on Tablet" }).getByRole("listitem")).toHaveCount(1);

      // Enrol again on the new phone: set up an authenticator app, confirm with its first code.
      const add = page.getByRole("region", { name: "Add an authenticator app" });
      await add.getByLabel("Phone it is on").fill("New phone");
      await add.getByRole("button", { name: "Set up a new app" }).click();
      await expect(add.getByRole("img", { name: /QR code/ })).toBeVisible();
      const key = (await add.getByLabel("Setup key").textContent())?.replace(/\s+/g, "") ?? "";
      await add.getByLabel("6-digit code the app shows now").fill(totp(key));
      await add.getByRole("button", { name: "Finish" }).click();
      const newPhone = page.getByRole("list", { name: "Tokens on New phone" });
      await expect(newPhone.getByRole("listitem")).toHaveCount(1);
      await expect(newPhone).toContainText("Authenticator app");
      if (javaScriptEnabled) {
        await expect(page.getByRole("status").filter({ hasText: "Added" })).toHaveText("Added “Authenticator app”.");
      }

      // Rename a token: its label and device are the owner's to edit.
      const tabletList = page.getByRole("list", { name: "Tokens on Tablet" });
      await tabletList.getByText("Rename Backup app").click();
      await tabletList.getByLabel("Name of this token").fill("Spare app");
      await tabletList.getByRole("button", { name: "Save" }).click();
      await expect(page.getByRole("list", { name: "Tokens on Tablet" })).toContainText("Spare app");
      await expect(page.getByRole("list", { name: "Tokens on Tablet" })).not.toContainText("Backup app");
    });
  });
}
