import { expect, type Page } from "@playwright/test";
import { totp } from "./totp";

// The accounts start-server.sh creates for the browser tests. Keep the two in step.
//
// A TOTP code is accepted once (replay protection), so tests that sign in in parallel each use
// an account of their own: `${name}-${project}`.
export const password = "e2e sign-in passphrase";
export const displayName = "Erin Example";
export const totpSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
export const tokenLabel = "Authenticator app";
export const tokenDevice = "Pixel 7";

export const user = {
  username: "e2e-user",
  password,
  displayName,
  totpSecret,
};

/** The account a test of this project (viewport) uses for `name`. */
export function account(name: string, project: string): string {
  return `${name}-${project}`;
}

/** The SMS and email accounts of a project, and where their codes go (start-server.sh). */
export function smsNumber(project: string): string {
  return project === "desktop" ? "+420601000002" : "+420601000001";
}
export function codeEmail(project: string): string {
  return `codes-${project}@example.org`;
}

const deliveryPort = Number(process.env.E2E_DELIVERY_PORT ?? Number(process.env.E2E_PORT ?? 3100) + 2);

/** Waits for the newest code sent to `recipient` (phone number or email address). */
export async function receivedCode(recipient: string, after = 0): Promise<string> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const [sms, mail] = await Promise.all(
      ["sms", "mail"].map(async (kind) => {
        const res = await fetch(`http://127.0.0.1:${deliveryPort}/${kind}`);
        return (await res.json()) as Array<Record<string, unknown>>;
      }),
    );
    const texts = [
      ...sms.filter((m) => m.to === recipient).map((m) => String(m.text)),
      ...mail.filter((m) => (m.to as string[]).includes(recipient)).map((m) => String(m.text)),
    ];
    if (texts.length > after) {
      const match = texts[texts.length - 1].match(/\b(\d{6})\b/);
      if (match) return match[1];
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no code arrived for ${recipient}`);
}

/** How many messages `recipient` has received so far. */
export async function receivedCount(recipient: string): Promise<number> {
  let count = 0;
  for (const kind of ["sms", "mail"]) {
    const res = await fetch(`http://127.0.0.1:${deliveryPort}/${kind}`);
    const list = (await res.json()) as Array<Record<string, unknown>>;
    count += list.filter((m) => m.to === recipient || (Array.isArray(m.to) && m.to.includes(recipient))).length;
  }
  return count;
}

/** The lost-phone path (start-server.sh): tokens on "Old phone" and an email token. */
export const lostPhone = {
  username: "lostphone-phone",
  oldTotpSecret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
  oldSmsNumber: "+420601000101",
  codeEmail: "lostphone-codes@example.org",
  emailTokenLabel: "Work email",
  newPhoneNumber: "+420601000201",
};

/** The account that sets up an authenticator app by QR code (desktop). */
export const qrUser = "qr-desktop";

/** The account whose contacts are changed with JavaScript off (start-server.sh). */
export const contactsUser = "lostphone-contacts";

/** Signs `username` in with a password (the test one by default) and the authenticator app's
 *  code (a full session); ends on the account page. `at` picks the code's time (default now). */
export async function signInWithApp(
  page: Page,
  username: string,
  at = Date.now() / 1000,
  secret = password,
) {
  await page.goto("/login");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(secret);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(/\/login\/verify$/);
  const app = page.getByRole("region", { name: "Authenticator app" });
  await app.getByLabel("6-digit code").fill(totp(totpSecret, at));
  await app.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/account/);
}

/**
 * Waits until the page is loaded and styled (the stylesheet makes the body a flex column), for
 * checks that measure or colour-check the page. A page that stays unstyled fails with what the
 * browser had: its URL, status line, stylesheet links and whether each applied, and the start
 * of the text, so that a rare failure can be explained from the CI log alone.
 */
export async function expectStyledPage(page: Page, what: string) {
  await page.waitForLoadState("networkidle");
  const styled = await page
    .waitForFunction(() => getComputedStyle(document.body).display === "flex", null, { timeout: 10_000 })
    .then(() => true, () => false);
  if (styled) return;
  const state = await page.evaluate(() => ({
    url: location.href,
    links: Array.from(document.querySelectorAll("link[rel=stylesheet]")).map((l) => (l as HTMLLinkElement).href),
    applied: Array.from(document.styleSheets).map((s) => `${s.href} (${(() => { try { return s.cssRules.length; } catch { return "?"; } })()} rules)`),
    resources: performance.getEntriesByType("resource").filter((e) => e.name.includes("/pkg/")).map((e) => `${e.name} ${(e as PerformanceResourceTiming).responseStatus ?? ""}`),
    text: document.body.innerText.slice(0, 300),
  }));
  expect(state, `${what}: the page is not styled`).toEqual({ ...state, styled: true });
}
