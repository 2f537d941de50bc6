import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { expectStyledPage, password, signInWithApp, totpSecret } from "./fixtures";
import { totp } from "./totp";

// Signing in to other applications through MAYI ID (issue 18). The applications are
// server/examples/oidc_client.rs, a small server using the `openidconnect` crate, started by
// start-server.sh on E2E_RP_PORT: "Wiki" (run by the organisation: no consent) and "Forum" (a
// public client that is not: PKCE and a consent page). They verify the ID token against the
// JWKS with their nonce and read userinfo; their page says what they learned.
//
// scripts/test.sh runs this file on SQLite (with the whole suite) and again on PostgreSQL.

const rpPort = Number(process.env.E2E_RP_PORT ?? Number(process.env.E2E_PORT ?? 3100) + 3);
const rp = `http://localhost:${rpPort}`;

/** The two sign-in steps on MAYI ID's pages, arriving from an application. */
async function signIn(page: Page, username: string) {
  await expect(page).toHaveURL(/\/login$/);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(/\/login\/verify$/);
  const app = page.getByRole("region", { name: "Authenticator app" });
  await app.getByLabel("6-digit code").fill(totp(totpSecret));
  await app.getByRole("button", { name: "Sign in" }).click();
}

/** Waits until the page's WebAssembly has hydrated it (with JavaScript on), so that a click
 *  takes the hydrated path and not the plain form post of a page still loading. */
async function hydrated(page: Page, javaScriptEnabled: boolean) {
  if (javaScriptEnabled) {
    await page.waitForFunction(() => performance.getEntriesByName("mayi-hydrated").length > 0);
  }
}

/** The application's page after a sign-in, with what it learned. */
async function expectSignedIn(page: Page, application: string, username: string) {
  await expect(page).toHaveURL(new RegExp(`^${rp}/${application.toLowerCase()}/callback\\?`));
  await expect(page.getByRole("heading", { name: "Signed in" })).toBeVisible();
  await expect(page.getByText(`Application: ${application}`)).toBeVisible();
  await expect(page.getByText(`Username: ${username}`, { exact: true })).toBeVisible();
  await expect(page.getByText("Name: Erin Example")).toBeVisible();
  await expect(page.getByText(`Email: ${username}@example.org`)).toBeVisible();
  // The ID token says how: password and an authenticator app's one-time code.
  await expect(page.getByText("Methods: pwd otp mfa")).toBeVisible();
  await expect(page.getByText("Level: urn:mayi-id:acr:mfa")).toBeVisible();
}

for (const javaScriptEnabled of [true, false]) {
  const js = javaScriptEnabled ? "js" : "nojs";
  test.describe(`signing in to an application, JavaScript ${javaScriptEnabled ? "on" : "off"}`, () => {
    test.use({ javaScriptEnabled });

    test("through MAYI ID's sign-in, consent for an application not run by the organisation, and taking it back", async ({
      page,
    }, testInfo) => {
      const username = `oidc-${js}-${testInfo.project.name}`;
      // The organisation's wiki: sign in on MAYI ID's pages, then straight back.
      await page.goto(rp);
      await page.getByRole("link", { name: "Sign in to Wiki with MAYI ID" }).click();
      await signIn(page, username);
      await expectSignedIn(page, "Wiki", username);

      // The forum asks first; already signed in, no password again.
      await page.goto(rp);
      await page.getByRole("link", { name: "Sign in to Forum with MAYI ID" }).click();
      await expect(page).toHaveURL(/\/authorize\?/);
      await expect(page.getByRole("heading", { name: "Sign in to Forum?" })).toBeVisible();
      await expect(page.getByText(`account ${username}`)).toBeVisible();
      const receives = page.getByRole("list", { name: "What the application receives" });
      await expect(receives.getByRole("listitem")).toHaveText([
        "An identifier for your account",
        "Your name and username",
        "Your email address",
      ]);
      await expect(page.getByText("not run by your organisation")).toBeVisible();
      await expect(page.getByText("you then go back to localhost")).toBeVisible();
      if (javaScriptEnabled) {
        // Accessible (axe-core, WCAG 2.1 A and AA: nothing serious or critical; axe needs scripts).
        await expectStyledPage(page, "the consent page");
        const axe = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
        expect(axe.passes.length, "axe ran its rules").toBeGreaterThan(10);
        const serious = axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
        expect(serious.map((v) => v.id)).toEqual([]);
      }
      // "Do not allow": the forum hears access_denied.
      await hydrated(page, javaScriptEnabled);
      await page.getByRole("button", { name: "Do not allow" }).click();
      await expect(page).toHaveURL(new RegExp(`^${rp}/forum/callback\\?error=access_denied`));
      await expect(page.getByText("MAYI ID answered: access_denied")).toBeVisible();

      // Asked again; "Allow" signs in, and the next time it does not ask.
      await page.goto(`${rp}/forum/login`);
      await expect(page.getByRole("heading", { name: "Sign in to Forum?" })).toBeVisible();
      await hydrated(page, javaScriptEnabled);
      await page.getByRole("button", { name: "Allow", exact: true }).click();
      await expectSignedIn(page, "Forum", username);
      await page.goto(`${rp}/forum/login`);
      await expectSignedIn(page, "Forum", username);

      // The account page lists it; removing it means asking again.
      await page.goto("/account");
      await hydrated(page, javaScriptEnabled);
      const allowed = page.getByRole("list", { name: "Applications you allowed" });
      await expect(allowed.getByRole("listitem")).toHaveCount(1);
      await expect(allowed.getByText("Forum")).toBeVisible();
      await allowed.getByRole("button", { name: "Remove access of Forum" }).click();
      if (javaScriptEnabled) {
        await expect(page.getByRole("status").filter({ hasText: "Access removed." })).toBeVisible();
      }
      await expect(page.getByText("You have not allowed any application.")).toBeVisible();
      await page.goto(`${rp}/forum/login`);
      await expect(page.getByRole("heading", { name: "Sign in to Forum?" })).toBeVisible();
    });
  });
}

