// Test-only stand-in for the CloudWatch Synthetics Playwright library
// (`const { synthetics } = require('@amzn/synthetics-playwright')`), with the four functions
// the browser canary calls, over playwright-core and Debian's Chromium (never a downloaded
// browser). executeStep screenshots each step into HUMANGOV_SCREENSHOT_DIR, as Synthetics
// uploads its step screenshots, and rethrows a step's failure.
'use strict';

const path = require('node:path');
const { chromium } = require('playwright-core');

const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];
let browser = null;
let defaultPage = null;
let stepNumber = 0;

async function launch(options = {}) {
  await close();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS, ...options });
  return browser;
}

async function newPage(browserOrContext) {
  const context = 'newContext' in browserOrContext
    ? await browserOrContext.newContext() : browserOrContext;
  defaultPage = await context.newPage();
  return defaultPage;
}

async function executeStep(name, action, config = {}, page = defaultPage) {
  stepNumber += 1;
  const shot = async (outcome) => page.screenshot({
    path: path.join(process.env.HUMANGOV_SCREENSHOT_DIR,
                    `${String(stepNumber).padStart(2, '0')}-${name}-${outcome}.png`),
    fullPage: true,
  });
  if (config.screenshotOnStepStart) {
    await shot('starting');
  }
  let result;
  try {
    result = await action();
  } catch (err) {
    if (config.screenshotOnStepFailure !== false) {
      await shot('failed');
    }
    console.log(`step ${name} failed: ${err.message}`);
    throw err;
  }
  if (config.screenshotOnStepSuccess !== false) {
    await shot('succeeded');
  }
  return result;
}

async function close() {
  if (browser !== null) {
    await browser.close();
    browser = null;
  }
}

module.exports = { synthetics: { launch, newPage, executeStep, close } };
