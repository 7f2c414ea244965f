// The browser canary on CloudWatch Synthetics' Node.js Playwright runtime, run per state.
//
// This file is a template: humangov_infra.canary replaces CHECKS with the `browser` checks of
// the monitoring YAML. It walks the same four steps, against the same UI contract, as the local
// browser check (src/humangov/monitoring/checks/browser.py): login, open-state, add-employee,
// delete-employee. Each step is a Synthetics step, which screenshots it and reports it in the
// run. Library functions (launch, newPage, executeStep, close) as documented in
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Canaries_Nodejs_Playwright.html
// and packaging (a CommonJS .js handler at the zip's root) in
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Synthetics_WritingCanary_Nodejs_Playwright.html
// No Playwright trace is kept: it would record the canary's password and session.
'use strict';

const { randomUUID } = require('node:crypto');
const { synthetics } = require('@amzn/synthetics-playwright');

const CHECKS = [];  // replaced by the generator

const SYNTHETIC_HEADER = { 'X-HumanGov-Synthetic': '1' };
const STEP_CONFIG = {
  screenshotOnStepStart: false, screenshotOnStepSuccess: true, screenshotOnStepFailure: true,
};

class CheckFailed extends Error {}

exports.handler = async () => {
  const login = await credentials(process.env.HUMANGOV_CANARY_LOGIN_SECRET);
  return run(process.env.HUMANGOV_BASE_URL, process.env.HUMANGOV_STATE, login);
};

// The login lives in Secrets Manager as {"email": ..., "password": ...}, never in the script
// or its environment. The AWS SDK v3 ships with the runtime's Node.js.
async function credentials(secretId) {
  if (!secretId) {
    throw new CheckFailed('HUMANGOV_CANARY_LOGIN_SECRET is not set; the browser check needs a login');
  }
  const { SecretsManagerClient, GetSecretValueCommand } = require('@aws-sdk/client-secrets-manager');
  const answer = await new SecretsManagerClient({}).send(
    new GetSecretValueCommand({ SecretId: secretId }));
  let login;
  try {
    login = JSON.parse(answer.SecretString);
  } catch {
    login = null;
  }
  if (!login || !login.email || !login.password) {
    throw new CheckFailed('the login secret must be JSON with "email" and "password"');
  }
  return login;
}

async function run(baseUrl, state, login) {
  const failures = [];
  for (const check of CHECKS) {
    const started = Date.now();
    try {
      await browserCheck(check, baseUrl.replace(/\/+$/, ''), state, login);
      console.log(`PASS ${check.name} in ${(Date.now() - started) / 1000}s`);
    } catch (err) {
      failures.push(`${check.name}: ${err.message}`);
      console.log(`FAIL ${check.name} after ${(Date.now() - started) / 1000}s: ${err.message}`);
    }
  }
  if (failures.length) {
    throw new CheckFailed(failures.join('; '));
  }
  return `${CHECKS.length} checks passed`;
}

async function browserCheck(check, base, state, login) {
  const browser = await synthetics.launch();
  try {
    const context = await browser.newContext({ extraHTTPHeaders: SYNTHETIC_HEADER });
    context.setDefaultTimeout(check.action_timeout_ms);
    const page = await synthetics.newPage(context);
    const created = [];
    let failed = true;
    try {
      await steps(page, base, state, login, created);
      failed = false;
    } finally {
      if (failed) {
        await cleanUp(page, base, created);
      }
    }
  } finally {
    await synthetics.close();
  }
}

