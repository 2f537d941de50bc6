import { expect, test } from "@playwright/test";
import { signInWithApp } from "./fixtures";
import { totp } from "./totp";

// Issue 14 item 5: while every sign-in method is on one device, or there is no recovery address
// and no recovery code, /account and /tokens say the account is one lost phone away from
// needing the help desk, with the two actions that fix it. Accounts (start-server.sh):
// ready-<js|nojs>-<project>, one app on "Pixel 7", no recovery address.
for (const javaScriptEnabled of [true, false]) {
  test.describe(`readiness, JavaScript ${javaScriptEnabled ? "on" : "off"}`, () => {
    test.use({ javaScriptEnabled });

    test("the banner names what is missing until both are fixed", async ({ page }, info) => {
      const username = `ready-${javaScriptEnabled ? "js" : "nojs"}-${info.project.name}`;
      await signInWithApp(page, username);
      const banner = page.getByRole("complementary", { name: "You are one lost phone away from needing the help desk" });
      await expect(banner.getByRole("listitem")).toHaveText([
        "Every sign-in method is on Pixel 7.",
        "You have no recovery address and no recovery codes.",
      ]);

      // First fix: recovery codes, from the banner's link.
      await banner.getByRole("link", { name: "Make recovery codes" }).click();
      await expect(page).toHaveURL(/\/account#recovery-codes-heading$/);
      await page.getByRole("region", { name: "Recovery codes" }).getByRole("button", { name: "Make recovery codes" }).click();
      await expect(page.getByRole("list", { name: "Your recovery codes" }).getByRole("listitem")).toHaveCount(10);
      await page.getByRole("link", { name: "I have kept them" }).click();
      await expect(banner.getByRole("listitem")).toHaveText(["Every sign-in method is on Pixel 7."]);

      // Second fix: an app on another device, from the banner's other link.
      await banner.getByRole("link", { name: "Add a sign-in method on another device" }).click();
      await expect(page).toHaveURL(/\/tokens#add-totp-heading$/);
      const add = page.getByRole("region", { name: "Add an authenticator app" });
      await add.getByLabel("Phone it is on").fill("Tablet");
      await add.getByRole("button", { name: "Set up a new app" }).click();
      const key = (await add.getByLabel("Setup key").textContent())?.replace(/\s+/g, "") ?? "";
      await add.getByLabel("6-digit code the app shows now").fill(totp(key));
      await add.getByRole("button", { name: "Finish" }).click();
      await expect(page.getByRole("list", { name: "Tokens on Tablet" }).getByRole("listitem")).toHaveCount(1);
      await expect(banner).toHaveCount(0);
      await page.goto("/account");
      await expect(page.getByRole("heading", { name: "Recovery codes" })).toBeVisible();
      await expect(banner).toHaveCount(0);
    });
  });
}
