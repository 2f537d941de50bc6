import { expect, type Page, test } from "@playwright/test";
import * as path from "node:path";
import { password, receivedCode, signInWithApp, totpSecret } from "./fixtures";
import { totp } from "./totp";
import { csKey, csOf } from "./czech";

// `make help-pictures`: pictures of the real pages for the help center, written to
// public/help/{name}-phone.png and -desktop.png. Deterministic: demo names, and the values
// that change from run to run (the emergency code, its expiry) replaced by fixed examples
// before each picture. Skipped in the normal test run.
test.skip(!process.env.HELP_PICTURES, "only `make help-pictures` makes pictures");
// The marks are injected styles, which the pages' own policy rightly refuses.
test.use({ bypassCSP: true });

// HELP_PICTURES_LANG=cs makes the Czech pictures (public/help/cs/), finding every control by its
// Czech label.
const lang = process.env.HELP_PICTURES_LANG ?? "en";
const L = (english: string) => (lang === "cs" ? csOf(english) : english);
const out = path.join(__dirname, "..", "..", "public", "help", ...(lang === "en" ? [] : [lang]));
/** The values that change from run to run, as each language writes them. */
const example =
  lang === "cs"
    ? { utc: "20. 11. 2026 09:15 UTC", local: "29. 11. 2026 14:00", browser: "Chrome (Android)" }
    : { utc: "2026-11-20 09:15 UTC", local: "29/11/2026, 14:00:00", browser: "Chrome on Android" };

/** Chooses the pictures' language (the switch's cookie), then goes back to `to`. */
async function inLanguage(page: Page, to: string) {
  await page.goto(`/lang/${lang}?to=${encodeURIComponent(to)}`);
  await expect(page.locator("html")).toHaveAttribute("lang", lang);
}
const sizes = [
  { name: "phone", width: 390, height: 844 },
  { name: "desktop", width: 1280, height: 800 },
];

/** Marks an element with a thick outline (the thing the caption points at); `text` picks the
 *  one element of `selector` that contains it. */
async function mark(page: Page, selector: string, text = "") {
  await page.evaluate(
    ([selector, text]) => {
      const target = Array.from(document.querySelectorAll<HTMLElement>(selector)).find((el) => (el.textContent ?? "").includes(text));
      if (!target) throw new Error(`nothing to mark: ${selector} ${text}`);
      target.style.outline = "4px solid #d4351c";
      target.style.outlineOffset = "4px";
      target.style.display = target.style.display || "inline-block";
    },
    [selector, text],
  );
}

async function shoot(page: Page, name: string) {
  await page.waitForLoadState("networkidle");
  for (const size of sizes) {
    await page.setViewportSize({ width: size.width, height: size.height });
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.screenshot({ path: path.join(out, `${name}-${size.name}.png`), fullPage: true, animations: "disabled", caret: "hide" });
  }
}

test("pictures of the lost-phone path", async ({ page }, info) => {
  test.skip(info.project.name !== "desktop", "one run makes both sizes");
  await page.emulateMedia({ colorScheme: "light" });
  const username = "pictures";

  await inLanguage(page, "/login");
  await mark(page, ".emergency-link a");
  await shoot(page, "login");

  await inLanguage(page, "/emergency");
  await page.getByLabel(L("Username")).fill(username);
  await shoot(page, "wizard-1");
  await page.getByLabel(L("Password"), { exact: true }).fill(password);
  await page.getByRole("button", { name: L("Continue") }).click();
  await expect(page).toHaveURL(/\/emergency\/prove$/);
  await shoot(page, "wizard-2");
  await page.getByLabel(L("Confirmation code from the email")).fill(await receivedCode(`${username}@example.org`));
  await page.getByRole("button", { name: L("Confirm") }).click();
  await expect(page).toHaveURL(/\/emergency\/reason$/);
  await shoot(page, "wizard-3");
  await page.getByRole("button", { name: L("Get my emergency access code") }).click();
  await expect(page).toHaveURL(/\/emergency\/code$/);
  const code = (await page.getByLabel(L("Your emergency access code")).textContent()) ?? "";
  await page.evaluate((example) => {
    document.querySelector(".emergency-code code")!.textContent = "ABCD-EFGH-JKMN-PQRS";
    document.querySelector("dl.facts time")!.textContent = example.local;
  }, example);
  await shoot(page, "wizard-4");

  await inLanguage(page, "/login");
  await page.getByLabel(L("Username")).fill(username);
  await page.getByLabel(L("Password"), { exact: true }).fill(password);
  await page.getByRole("button", { name: L("Continue") }).click();
  await expect(page).toHaveURL(/\/login\/verify$/);
  await mark(page, ".emergency-choice", L("Lost your phone?"));
  await shoot(page, "emergency-sign-in");
  await page.getByLabel(L("Emergency access code")).fill(code);
  await page.getByRole("button", { name: L("Sign in with the emergency code") }).click();
  await expect(page).toHaveURL(/\/tokens$/);
  await expect(page.getByText(`${L("I lost this device")} (Lost phone)`)).toBeVisible();
  await page.evaluate((example) => {
    document.querySelectorAll(".recovery-banner time").forEach((t) => (t.textContent = example.local));
    document.querySelectorAll(".token dd").forEach((dd) => {
      if (/^(\d{4}-\d{2}-\d{2}|\d{1,2}\. \d{1,2}\. \d{4}) \d{2}:\d{2} UTC$/.test(dd.textContent ?? "")) dd.textContent = example.utc;
    });
  }, example);
  await mark(page, "details.confirm > summary", L("I lost this device"));
  await shoot(page, "restricted-tokens");
});

