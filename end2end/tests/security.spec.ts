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
    // Hydrated: the main module (and, on a route, the page's own chunks) ran and took over the
    // page, which sets the mark, all from the build's hashed directory. The not-found page is
    // part of the main module and has no chunk of its own.
    await page.waitForFunction(() => performance.getEntriesByName("mayi-hydrated").length > 0);
    const wasm = await page.evaluate(() =>
      performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname).filter((p) => p.endsWith(".wasm")),
    );
    expect(wasm.some((p) => /^\/pkg\/[0-9a-f]{16}\/mayi-id\.wasm$/.test(p)), wasm.join(" ")).toBe(true);
    if (path !== "/no/such/page") {
      expect(wasm.some((p) => /^\/pkg\/[0-9a-f]{16}\/split_\w+\.wasm$/.test(p)), wasm.join(" ")).toBe(true);
    }
    await page.waitForLoadState("networkidle");
    expect(violations).toEqual([]);
  });
}
