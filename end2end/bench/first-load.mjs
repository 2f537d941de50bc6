// What a first visit to each route downloads, and lab web vitals on a throttled phone, read from
// real Chromium page loads (issue 15). Run by `cargo bench -p server --bench web` (`make bench`),
// which starts MAYI ID, makes the cookies each route needs and prints the tables; it can also be
// run by hand against any server:
//
//   BENCH_BASE=http://127.0.0.1:3000 BENCH_ROUTES='[{"path":"/login"}]' node bench/first-load.mjs
//
// BENCH_ROUTES: [{ "path": "/tokens", "cookies": [{ "name": "mayi_session", "value": "…" }],
// "vitals": true }]. Prints one JSON object on stdout: { routes: [{ path, status, finalPath,
// resources: [{ url, kind, raw, gzip, brotli, transfer }], vitals }] }.
//
// Bytes: every response of a fresh browser context (empty cache) from navigation until the page
// is hydrated (User Timing mark `mayi-hydrated`, set once the page's own lazily loaded view has
// hydrated and its effects run, `app::mark_interactive`) and the
// network has been idle for 500 ms; raw is the decoded body, gzip (level 9) and brotli
// (quality 11) are computed here from it, transfer is what Chromium reports as received.
//
// Vitals: a new context as a phone (390×844, touch, DPR 3), CPU slowed 4× and "Fast 3G"-like
// network (562.5 ms round trip, 1.44 Mbit/s down, 675 kbit/s up, as Chrome DevTools' preset and
// Lighthouse's mobile throttling) through the Chrome DevTools Protocol; LCP from the
// `largest-contentful-paint` entries, interactive = the `mayi-hydrated` mark, CLS = the sum of
// `layout-shift` values without recent input. Each is the median of BENCH_VITALS_RUNS (3) loads.
// Figures are printed, never asserted.

import { chromium } from "@playwright/test";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const base = process.env.BENCH_BASE;
const routes = JSON.parse(process.env.BENCH_ROUTES ?? "[]");
const runs = Number(process.env.BENCH_VITALS_RUNS ?? 3);
if (!base || routes.length === 0) {
  console.error("first-load: BENCH_BASE and BENCH_ROUTES are required");
  process.exit(2);
}

const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 3,
  isMobile: true,
  hasTouch: true,
};
const FAST_3G = {
  offline: false,
  latency: 562.5,
  downloadThroughput: (1.44 * 1024 * 1024) / 8,
  uploadThroughput: (675 * 1024) / 8,
};
const HYDRATED_TIMEOUT_MS = 60_000;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
});

function kindOf(url, type) {
  const path = new URL(url).pathname;
  if (path.endsWith(".wasm") || type.includes("wasm")) return "wasm";
  if (path.endsWith(".js") || type.includes("javascript")) return "js";
  if (path.endsWith(".css") || type.includes("css")) return "css";
  if (type.includes("html")) return "html";
  if (type.includes("json") || path.startsWith("/api/")) return "data";
  return "other";
}

async function newPage(route, options) {
  const context = await browser.newContext({ ...options, baseURL: base });
  if (route.cookies?.length) {
    await context.addCookies(route.cookies.map((c) => ({ ...c, url: base })));
  }
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  return { context, page, cdp };
}

// Waits for the hydration mark (or its absence for a page that never hydrates), then for 500 ms
// without a request in flight.
async function settle(page) {
  await page
    .waitForFunction(() => performance.getEntriesByName("mayi-hydrated").length > 0, null, {
      timeout: HYDRATED_TIMEOUT_MS,
    })
    .catch(() => {});
  await page.waitForLoadState("networkidle", { timeout: HYDRATED_TIMEOUT_MS }).catch(() => {});
}

async function bytes(route) {
  const { context, page, cdp } = await newPage(route, {});
  const transfer = new Map();
  const urls = new Map();
  cdp.on("Network.responseReceived", (e) => urls.set(e.requestId, e.response.url));
  cdp.on("Network.loadingFinished", (e) => {
    const url = urls.get(e.requestId);
    if (url) transfer.set(url, (transfer.get(url) ?? 0) + e.encodedDataLength);
  });
  const responses = [];
  page.on("response", (r) => responses.push(r));
  const response = await page.goto(route.path, { waitUntil: "load" });
  await settle(page);
  const resources = [];
  for (const r of responses) {
    if (r.status() >= 300 && r.status() < 400) continue; // a redirect's body is not a resource
    let body;
    try {
      body = await r.body();
    } catch {
      continue;
    }
    const type = r.headers()["content-type"] ?? "";
    resources.push({
      url: new URL(r.url()).pathname,
      kind: kindOf(r.url(), type),
      raw: body.length,
      gzip: gzipSync(body, { level: 9 }).length,
      brotli: brotliCompressSync(body, {
        params: { [constants.BROTLI_PARAM_QUALITY]: 11 },
      }).length,
      transfer: transfer.get(r.url()) ?? null,
    });
  }
  const result = {
    status: response?.status() ?? null,
    finalPath: new URL(page.url()).pathname,
    hydrated: await page.evaluate(() => performance.getEntriesByName("mayi-hydrated").length > 0),
    resources,
  };
  await context.close();
  return result;
}

const OBSERVE = () => {
  window.__vitals = { lcp: 0, cls: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__vitals.lcp = e.startTime;
  }).observe({ type: "largest-contentful-paint", buffered: true });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (!e.hadRecentInput) window.__vitals.cls += e.value;
  }).observe({ type: "layout-shift", buffered: true });
};

async function vitalsOnce(route) {
  const { context, page, cdp } = await newPage(route, PHONE);
  await cdp.send("Network.emulateNetworkConditions", FAST_3G);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
  await page.addInitScript(OBSERVE);
  await page.goto(route.path, { waitUntil: "load", timeout: HYDRATED_TIMEOUT_MS });
  await settle(page);
  const v = await page.evaluate(() => ({
    lcp: window.__vitals.lcp,
    cls: window.__vitals.cls,
    interactive: performance.getEntriesByName("mayi-hydrated")[0]?.startTime ?? null,
  }));
  await context.close();
  return v;
}

const median = (xs) => {
  const s = xs.filter((x) => x !== null).sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : null;
};

const out = { routes: [] };
for (const route of routes) {
  const measured = { path: route.path, ...(await bytes(route)) };
  if (route.vitals) {
    const samples = [];
    for (let i = 0; i < runs; i++) samples.push(await vitalsOnce(route));
    measured.vitals = {
      runs,
      lcp_ms: median(samples.map((s) => s.lcp)),
      interactive_ms: median(samples.map((s) => s.interactive)),
      cls: median(samples.map((s) => s.cls)),
    };
  }
  out.routes.push(measured);
}
await browser.close();
process.stdout.write(JSON.stringify(out) + "\n");
