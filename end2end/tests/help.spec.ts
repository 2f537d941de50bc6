import { expect, test } from "@playwright/test";

// Issue 7: the help center lists every help page, and every picture a help page shows is
// served (a page that refers to a missing picture fails here, and in the Rust test that checks
// public/help/).
const helpPages = ["/help/signing-in", "/help/tokens", "/help/lost-phone", "/help/emergency-access", "/help/emergency-sign-in", "/help/console"];

test("the help center links every help page", async ({ page }) => {
  await page.goto("/help");
  await expect(page.getByRole("heading", { level: 1, name: "Help" })).toBeVisible();
  for (const href of helpPages) {
    await expect(page.locator(`a[href="${href}"]`)).toHaveCount(1);
  }
});

for (const path of helpPages) {
  test(`pictures on ${path} exist`, async ({ page, request }) => {
    await page.goto(path);
    const sources = await page.evaluate(() => [
      ...Array.from(document.querySelectorAll("img")).map((img) => img.getAttribute("src") ?? ""),
      ...Array.from(document.querySelectorAll("source")).map((s) => s.getAttribute("srcset") ?? ""),
    ]);
    expect(sources.length).toBeGreaterThan(0);
    for (const src of sources) {
      const response = await request.get(src);
      expect(response.status(), src).toBe(200);
      expect(response.headers()["content-type"], src).toBe("image/png");
    }
    for (const img of await page.locator("figure img").all()) {
      expect((await img.getAttribute("alt"))?.length ?? 0).toBeGreaterThan(10);
    }
  });
}