async function steps(page, base, state, login, created) {
  const runId = randomUUID().replace(/-/g, '');
  const lastName = `Canary-${runId.slice(-8)}`;
  const step = (name, action) => synthetics.executeStep(name, action, STEP_CONFIG, page);

  await step('login', async () => {
    await goto(page, `${base}/login`);
    await page.fill('input[name=email]', login.email);
    await page.fill('input[name=password]', login.password);
    await submit(page, page.locator('form:has(input[name=password])'));
    if (page.url().includes('/login')) {
      throw new CheckFailed('still on the login page after signing in (wrong email or password?)');
    }
  });

  await step('open-state', () => goto(page, `${base}/states/${state}`));

  await step('add-employee', async () => {
    let form = page.locator('form:has(input[name=first_name])');
    if (await form.count() === 0) {
      await named(page, 'link', /add/i).or(named(page, 'button', /add/i)).first().click();
      await page.waitForLoadState();
      form = page.locator('form:has(input[name=first_name])');
    }
    await form.locator('input[name=first_name]').fill('Synthetic');
    await form.locator('input[name=last_name]').fill(lastName);
    await form.locator('[name=role]').fill('Canary');
    await form.locator('input[name=salary]').fill('1.00');
    await form.locator('input[name=document]').setInputFiles(
      { name: 'canary.pdf', mimeType: 'application/pdf', buffer: canaryPdf(runId) });
    await submit(page, form);
    try {
      await page.getByText(lastName).first().waitFor({ timeout: 5000 });
    } catch {
      throw new CheckFailed('the new employee is not shown after adding');
    }
    created.push(`${state}/${page.url().replace(/\/+$/, '').split('/').pop()}`);
  });

  await step('delete-employee', async () => {
    if (!page.url().includes('/employees/')) {  // the app showed the list: open the employee
      await page.getByRole('link', { name: new RegExp(lastName) }).first().click();
      await page.waitForLoadState();
    }
    const employeeUrl = page.url().split('?')[0];
    await named(page, 'link', /delete/i).or(named(page, 'button', /delete/i)).first().click();
    await page.waitForLoadState();
    const confirm = named(page, 'button', /delete|confirm/i);
    if (await confirm.count() > 0) {  // the confirmation page
      await submitWith(page, confirm.first());
    }
    const gone = await page.goto(employeeUrl);
    if (!gone || gone.status() !== 404) {
      const answer = gone ? gone.status() : 'nothing';
      throw new CheckFailed(`the employee's page still answers ${answer} after deleting`);
    }
  });
}

// A run that failed after adding its employee deletes it through the same confirmation form,
// so failed runs leave no records or documents behind. Best effort: it never masks the failure.
async function cleanUp(page, base, created) {
  for (const stateAndId of created) {
    const [state, employeeId] = stateAndId.split('/');
    try {
      const answer = await page.goto(`${base}/states/${state}/employees/${employeeId}/delete`);
      if (answer && answer.status() === 200) {
        await submit(page, page.locator("form[action$='/delete']"));
      }
    } catch (err) {
      console.log(`could not clean up canary employee ${stateAndId}: ${err.message}`);
    }
  }
}

function named(page, role, pattern) {
  return page.getByRole(role, { name: pattern });
}

async function goto(page, url) {
  const answer = await page.goto(url);
  if (!answer || answer.status() >= 400) {
    const path = new URL(url).pathname;
    throw new CheckFailed(`${path} answered ${answer ? answer.status() : 'no response'}`);
  }
}

async function submit(page, form) {
  await submitWith(
    page, form.locator('button[type=submit], input[type=submit], button:not([type])').first());
}

async function submitWith(page, button) {
  await Promise.all([page.waitForNavigation(), button.click()]);
  await page.waitForLoadState();
}

// The same tiny one-page PDF as humangov.monitoring.checks.pdf.canary_pdf, unique per run.
function canaryPdf(label) {
  const text = label.replace(/[^A-Za-z0-9 \-_.:]/g, '').slice(0, 60);
  const stream = `BT /F1 12 Tf 72 720 Td (HumanGov canary ${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] '
      + '/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n';
  const offsets = [];
  objects.forEach((body, index) => {
    offsets.push(out.length);
    out += `${index + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) {
    out += `${String(offset).padStart(10, '0')} 00000 n \n`;
  }
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

module.exports.run = run;
module.exports.canaryPdf = canaryPdf;
