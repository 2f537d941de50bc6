import { expect, test, type Page } from "@playwright/test";
import { csKey, csOf, csPlural } from "./czech";
import { password, receivedCode, totpSecret } from "./fixtures";
import { totp } from "./totp";

// Issue 19: a Czech speaker does both paths of the lost-phone help page end to end in Czech, on
// the phone, with JavaScript on and off: the header's switch, sign-in with another token and
// "I lost this device", then Emergency Access, the restricted session and a new app. Every
// control is found by its Czech label, read from app/locales/cs.

async function expectCzech(page: Page) {
  await expect(page.locator("html")).toHaveAttribute("lang", "cs");
}

/** Chooses Czech with the header's switch on the sign-in page. */
async function switchToCzech(page: Page) {
  await page.goto("/login");
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await page.getByRole("navigation", { name: "Language" }).getByRole("link", { name: "Čeština" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expectCzech(page);
}

async function enterPassword(page: Page, username: string) {
  await page.getByLabel(csOf("Username")).fill(username);
  await page.getByLabel(csOf("Password"), { exact: true }).fill(password);
  await page.getByRole("button", { name: csKey("common.sign_in_button") }).click();
  await expect(page).toHaveURL(/\/login\/verify$/);
  await expectCzech(page);
}

/** Adds an authenticator app on "Nový telefon" from the setup key; returns its secret. */
async function enrolNewApp(page: Page): Promise<string> {
  const add = page.getByRole("region", { name: csOf("Add an authenticator app") });
  await add.getByLabel(csOf("Phone it is on")).fill("Nový telefon");
  await add.getByRole("button", { name: csOf("Set up a new app") }).click();
  const key = (await add.getByLabel(csOf("Setup key")).textContent())?.replace(/\s+/g, "") ?? "";
  expect(key).toMatch(/^[A-Z2-7]{32}$/);
  await add.getByLabel(csOf("6-digit code the app shows now")).fill(totp(key));
  await add.getByRole("button", { name: csOf("Finish") }).click();
  await expect(
    page.getByRole("list", { name: `${csKey("tokens.tokens_on")} Nový telefon` }).getByRole("listitem"),
  ).toHaveCount(1);
  return key;
}

for (const javaScriptEnabled of [true, false]) {
  const js = javaScriptEnabled ? "js" : "nojs";
  test.describe(`in Czech, JavaScript ${javaScriptEnabled ? "on" : "off"}`, () => {
    test.use({ javaScriptEnabled });
    test.beforeEach(({}, info) => {
      test.skip(info.project.name !== "phone", "the Czech paths run on the phone viewport");
    });

    test("the header switches the language and remembers it", async ({ page }) => {
      await switchToCzech(page);
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(csKey("common.sign_in_heading"));
      await expect(page).toHaveTitle(`${csKey("common.sign_in_title")} · MAYI ID`);
      // Remembered: another page is Czech too.
      await page.getByRole("link", { name: csKey("emergency.lost_phone_link") }).click();
      await expect(page).toHaveURL(/\/emergency$/);
      await expectCzech(page);
      await expect(page.getByRole("navigation", { name: csKey("emergency.emergency_steps_label") })).toBeVisible();
      // And back to English, on the same page.
      await page.getByRole("navigation", { name: csKey("common.language_switch") }).getByRole("link", { name: "English" }).click();
      await expect(page).toHaveURL(/\/emergency$/);
      await expect(page.locator("html")).toHaveAttribute("lang", "en");
      await expect(page.getByRole("navigation", { name: "Emergency Access steps" })).toBeVisible();
    });

    test("first path: another token at hand, remove the lost phone's tokens, add a new app", async ({ page }) => {
      await switchToCzech(page);
      await enterPassword(page, `cs-lost-${js}-phone`);
      const backup = page.getByRole("region", { name: "Backup app" });
      await backup.getByLabel(csKey("common.verify_code")).fill(totp(totpSecret));
      await backup.getByRole("button", { name: csKey("common.verify_button") }).click();
      await expect(page).toHaveURL(/\/account$/);
      await expect(page).toHaveTitle(`${csKey("common.account_title")} · MAYI ID`);

      await page.getByRole("link", { name: csKey("tokens.manage_tokens") }).click();
      await expect(page).toHaveURL(/\/tokens$/);
      const oldPhone = page.getByRole("list", { name: `${csKey("tokens.tokens_on")} Old phone` });
      await expect(oldPhone.getByRole("listitem")).toHaveCount(2);

      // "Ztratil(a) jsem toto zařízení": the Czech plural for two tokens ("2 tokeny").
      await page.getByText(`${csKey("tokens.lost_device")} (Old phone)`).click();
      await expect(page.getByText(csPlural("tokens.lost_device_explained", 2, { device: "Old phone" }))).toBeVisible();
      await page.getByRole("button", { name: `${csKey("tokens.lost_device_confirm")} Old phone` }).click();
      if (javaScriptEnabled) {
        await expect(page.getByRole("status")).toHaveText(csPlural("tokens.lost_device_done", 2, { device: "Old phone" }));
      }
      await expect(oldPhone).toHaveCount(0);
      await expect(page.getByRole("list", { name: `${csKey("tokens.tokens_on")} Tablet` }).getByRole("listitem")).toHaveCount(1);

      await enrolNewApp(page);
      await expectCzech(page);
    });

    test("second path: Emergency Access, the restricted session, a new app, finish", async ({ page }) => {
      const username = `cs-emergency-${js}-phone`;
      await switchToCzech(page);
      await page.getByRole("link", { name: csKey("emergency.lost_phone_link") }).click();
      const steps = page.getByRole("navigation", { name: csKey("emergency.emergency_steps_label") });
      await expect(steps.locator('[aria-current="step"]')).toContainText(csKey("emergency.step_who"));

      await page.getByLabel(csOf("Username")).fill(username);
      await page.getByLabel(csOf("Password"), { exact: true }).fill(password);
      await page.getByRole("button", { name: csKey("common.sign_in_button") }).click();
      await expect(page).toHaveURL(/\/emergency\/prove$/);
      await expect(steps.locator('[aria-current="step"]')).toContainText(csKey("emergency.step_prove"));
      await page.getByLabel(csKey("emergency.prove_code_label")).fill(await receivedCode(`${username}@example.org`));
      await page.getByRole("button", { name: csKey("emergency.prove_button") }).click();

      await expect(page).toHaveURL(/\/emergency\/reason$/);
      await expect(steps.locator('[aria-current="step"]')).toContainText(csKey("emergency.step_why"));
      await page.getByLabel(csOf("I lost my phone (or it broke)")).check();
      await page.getByRole("button", { name: csKey("emergency.reason_button") }).click();

      await expect(page).toHaveURL(/\/emergency\/code$/);
      await expect(steps.locator('[aria-current="step"]')).toContainText(csKey("emergency.step_code"));
      const code = (await page.getByLabel(csKey("emergency.code_label")).textContent()) ?? "";
      expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
      // Valid until a date written the Czech way ("4. 12. 2026 15:00 UTC" without JavaScript).
      if (!javaScriptEnabled) await expect(page.getByText(/^\d{1,2}\. \d{1,2}\. \d{4} \d\d:\d\d UTC$/)).toBeVisible();

      // Password, then the code instead of the OTP.
      await page.goto("/login");
      await expectCzech(page);
      await enterPassword(page, username);
      await page.getByLabel(csOf("Emergency access code")).fill(code);
      await page.getByRole("button", { name: csOf("Sign in with the emergency code") }).click();
      await expect(page).toHaveURL(/\/tokens$/);
      const banner = page.getByRole("complementary", { name: new RegExp(`^${csKey("emergency.banner_heading")}: 2 ${csKey("emergency.banner_uses")}`) });
      await expect(banner).toBeVisible();

      await page.getByText(`${csKey("tokens.lost_device")} (Lost phone)`).click();
      await page.getByRole("button", { name: `${csKey("tokens.lost_device_confirm")} Lost phone` }).click();
      await expect(page.getByRole("list", { name: `${csKey("tokens.tokens_on")} Lost phone` })).toHaveCount(0);
      const key = await enrolNewApp(page);

      await banner.getByRole("button", { name: csOf("Finish recovery") }).click();
      await expect(page).toHaveURL(/\/login\?recovered=1$/);
      await expectCzech(page);
      await expect(page.getByRole("status")).toContainText(csOf("Recovery is finished and your emergency access code is cancelled. Sign in with your new token."));

      // The new app signs in (its next code: the first one enrolled it).
      await enterPassword(page, username);
      const app = page.getByRole("region", { name: csKey("common.kind_totp") });
      await app.getByLabel(csKey("common.verify_code")).fill(totp(key, Date.now() / 1000 + 30));
      await app.getByRole("button", { name: csKey("common.verify_button") }).click();
      await expect(page).toHaveURL(/\/account$/);
      await expect(page.getByRole("list", { name: csKey("common.account_tokens") })).toContainText("Nový telefon");
    });
  });
}
