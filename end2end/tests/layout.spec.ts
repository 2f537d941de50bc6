import { expect, type Page, test } from "@playwright/test";
import { expectStyledPage, signInWithApp } from "./fixtures";

// Issue 7: phone-first layout. At 360 px wide nothing scrolls sideways, every control is at least
// 44 px tall, and at 200 % zoom (a 640 px desktop window at twice the size) the same holds.
// Issue 19: and the same in Czech, whose sentences are longer.
const languages = ["en", "cs"];

/** Chooses `language` with the header switch's address (the cookie), then visits each path. */
async function eachPage(page: Page, paths: string[], check: (what: string) => Promise<void>) {
  for (const language of languages) {
    await page.goto(`/lang/${language}?to=/login`);
    for (const path of paths) {
      await page.goto(path);
      await expect(page.locator("html")).toHaveAttribute("lang", language);
      await check(`${path} (${language})`);
    }
  }
}

const pages = ["/login", "/emergency", "/login/verify", "/help", "/help/lost-phone", "/help/emergency-access", "/help/console", "/no/such/page"];

async function expectFits(page: Page, what: string) {
  // Measure the styled page.
  await expectStyledPage(page, what);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  const widest = overflow > 0
    ? await page.evaluate(() => {
        const width = document.documentElement.clientWidth;
        return Array.from(document.querySelectorAll("body *"))
          .filter((el) => el.getBoundingClientRect().right > width + 1)
          .slice(0, 5)
          .map((el) => `${el.tagName.toLowerCase()}.${el.className} (${Math.round(el.getBoundingClientRect().right)} px)`);
      })
    : [];
  expect(overflow, `${what}: horizontal scrolling, widest: ${widest.join(", ")}`).toBeLessThanOrEqual(0);
  const small = await page.evaluate(() =>
    Array.from(document.querySelectorAll("button, input:not([type=hidden]), select, textarea, a.button"))
      .filter((el) => (el as HTMLElement).offsetParent !== null)
      .map((el) => ({ el: el.outerHTML.slice(0, 80), h: el.getBoundingClientRect().height }))
      .filter((c) => c.h < 44 && !c.el.startsWith("<input type=\"checkbox\"") && !c.el.startsWith("<input type=\"radio\"")),
  );
  expect(small, `${what}: touch targets under 44 px`).toEqual([]);
}

test.describe("at 360 px", () => {
  test.use({ viewport: { width: 360, height: 740 } });
  test("no sideways scrolling, touch targets of 44 px", async ({ page }) => {
    await eachPage(page, pages, (what) => expectFits(page, what));
  });
});

test.describe("at 200 % zoom", () => {
  test.use({ viewport: { width: 640, height: 400 }, deviceScaleFactor: 2 });
  test("still fits", async ({ page }) => {
    await eachPage(page, pages, (what) => expectFits(page, what));
  });
});


test.describe("the console at 360 px", () => {
  test.use({ viewport: { width: 360, height: 740 } });
  test("no sideways scrolling of the page (wide tables scroll in their own box)", async ({ page }, info) => {
    await signInWithApp(page, `op-layout-${info.project.name}`);
    const paths = ["/account", "/tokens", "/admin", "/admin/audit", "/admin/overview", "/admin/applications"];
    await eachPage(page, paths, (what) => expectFits(page, what));
  });
});
