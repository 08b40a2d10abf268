// How every browser test here starts Debian's Chromium through playwright-core (browser downloads are not
// available on these machines). The flags keep a headless run quiet on a machine with no network but
// loopback: without the background-networking ones Chromium keeps trying to reach Google's hosts.

import { chromium } from "playwright-core";

export const CHROMIUM_LAUNCH = {
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
};

export function launchChromium() {
  return chromium.launch(CHROMIUM_LAUNCH);
}