test("pictures of a stolen phone's checklist", async ({ page }, info) => {
  test.skip(info.project.name !== "desktop", "one run makes both sizes");
  await page.emulateMedia({ colorScheme: "light" });
  const username = "pictures-stolen";
  await inLanguage(page, "/emergency");
  await page.getByLabel(L("Username")).fill(username);
  await page.getByLabel(L("Password"), { exact: true }).fill(password);
  await page.getByRole("button", { name: L("Continue") }).click();
  await page.getByLabel(L("Confirmation code from the email")).fill(await receivedCode(`${username}@example.org`));
  await page.getByRole("button", { name: L("Confirm") }).click();
  await page.getByLabel(L("My phone was stolen")).check();
  await page.getByRole("button", { name: L("Get my emergency access code") }).click();
  const code = (await page.getByLabel(L("Your emergency access code")).textContent()) ?? "";
  await inLanguage(page, "/login");
  await page.getByLabel(L("Username")).fill(username);
  await page.getByLabel(L("Password"), { exact: true }).fill(password);
  await page.getByRole("button", { name: L("Continue") }).click();
  await page.getByLabel(L("Emergency access code")).fill(code);
  await page.getByRole("button", { name: L("Sign in with the emergency code") }).click();
  await expect(page).toHaveURL(/\/tokens$/);
  await expect(page.getByRole("region", { name: L("Your phone was stolen: lock the thief out") })).toBeVisible();
  await page.evaluate((example) => {
    document.querySelectorAll(".recovery-banner time").forEach((t) => (t.textContent = example.local));
  }, example);
  await mark(page, ".stolen-phone");
  await shoot(page, "restricted-stolen");
});

test("pictures of the readiness banner", async ({ page }, info) => {
  test.skip(info.project.name !== "desktop", "one run makes both sizes");
  await page.emulateMedia({ colorScheme: "light" });
  await signInWithApp(page, "pictures-ready");
  await inLanguage(page, "/account");
  await expect(page.getByRole("complementary", { name: L("You are one lost phone away from needing the help desk") })).toBeVisible();
  await page.evaluate((example) => {
    document.querySelectorAll(".token dd").forEach((dd) => {
      if (/^(\d{4}-\d{2}-\d{2}|\d{1,2}\. \d{1,2}\. \d{4}) \d{2}:\d{2} UTC$/.test(dd.textContent ?? "")) dd.textContent = example.utc;
    });
  }, example);
  await mark(page, ".readiness .actions");
  await shoot(page, "readiness");
});

test("pictures of a new set of recovery codes", async ({ page }, info) => {
  test.skip(info.project.name !== "desktop", "one run makes both sizes");
  await page.emulateMedia({ colorScheme: "light" });
  await signInWithApp(page, "pictures-recovery");
  await inLanguage(page, "/account");
  await page.getByRole("button", { name: L("Make recovery codes") }).click();
  await expect(page).toHaveURL(/\/account\/recovery-codes$/);
  const examples = ["7QK2M-9ZD4P", "H3XW8-RT6VB", "N5C1J-QY7GE", "2MFP9-KD3WS", "TB8VZ-46HRQ", "XJ4NC-8PM2D", "5RWG7-ZK9TA", "DQ3HM-1VX6C", "KP8YE-5NB2W", "W9TJD-3GQ7M"];
  await page.evaluate((examples) => {
    document.querySelectorAll(".recovery-code-list code").forEach((c, i) => (c.textContent = examples[i]));
  }, examples);
  await expect(page.getByRole("button", { name: L("Print") })).toBeVisible();
  await shoot(page, "recovery-codes");
});

