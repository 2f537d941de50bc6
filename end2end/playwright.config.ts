import { defineConfig, devices } from "@playwright/test";

// The server under test is started by start-server.sh on a port chosen by scripts/test.sh
// (E2E_PORT), with a fresh database of its own. Debian's Chromium is used: browsers cannot be
// downloaded on our machines.
const port = Number(process.env.E2E_PORT ?? 3100);
// `localhost`, not 127.0.0.1: WebAuthn (passkeys.spec.ts) needs a domain name, and the server's
// public URL is the same (start-server.sh). The server listens on 127.0.0.1.
const baseURL = `http://localhost:${port}`;

const chromium = {
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
};

export default defineConfig({
  testDir: "./tests",
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 2,
  reporter: process.env.CI ? [["list"]] : [["list"], ["html", { open: "never" }]],
  timeout: 30_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: chromium,
  },
  projects: [
    {
      name: "phone",
      use: {
        viewport: { width: 390, height: 844 },
        deviceScaleFactor: 3,
        isMobile: true,
        hasTouch: true,
        userAgent: devices["Pixel 7"].userAgent,
      },
    },
    {
      name: "desktop",
      use: { viewport: { width: 1280, height: 800 } },
    },
  ],
  webServer: {
    command: "bash ./start-server.sh",
    url: `http://127.0.0.1:${port}/readyz`,
    env: {
      E2E_PORT: String(port),
      E2E_SMTP_PORT: process.env.E2E_SMTP_PORT ?? String(port + 1),
      E2E_DELIVERY_PORT: process.env.E2E_DELIVERY_PORT ?? String(port + 2),
      E2E_RP_PORT: process.env.E2E_RP_PORT ?? String(port + 3),
    },
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "pipe",
    stderr: "pipe",
  },
});
