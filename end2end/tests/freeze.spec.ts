import { expect, test } from "@playwright/test";
import { password, totpSecret } from "./fixtures";
import { totp } from "./totp";

// "Block my lost phone now" (issue 13): the username and password alone block every sign-in
// method of the stolen phone and sign everyone out; nothing else is unlocked. Back in with the
// tablet's app, the owner sees the blocked app and unblocks it when the phone turns up.
for (const javaScriptEnabled of [true, false]) {
  test.describe(`block my lost phone now, JavaScript ${javaScriptEnabled ? "on" : "off"}`, () => {
    test.use({ javaScriptEnabled });

    test("blocks the stolen phone with the password alone, then unblocks it after signing in", async ({ page }, info) => {
      const username = `freeze-${javaScriptEnabled ? "js" : "nojs"}-${info.project.name}`;
      await page.goto("/login");
      await page.getByRole("link", { name: "Phone lost or stolen? Block it now" }).click();
      await expect(page).toHaveURL(/\/freeze$/);
      await expect(page.getByRole("heading", { name: "Block a lost or stolen phone" })).toBeVisible();

      // A wrong password blocks nothing and says what sign-in says.
      await page.getByLabel("Username").fill(username);
      await page.getByLabel("Password", { exact: true }).fill("not the password");
      await page.getByRole("button", { name: "Continue" }).click();
      await expect(page.getByRole("alert")).toContainText(/username or password/i);

      await page.getByLabel("Username").fill(username);
      await page.getByLabel("Password", { exact: true }).fill(password);
      await page.getByRole("button", { name: "Continue" }).click();
      await expect(page).toHaveURL(/\/freeze\/device$/);
      const devices = page.getByRole("list", { name: "Your devices" });
      await expect(devices.getByRole("listitem")).toHaveCount(2);
      await expect(devices).toContainText("Stolen phone (1 sign-in method)");
      await page.getByRole("button", { name: "Block Stolen phone" }).click();

      await expect(page).toHaveURL(/\/freeze\/done$/);
      await expect(page.getByRole("heading", { name: "The phone is blocked" })).toBeVisible();
      await expect(page.getByRole("status")).toContainText("Every sign-in method on that phone is blocked");

      // Signing in offers the tablet's app only.
      await page.getByRole("link", { name: "Sign in with a sign-in method on another device" }).click();
      await page.getByLabel("Username").fill(username);
      await page.getByLabel("Password", { exact: true }).fill(password);
      await page.getByRole("button", { name: "Continue" }).click();
      await expect(page.getByRole("region", { name: "Authenticator app" })).toHaveCount(0);
      const backup = page.getByRole("region", { name: "Backup app" });
      await backup.getByLabel("6-digit code").fill(totp(totpSecret));
      await backup.getByRole("button", { name: "Sign in" }).click();
      await expect(page).toHaveURL(/\/account$/);

      // The token list shows the blocked app with when it was blocked; unblock it.
      await page.goto("/tokens");
      const blocked = page.getByRole("list", { name: "Blocked sign-in methods" });
      await expect(blocked.getByRole("listitem")).toHaveCount(1);
      await expect(blocked).toContainText(/Authenticator app on Stolen phone, blocked \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
      // The page was loaded anew: with JavaScript on, a click before hydration is a plain form
      // post, so the end state (not the status line) is what is checked, in both modes.
      await page.getByRole("button", { name: "Unblock Authenticator app" }).click();
      await expect(page.getByRole("list", { name: "Blocked sign-in methods" })).toHaveCount(0);
      await expect(page.getByRole("list", { name: "Tokens on Stolen phone" }).getByRole("listitem")).toHaveCount(1);
    });
  });
}
