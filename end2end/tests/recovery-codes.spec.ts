import { expect, test } from "@playwright/test";
import { password, signInWithApp } from "./fixtures";
import { signInWithCode } from "./wizard";

// Issue 14 item 4: printable one-time recovery codes. Made on the account page (offered while
// there are none), shown once with a text-file download and a print view; one of them, typed
// where the 6-digit code goes, opens the restricted session that replaces the lost phone's
// tokens; the account page counts what is left. Accounts (start-server.sh):
// recovery-<js|nojs>-<project>, every token on "Lost phone", a recovery address.
for (const javaScriptEnabled of [true, false]) {
  test.describe(`recovery codes, JavaScript ${javaScriptEnabled ? "on" : "off"}`, () => {
    test.use({ javaScriptEnabled });

    test("make a set, keep it, then sign in with one after losing the phone", async ({ page, context }, info) => {
      const username = `recovery-${javaScriptEnabled ? "js" : "nojs"}-${info.project.name}`;
      await signInWithApp(page, username);
      const section = page.getByRole("region", { name: "Recovery codes" });
      await expect(section.getByText("You have no recovery codes yet.")).toBeVisible();
      await section.getByRole("button", { name: "Make recovery codes" }).click();

      await expect(page).toHaveURL(/\/account\/recovery-codes$/);
      const list = page.getByRole("list", { name: "Your recovery codes" });
      await expect(list.getByRole("listitem")).toHaveCount(10);
      const codes = (await list.getByRole("listitem").allTextContents()).map((c) => c.trim());
      for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
      const download = page.getByRole("link", { name: "Download as a text file" });
      await expect(download).toHaveAttribute("download", "mayi-id-recovery-codes.txt");
      const href = (await download.getAttribute("href")) ?? "";
      const file = decodeURIComponent(href.replace(/^data:text\/plain;charset=utf-8,/, ""));
      expect(file).toContain(`MAYI ID recovery codes for ${username}`);
      for (const code of codes) expect(file).toContain(code);
      if (javaScriptEnabled) {
        await expect(page.getByRole("button", { name: "Print" })).toBeVisible();
        // The print view: only the codes and how to use them.
        await page.emulateMedia({ media: "print" });
        await expect(list).toBeVisible();
        await expect(page.locator(".site-header")).toBeHidden();
        await expect(download).toBeHidden();
        await page.emulateMedia({ media: "screen" });
      } else {
        await expect(page.getByText(/use your browser's Print command/)).toBeVisible();
      }
      // Shown once.
      await page.reload();
      await expect(page.getByText(/shown once and is never shown again/)).toBeVisible();
      await expect(page.getByRole("list", { name: "Your recovery codes" })).toHaveCount(0);
      await page.getByRole("link", { name: "Back to your account" }).click();
      await expect(section.getByText(/You have 10 of 10 recovery codes left/)).toBeVisible();

      // The phone is gone: password, then a recovery code where the 6-digit code goes.
      await context.clearCookies();
      await page.goto("/login");
      await page.getByLabel("Username").fill(username);
      await page.getByLabel("Password", { exact: true }).fill(password);
      await page.getByRole("button", { name: "Continue" }).click();
      await expect(page).toHaveURL(/\/login\/verify$/);
      const app = page.getByRole("region", { name: "Authenticator app" });
      await app.getByLabel("6-digit code").fill(codes[4].toLowerCase());
      await app.getByRole("button", { name: "Sign in" }).click();
      await expect(page).toHaveURL(/\/tokens$/);
      const banner = page.getByRole("complementary", { name: /Signed in with a recovery code, valid until/ });
      await expect(banner).toBeVisible();
      await page.getByText("Block this device (Lost phone)").click();
      await page.getByRole("button", { name: "Yes, block Lost phone" }).click();
      await expect(banner.getByRole("listitem").first()).toContainText("(done)");
      await page.goto("/account");
      await expect(section.getByText(/You have 9 of 10 recovery codes left/)).toBeVisible();
      await expect(section.getByText(/once recovery is finished/)).toBeVisible();
      await expect(section.getByRole("button", { name: /Make/ })).toHaveCount(0);

      // The same code again is refused.
      await context.clearCookies();
      await signInWithCode(page, username, codes[4]);
      await expect(page.getByRole("alert")).toContainText("not valid");
    });
  });
}
