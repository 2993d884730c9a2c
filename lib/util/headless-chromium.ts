/**
 * Headless Chromium for the browser tests and the bench, from npm packages alone: the Chromium build that
 * @sparticuz/chromium ships inside its package (unpacked on first use into the temp folder),
 * driven by playwright-core, which downloads nothing. The machine's network is closed, so
 * everything that would call out (background networking, component updates, sync) is off.
 */
import chromium from "@sparticuz/chromium";
import { chromium as playwright, type Browser } from "playwright-core";

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  "--no-first-run",
  "--disable-gpu",
  "--disable-dev-shm-usage",
];

export async function launchBrowser(): Promise<Browser> {
  return playwright.launch({ executablePath: await chromium.executablePath(), headless: true, args: CHROMIUM_ARGS });
}
