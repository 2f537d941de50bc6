import { expect, test } from "@playwright/test";
import { password, signInWithApp } from "./fixtures";
import { totp } from "./totp";
import { runWizard, signInWithCode } from "./wizard";

// Issue 14 item 3: the restricted session's checklist follows the reason given in the wizard.
// For a stolen phone, whoever holds the phone may know the password and be signed in: the
// restricted session (and only one opened for that reason) may change the password and sign out
// every other session, and "Finish recovery" signs everyone else out in any case. Accounts
// (start-server.sh): stolen-<js|nojs>-<project>, every token on "Lost phone", a recovery address.
const newPassword = "a brand new passphrase for the e2e";

for (const javaScriptEnabled of [true, false]) {
  test.describe(`a stolen phone, JavaScript ${javaScriptEnabled ? "on" : "off"}`, () => {
    test.use({ javaScriptEnabled });

    test("change the password, sign the thief out, block the phone, finish", async ({ page, browser }, info) => {
      const username = `stolen-${javaScriptEnabled ? "js" : "nojs"}-${info.project.name}`;
      // The thief: the stolen phone's app and the password open a full session elsewhere.
      const thiefContext = await browser.newContext();
      const thief = await thiefContext.newPage();
      await signInWithApp(thief, username);

      const code = await runWizard(page, username, javaScriptEnabled, "My phone was stolen");
      await signInWithCode(page, username, code);
      await expect(page).toHaveURL(/\/tokens$/);
      const banner = page.getByRole("complementary", { name: /Emergency access: 2 uses left/ });
      const items = banner.getByRole("listitem");
      await expect(items).toHaveText([
        "Block or remove the tokens of the stolen phone (to do)",
        "Choose a new password: whoever has your phone may know it (to do)",
        "Sign out every other session (Finish recovery does it too) (optional) (to do)",
        "Add at least one new token (to do)",
        "Finish recovery (to do)",
      ]);
      const stolen = banner.getByRole("region", { name: "Your phone was stolen: lock the thief out" });

      // A new password, keeping the other sessions for now.
      await stolen.getByLabel("Current password").fill(password);
      await stolen.getByLabel(/^New password \(at least 8/).fill(newPassword);
      await stolen.getByLabel("New password again").fill(newPassword);
      await stolen.getByLabel("Also sign out every other session").uncheck();
      await stolen.getByRole("button", { name: "Change password" }).click();
      await expect(page.getByRole("status").filter({ hasText: "Your password was changed" })).toBeVisible();
      await expect(items.nth(1)).toContainText("(done)");
      await expect(items.nth(2)).toContainText("(to do)");

      // Then sign the thief out.
      await stolen.getByRole("button", { name: "Sign out every other session" }).click();
      await expect(stolen.getByText("No other session is signed in.")).toBeVisible();
      await expect(items.nth(2)).toContainText("(done)");
      await thief.goto("/account");
      await expect(thief).toHaveURL(/\/login/);
      await thiefContext.close();

      // Block every token of the stolen phone.
      await page.getByText("Block this device (Lost phone)").click();
      await page.getByRole("button", { name: "Yes, block Lost phone" }).click();
      await expect(items.first()).toContainText("(done)");
      await expect(banner.getByText(/Finish recovery becomes available once the steps above/)).toBeVisible();

      if (javaScriptEnabled) {
        // A new app on the new phone, then finish: everyone else is signed out.
        const add = page.getByRole("region", { name: "Add an authenticator app" });
        await add.getByLabel("Phone it is on").fill("New phone");
        await add.getByRole("button", { name: "Set up a new app" }).click();
        const key = (await add.getByLabel("Setup key").textContent())?.replace(/\s+/g, "") ?? "";
        await add.getByLabel("6-digit code the app shows now").fill(totp(key));
        await add.getByRole("button", { name: "Finish" }).click();
        await expect(items.nth(3)).toContainText("(done)");
        await expect(banner.getByText("Finishing signs out every other session of your account.")).toBeVisible();
        await banner.getByRole("button", { name: "Finish recovery" }).click();
        await expect(page).toHaveURL(/\/login\?recovered=1$/);
      }

      // The old password no longer opens the account; the new one does.
      await page.context().clearCookies();
      await page.goto("/login");
      await page.getByLabel("Username").fill(username);
      await page.getByLabel("Password", { exact: true }).fill(password);
      await page.getByRole("button", { name: "Continue" }).click();
      await expect(page.getByRole("alert")).toContainText(/not right|not valid|wrong/i);
      if (javaScriptEnabled) {
        await page.getByLabel("Password", { exact: true }).fill(newPassword);
        await page.getByRole("button", { name: "Continue" }).click();
        await expect(page).toHaveURL(/\/login\/verify$/);
      } else {
        // No token is left (the phone's are blocked): the code's last use, with the new password.
        await signInWithCode(page, username, code, newPassword);
        await expect(page).toHaveURL(/\/tokens$/);
        await expect(page.getByRole("complementary", { name: /Emergency access: 1 use/ })).toBeVisible();
      }
    });
  });
}