test("a request naming an address the application did not register is shown, never followed", async ({ page }) => {
  // The wiki's own request, as it sends browsers to MAYI ID, with another return address.
  const sent = await page.request.get(`${rp}/wiki/login`, { maxRedirects: 0 });
  const request = new URL(sent.headers()["location"]);
  expect(request.pathname).toBe("/oauth2/authorize");
  request.searchParams.set("redirect_uri", "https://evil.example/cb");
  const left: string[] = [];
  page.on("request", (r) => {
    if (r.url().startsWith("https://evil.example")) left.push(r.url());
  });
  await page.goto(request.toString());
  await expect(page).toHaveURL(/\/authorize\?/);
  await expect(page.getByRole("heading", { name: "This sign-in cannot go on" })).toBeVisible();
  await expect(page.getByRole("alert")).toContainText("did not register with MAYI ID");
  await expect(page.locator('meta[http-equiv="refresh"]')).toHaveCount(0);
  await expect(page.getByRole("link", { name: /evil/ })).toHaveCount(0);
  expect(left).toEqual([]);
});

test("the console lists the applications; an operator cannot disable one", async ({ page }, testInfo) => {
  const project = testInfo.project.name;
  await signInWithApp(page, `oidc-op-${project}`);
  await page.goto("/admin");
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Applications" }).click();
  await expect(page).toHaveURL(/\/admin\/applications$/);
  const listed = page.getByRole("list", { name: "Registered applications" });
  await expect(listed.getByText("Wiki", { exact: true })).toBeVisible();
  await expect(listed.getByText(`Old intranet ${project}`, { exact: true })).toBeVisible();
  await expect(listed.getByText("Run by the organisation: no consent asked")).toBeVisible();
  await expect(listed.getByText("https://intranet.example.org/" + project)).toBeVisible();
  await expect(page.getByText(/^Disable /)).toHaveCount(0);
});

test("an administrator disables an application, with a reason", async ({ page }, testInfo) => {
  const old = `Old intranet ${testInfo.project.name}`;
  await signInWithApp(page, `oidc-admin-${testInfo.project.name}`);
  await page.goto("/admin/applications");
  const item = page.getByRole("listitem").filter({ has: page.getByText(old, { exact: true }) });
  await expect(item.getByText("Active", { exact: true })).toBeVisible();
  await item.getByText(`Disable ${old}`).click();
  await item.getByLabel("Reason (required, kept in the audit log)").fill("Replaced by the new intranet");
  await item.getByRole("button", { name: "Disable the application" }).click();
  await expect(page.getByRole("status").filter({ hasText: "The application is disabled." })).toBeVisible();
  await expect(item.getByText(/^Disabled \d{4}-/)).toBeVisible();
  await expect(item.getByText(`Disable ${old}`)).toHaveCount(0);
});