test("pictures of the token list", async ({ page }, info) => {
  test.skip(info.project.name !== "desktop", "one run makes both sizes");
  await page.emulateMedia({ colorScheme: "light" });
  await inLanguage(page, "/login");
  await page.getByLabel(L("Username")).fill("pictures-tokens");
  await page.getByLabel(L("Password"), { exact: true }).fill(password);
  await page.getByRole("button", { name: L("Continue") }).click();
  const app = page.getByRole("region", { name: "Work app" });
  await app.getByLabel(L("6-digit code")).fill(totp(totpSecret));
  await app.getByRole("button", { name: lang === "cs" ? csKey("common.verify_button") : "Sign in" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await inLanguage(page, "/tokens");
  await page.evaluate((example) => {
    document.querySelectorAll(".token dd").forEach((dd) => {
      if (/^(\d{4}-\d{2}-\d{2}|\d{1,2}\. \d{1,2}\. \d{4}) \d{2}:\d{2} UTC$/.test(dd.textContent ?? "")) dd.textContent = example.utc;
    });
  }, example);
  await mark(page, "details.confirm > summary", `${L("I lost this device")} (Old phone)`);
  await shoot(page, "tokens");
});

test("pictures of the console", async ({ page }, info) => {
  test.skip(info.project.name !== "desktop", "one run makes both sizes");
  await page.emulateMedia({ colorScheme: "light" });
  await signInWithApp(page, "pictures-op");
  await inLanguage(page, "/admin");
  await page.getByLabel(L("Username, name, email or phone number")).fill("console-user");
  await page.getByRole("button", { name: L("Search") }).click();
  await expect(page.getByRole("table", { name: L("Results") })).toBeVisible();
  await shoot(page, "console-search");
  await page.getByRole("table", { name: L("Results") }).getByRole("link", { name: "console-user-desktop" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("console-user-desktop");
  await page.evaluate((example) => {
    document.querySelectorAll("td, dd").forEach((cell) => {
      if (/^(\d{4}-\d{2}-\d{2}|\d{1,2}\. \d{1,2}\. \d{4}) \d{2}:\d{2} UTC$/.test(cell.textContent ?? "")) cell.textContent = example.utc;
    });
  }, example);
  await page.getByText(L("Issue an emergency access code"), { exact: true }).click();
  await mark(page, "details", L("Issue an emergency access code"));
  await shoot(page, "console-user");
});

test("pictures of adding a passkey", async ({ page }, info) => {
  test.skip(info.project.name !== "desktop", "one run makes both sizes");
  await page.emulateMedia({ colorScheme: "light" });
  // A virtual security key (CDP), touched at once when asked.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "usb", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  await inLanguage(page, "/login");
  await page.getByLabel(L("Username")).fill("pictures-passkey");
  await page.getByLabel(L("Password"), { exact: true }).fill(password);
  await page.getByRole("button", { name: L("Continue") }).click();
  const app = page.getByRole("region", { name: "Authenticator app" });
  await app.getByLabel(L("6-digit code")).fill(totp(totpSecret));
  await app.getByRole("button", { name: lang === "cs" ? csKey("common.verify_button") : "Sign in" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await inLanguage(page, "/tokens");
  const add = page.getByRole("region", { name: L("Add a passkey or security key") });
  await add.getByLabel(L("Name of this passkey or key")).fill("Key ring");
  await add.getByLabel(L("Device or key it is on")).fill("YubiKey");
  await add.getByRole("button", { name: L("Add a passkey or security key") }).click();
  await expect(page.getByRole("list", { name: `${L("Tokens on")} YubiKey` })).toBeVisible();
  await page.reload();
  await page.evaluate((example) => {
    document.querySelectorAll(".token dd").forEach((dd) => {
      if (/^(\d{4}-\d{2}-\d{2}|\d{1,2}\. \d{1,2}\. \d{4}) \d{2}:\d{2} UTC$/.test(dd.textContent ?? "")) dd.textContent = example.utc;
    });
    const device = document.querySelector<HTMLInputElement>("#passkey-device");
    if (device) device.value = example.browser;
  }, example);
  await mark(page, "section.add-token", L("Add a passkey or security key"));
  await shoot(page, "passkey");
});
