import { expect, test } from "@playwright/test";

// Issue 8: the Content-Security-Policy admits exactly what the pages need. Every page still
// hydrates (its scripts carry the response's nonce) and the browser reports no violation.
const pages = ["/login", "/emergency", "/help/signing-in", "/help/emergency-access", "/help/lost-phone", "/login/verify", "/no/such/page"];

for (const path of pages) {
  test(`no CSP violation on ${path}`, async ({ page }) => {
    const violations: string[] = [];
    page.on("console", (message) => {
      if (/Content.Security.Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    page.on("pageerror", (error) => violations.push(String(error)));
    const response = await page.goto(path);
    const csp = response?.headers()["content-security-policy"] ?? "";
    expect(csp).toContain("'nonce-");
    expect(csp).not.toContain("unsafe-inline");
    // Hydrated: the WebAssembly ran and took over the page.
    await page.waitForFunction(() => performance.getEntriesByType("resource").some((e) => /\/pkg\/mayi-id\.[0-9a-f]{16}\.wasm$/.test(e.name)));
    await page.waitForLoadState("networkidle");
    expect(violations).toEqual([]);
  });
}
