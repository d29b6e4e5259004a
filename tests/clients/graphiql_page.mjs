// Opens the gateway's GraphiQL page in headless Chromium (Debian's, driven by puppeteer-core,
// which never downloads a browser) with every other host blocked, types a query and a bearer
// token into its editors, clicks run, opens the docs explorer, and prints what the result pane
// and the explorer show, every request to another host the page tried, and the page's errors
// as JSON; saves a screenshot.
import puppeteer from 'puppeteer-core';

const [url, query, headers, screenshot] = process.argv.slice(2);
if (!url || !query || !headers || !screenshot) {
  console.error('usage: node graphiql_page.mjs <page url> <query> <headers json> <screenshot.png>');
  process.exit(2);
}
const host = new URL(url).host;
const TIMEOUT = 60_000;

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    // No other host even resolves; the interception below also records any attempt.
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
  ],
});
const elsewhere = [];
const problems = [];
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(TIMEOUT);
  await page.setViewport({ width: 1400, height: 900 });
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    const target = new URL(request.url());
    if (target.protocol === 'data:' || target.host === host) {
      request.continue();
    } else {
      elsewhere.push(request.url());
      request.abort('blockedbyclient');
    }
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('requestfailed', (request) => {
    if (new URL(request.url()).host === host) problems.push(`failed: ${request.url()}`);
  });

  await page.goto(url, { waitUntil: 'networkidle0', timeout: TIMEOUT });

  // Type as a person would: select all in an editor, then type over it.
  async function typeInto(selector, text) {
    await page.click(`${selector} .CodeMirror-lines`);
    await page.keyboard.down('Control');
    await page.keyboard.press('KeyA');
    await page.keyboard.up('Control');
    await page.keyboard.press('Backspace');
    await page.keyboard.type(text);
    await page.keyboard.press('Escape'); // closes an autocomplete list, if one is open
  }
  await page.waitForSelector('.graphiql-query-editor .CodeMirror');
  await typeInto('.graphiql-query-editor', query);
  await page.click('button[data-name="headers"]');
  // The headers editor is the one of the two tool editors that is not hidden.
  const headersEditor = 'section[aria-label="Headers"] .graphiql-editor:not(.hidden)';
  await page.waitForSelector(`${headersEditor} .CodeMirror`, { visible: true });
  await typeInto(headersEditor, headers);
  // The schema was asked for on load, before there was a token: ask again, as a person would.
  await page.click('button[aria-label="Re-fetch GraphQL schema"]');

  await page.click('.graphiql-execute-button');
  const pane = '.result-window .CodeMirror';
  await page.waitForFunction(
    (selector) => document.querySelector(selector)?.CodeMirror.getValue().trim().length > 0,
    {},
    pane,
  );
  const shown = await page.$eval(pane, (element) => element.CodeMirror.getValue());
  const typed = await page.$eval('.graphiql-query-editor .CodeMirror', (e) => e.CodeMirror.getValue());
  // The docs explorer, opened on the schema's root types, is in the screenshot too.
  await page.click('button[aria-label="Show Documentation Explorer"]');
  const docs = await page.waitForSelector('.graphiql-doc-explorer', { visible: true });
  await page.waitForFunction((e) => e.textContent.includes('Query'), {}, docs);
  const explorer = await docs.evaluate((e) => e.textContent);
  await page.screenshot({ path: screenshot });
  console.log(JSON.stringify({ typed, shown, explorer, elsewhere, problems }));
} finally {
  await browser.close();
}
