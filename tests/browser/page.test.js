// The web page in headless Chromium against the real simulator (`webota sim`):
// device info, in-browser refusal of wrong files (nothing sent), the marker
// warning, a device refusal that marks the file refused (Upload disabled until
// another file is picked), a throttled upload whose progress bar moves, the
// reboot into the new version, confirm, a forced updater-less image rolled back
// by the watchdog (the earlier success message replaced), a clean console (no
// icon 404), the no-JavaScript form and its readable refusal page, and
// phone/desktop screenshots; then a device that installs only signed images
// (--trusted-key): the page names its keys, reads the picked image's signature
// blocks through the device before sending it, refuses unsigned and untrusted
// images in the browser, and installs one signed by the trusted key; then a
// device that pulls a release whose image only an untrusted key signed: the
// page's "Release server" line says it was refused and why; last uploads
// through a TCP proxy in this test that breaks the link: the page resumes by
// itself and the slot holds exactly the file's bytes, a link down longer than
// the device's hold time ends clearly with firmware and otadata untouched, and
// (with the password device of the hardening steps) every request of a
// resumed upload answers a login challenge.
//
// usage: node page.test.js --webota PATH/webota --artifacts DIR
'use strict';
const { chromium } = require('playwright-core');
const { spawn, execFileSync } = require('child_process');
const http = require('http');
const net = require('net');
const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const WEBOTA = arg('--webota');
const ARTIFACTS = path.resolve(arg('--artifacts') || 'artifacts');
const CHROMIUM = process.env.WEBOTA_CHROMIUM || '/usr/bin/chromium';
const WATCHDOG_S = 2;
// A resumable upload (the simulator holds dropped uploads by default).
const UPLOAD = /\/api\/update\?id=[0-9a-f]{32}$/;
// The marker of include/webota/marker.h.
const MARKER = Buffer.concat([Buffer.from('WEBOTA-UPDATER-MARKER-v1'),
  Buffer.from([0x8f, 0x3a, 0xd1, 0x5e, 0x07, 0xc4, 0x92, 0x6b])]);

if (!WEBOTA) {
  console.error('usage: node page.test.js --webota PATH --artifacts DIR');
  process.exit(2);
}
fs.mkdirSync(ARTIFACTS, { recursive: true });

// Everything is bounded: the whole run may not take longer than this.
const deadline = setTimeout(() => {
  console.error('FAIL: browser tests took longer than 300 s');
  cleanup();
  process.exit(1);
}, 300000);

let sim = null;
let simLog = '';
let browser = null;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'webota-browser-'));

function cleanup() {
  if (sim && sim.exitCode === null && sim.signalCode === null) sim.kill('SIGKILL');
  fs.writeFileSync(path.join(ARTIFACTS, 'sim.log'), simLog);
}

// Ctrl-C as a user would; the simulator must stop by itself within 10 s.
function stopSim() {
  return new Promise((resolve) => {
    if (!sim || sim.exitCode !== null || sim.signalCode !== null) return resolve(true);
    const t = setTimeout(() => resolve(false), 10000);
    sim.once('exit', () => { clearTimeout(t); resolve(true); });
    sim.kill('SIGINT');
  });
}

function startSim(extra = [], flash = path.join(tmp, 'webota-flash.bin')) {
  return new Promise((resolve, reject) => {
    simLog = '';
    sim = spawn(WEBOTA, ['sim', '--bind', '127.0.0.1', '--port', '0', '--flash',
      flash, '--confirm', 'manual', '--watchdog', String(WATCHDOG_S), ...extra],
    { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => reject(new Error('the simulator did not print its URL within 20 s:\n' + simLog)), 20000);
    const onData = (d) => {
      simLog += d.toString();
      const m = /webota sim: listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(simLog);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    sim.stdout.on('data', onData);
    sim.stderr.on('data', onData);
    sim.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the simulator exited (${code}):\n${simLog}`));
    });
  });
}

// The demo images the simulator writes next to its flash file, told apart by content.
function demoImages() {
  const out = {};
  for (const name of fs.readdirSync(tmp)) {
    if (!name.endsWith('.bin') || name === 'webota-flash.bin') continue;
    const data = fs.readFileSync(path.join(tmp, name));
    if (data[0] !== 0xe9) continue;
    const version = data.subarray(0x30, 0x50).toString('latin1').replace(/\0.*$/s, '');
    const entry = { name, file: path.join(tmp, name), data, version };
    if (data.indexOf(MARKER) < 0) out.noMarker = entry;
    else if (version === '1.1.0') out.good = entry;
  }
  if (!out.good || !out.noMarker) {
    throw new Error(`demo images not found next to the flash in ${tmp}: ${fs.readdirSync(tmp).join(', ')}`);
  }
  return out;
}

let passed = 0;
let failed = 0;
async function step(name, page, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}\n  ${String(e.stack || e).split('\n').join('\n  ')}`);
    if (page) await page.screenshot({ path: path.join(ARTIFACTS, `FAILED-${name.replace(/\W+/g, '-')}.png`), fullPage: true }).catch(() => {});
    throw e;
  }
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function text(page, sel) {
  return (await page.textContent(sel)) || '';
}

// Waits until the element's text matches re; the error names what it saw.
async function waitText(page, sel, re, timeout = 15000) {
  try {
    await page.waitForFunction(([s, src, fl]) => new RegExp(src, fl).test(document.querySelector(s).textContent),
      [sel, re.source, re.flags], { timeout, polling: 100 });
  } catch (e) {
    throw new Error(`${sel} never matched ${re} within ${timeout} ms; it says: "${await text(page, sel)}"`);
  }
}

async function main() {
  const base = await startSim();
  const demo = demoImages();
  console.log(`# simulator at ${base}; demo images ${demo.good.name} (1.1.0) and ${demo.noMarker.name} (no marker)`);

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  // POSTs that send or change something; the upload ids the page asks for
  // (POST /api/update/session, before each resumable upload) apart
  const posts = [];
  const sessions = [];
  page.on('request', (r) => { if (r.method() === 'POST') (/\/api\/update\/session$/.test(r.url()) ? sessions : posts).push(r.url()); });
  page.on('dialog', (d) => d.accept());
  page.on('pageerror', (e) => { failed++; console.log(`not ok - page script error: ${e.message}`); });
  const cspViolations = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text()); });
  // Everything the console shows, with the resource it is about.
  const consoleLog = [];
  page.on('console', (m) => consoleLog.push({ type: m.type(), text: m.text(), url: (m.location() || {}).url || '' }));
  const notFound = [];
  page.on('response', (r) => { if (r.status() === 404) notFound.push(r.url()); });

  await step('the page shows the device', page, async () => {
    const resp = await page.goto(base + '/');
    assert(resp.status() === 200, `GET / answered ${resp.status()}`);
    assert((await resp.headerValue('content-encoding')) === 'gzip', 'the page is not served with Content-Encoding: gzip');
    await waitText(page, '#d-version', /^1\.0\.0\b/);
    assert(/esp32/i.test(await text(page, '#d-chip')), 'chip not shown');
    assert(/webota-demo/.test(await text(page, '#d-project')), 'project not shown');
    assert(/factory/.test(await text(page, '#d-running')), 'running slot not shown');
    assert(/ota_0/.test(await text(page, '#d-next')), 'next slot not shown');
    await page.screenshot({ path: path.join(ARTIFACTS, 'desktop-1-device.png'), fullPage: true });
  });

  await step('the console is clean after loading (the icon is declared inline: no 404)', page, async () => {
    await page.waitForTimeout(500); // the browser asks for an icon after the load
    assert(await page.evaluate(() => { const l = document.querySelector('link[rel=icon]'); return !!l && l.href.startsWith('data:'); }),
      'the page declares no inline icon');
    assert(notFound.length === 0, `requests answered 404: ${notFound}`);
    assert(consoleLog.length === 0, `the console shows: ${JSON.stringify(consoleLog)}`);
  });

  // Each wrong file is refused with its reason, and nothing is posted.
  const wrong = [
    ['a text file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello, this is not firmware\n'.repeat(40)) }, /not an ESP app image.*0xE9/],
    ['an image for another chip', { name: 'c3.bin', mimeType: 'application/octet-stream', buffer: patched(demo.good.data, (b) => b.writeUInt16LE(5, 12)) }, /built for ESP32-C3/],
    ['an image without an app descriptor', { name: 'nodesc.bin', mimeType: 'application/octet-stream', buffer: patched(demo.good.data, (b) => b.writeUInt32LE(0, 0x20)) }, /no app descriptor/],
    ['an image larger than the slot', { name: 'big.bin', mimeType: 'application/octet-stream', buffer: Buffer.concat([demo.good.data, Buffer.alloc(5 * 1024 * 1024)]) }, /larger than the .* update slot/],
  ];
  for (const [what, file, re] of wrong) {
    await step(`${what} is refused in the browser and nothing is sent`, page, async () => {
      const before = posts.length;
      await page.setInputFiles('#file', file);
      await waitText(page, '#fmsg', re);
      assert(/Nothing was sent/.test(await text(page, '#fmsg')), 'the message does not say nothing was sent');
      assert(await page.isDisabled('#b-up'), 'Upload is enabled for a refused file');
      // even a forced submit of the form must not send it
      await page.evaluate(() => document.getElementById('form').requestSubmit());
      await page.waitForTimeout(300);
      assert(posts.length === before, `a POST was made: ${posts.slice(before)}`);
      if (what === 'a text file') await page.screenshot({ path: path.join(ARTIFACTS, 'desktop-2-refused.png'), fullPage: true });
    });
  }

  await step('an image without the marker shows the warning first', page, async () => {
    const before = posts.length;
    await page.setInputFiles('#file', demo.noMarker.file);
    await page.waitForSelector('#warn', { state: 'visible', timeout: 5000 });
    assert(/will no longer offer this page/.test(await text(page, '#warn')), 'warning text missing');
    assert(await page.isDisabled('#b-up'), 'plain Upload is enabled for an image without the updater');
    assert(await page.isVisible('#b-force'), '"Upload anyway" is not offered');
    await page.screenshot({ path: path.join(ARTIFACTS, 'desktop-3-no-marker-warning.png'), fullPage: true });
    assert(posts.length === before, 'a POST was made before the user chose to upload anyway');
  });

  await step("the device's refusal marks the file refused, and only that shows", page, async () => {
    // one flipped byte far from the header: only the device's checksum sees it
    const bad = patched(demo.good.data, (b) => { b[b.length >> 1] ^= 0x01; });
    const before = posts.length, sessionsBefore = sessions.length;
    await page.setInputFiles('#file', { name: 'corrupt.bin', mimeType: 'application/octet-stream', buffer: bad });
    await waitText(page, '#fmsg', /Ready to upload/);
    await page.click('#b-up');
    await waitText(page, '#fmsg', /The device refused this file: .*\((bad_checksum|bad_sha256)\)\. Nothing was installed; choose another file\./, 20000);
    assert(posts.length === before + 1, 'expected one POST');
    assert((await page.getAttribute('#fmsg', 'class')) === 'bad', 'the refusal is not shown as an error');
    const shown = await page.evaluate(() => document.body.innerText);
    assert(!/Ready to upload/.test(shown), `"Ready to upload" still shows after the refusal: ${shown}`);
    assert(await page.isHidden('#prog'), 'the progress of the refused upload still shows');
    assert(await page.isDisabled('#b-up'), 'Upload is enabled again for the refused file');
    await waitText(page, '#d-version', /^1\.0\.0\b/);
    // the same file cannot be sent again, not even by submitting the form
    await page.evaluate(() => document.getElementById('form').requestSubmit());
    await page.waitForTimeout(300);
    assert(posts.length === before + 1, `the refused file was sent again: ${posts.slice(before)}`);
    assert(sessions.length === sessionsBefore + 1, `expected one upload id for one upload: ${sessions.length - sessionsBefore}`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'desktop-3b-device-refused.png'), fullPage: true });
  });

  await step('a good image is described before upload', page, async () => {
    await page.setInputFiles('#file', demo.good.file);
    await waitText(page, '#fmsg', /Ready to upload: webota-demo 1\.1\.0/);
    const info = await text(page, '#info');
    assert(/ESP32/.test(info) && /1\.1\.0/.test(info) && /ota_0/.test(info), `file details incomplete: ${info}`);
    assert(await page.isHidden('#warn'), 'the marker warning shows for a good image');
    assert(await page.isEnabled('#b-up'), 'Upload is disabled for a good image picked after a refused one');
    assert(!/refused/.test(await text(page, '#fmsg')), 'the refusal of the previous file still shows');
  });

  await step('the upload shows progress, then the device comes back with 1.1.0', page, async () => {
    // Throttle the upload so that many progress events arrive.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    const bytesPerSecond = Math.max(8 * 1024, Math.floor(demo.good.data.length / 4));
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: bytesPerSecond });
    await page.evaluate(() => {
      window.__bar = [];
      const bar = document.getElementById('bar');
      window.__barTimer = setInterval(() => window.__bar.push(bar.value), 40);
    });
    const before = posts.length;
    await page.click('#b-up');
    await page.waitForFunction(() => window.__bar.some((v) => v > 20 && v < 80), null, { timeout: 20000 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'desktop-4-uploading.png'), fullPage: true });
    assert(/\d+% · .* of .* · .*\/s · .* left/.test(await text(page, '#ptext')), `progress text lacks percent/speed/time left: ${await text(page, '#ptext')}`);
    await waitText(page, '#result', /The device is back: webota-demo 1\.1\.0 runs from ota_0/, 60000);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    const values = await page.evaluate(() => { clearInterval(window.__barTimer); return window.__bar; });
    const mid = [...new Set(values.filter((v) => v > 0 && v < 100))];
    assert(mid.length >= 3, `the progress bar took too few intermediate values: ${mid}`);
    for (let i = 1; i < values.length; i++) assert(values[i] >= values[i - 1] || values[i] === 0, `the progress bar went backwards: ${values}`);
    assert(posts.length === before + 1 && UPLOAD.test(posts[before]), `expected one POST /api/update?id=…: ${posts.slice(before)}`);
    await waitText(page, '#d-version', /^1\.1\.0\b/);
    assert(/ota_0/.test(await text(page, '#d-running')), 'not running from ota_0');
    assert(/pending verification/.test(await text(page, '#d-running')), 'the new firmware is not shown as pending verification');
    await page.screenshot({ path: path.join(ARTIFACTS, 'desktop-5-pending-verify.png'), fullPage: true });
  });

  await step('confirm makes the new firmware valid', page, async () => {
    assert(await page.isVisible('#b-confirm'), 'no Confirm button for a pending firmware');
    await page.click('#b-confirm');
    await waitText(page, '#result', /Firmware confirmed/);
    await waitText(page, '#d-running', /ota_0 valid/);
    assert(await page.isHidden('#b-confirm'), 'Confirm is still offered for a valid firmware');
    await page.screenshot({ path: path.join(ARTIFACTS, 'desktop-6-confirmed.png'), fullPage: true });
  });

  // compressed: with "a compressed image installs" above, every demo image
  // installs compressed through the page
  await step('a forced image without the updater (.gz) is rolled back by the watchdog', page, async () => {
    const before = posts.length;
    const sent = [];
    const onUpload = (r) => { if (r.method() === 'POST' && /\/api\/update\?/.test(r.url())) sent.push(r.headers()['content-encoding'] || ''); };
    page.on('request', onUpload);
    await page.setInputFiles('#file', { name: 'no-updater.bin.gz', mimeType: 'application/gzip',
      buffer: zlib.gzipSync(demo.noMarker.data, { level: 9 }) });
    await page.waitForSelector('#b-force', { state: 'visible' });
    await page.click('#b-force');
    await waitText(page, '#result', /came back on ota_0 \(1\.1\.0\).*rolled back/, 60000 + WATCHDOG_S * 1000);
    page.off('request', onUpload);
    assert(sent.length > 0 && sent.every((e) => e === 'gzip'), `the upload was sent with Content-Encoding ${JSON.stringify(sent)}`);
    assert(posts.length === before + 1 && /\/api\/update\?id=[0-9a-f]{32}&force=1$/.test(posts[before]), `expected POST /api/update?id=…&force=1: ${posts.slice(before)}`);
    await waitText(page, '#d-version', /^1\.1\.0\b/);
    assert(await page.evaluate(() => document.getElementById('file').value === ''), 'the uploaded file is still selected after the device came back');
    // only the current state: the earlier "Installed 1.2.0 into ota_1" is gone
    const shown = await page.evaluate(() => document.body.innerText);
    assert(!/Installed 1\.2\.0/.test(shown), `the success message stays next to the rollback: ${shown}`);
    assert(await page.isHidden('#prog'), 'the progress of the rolled-back upload still shows');
    await page.screenshot({ path: path.join(ARTIFACTS, 'desktop-7-rolled-back.png'), fullPage: true });
  });

  await step('reboot brings the same firmware back', page, async () => {
    const before = posts.length;
    await page.click('#b-reboot');
    await waitText(page, '#result', /The device is back: webota-demo 1\.1\.0 runs from ota_0 \(valid\)/, 30000);
    assert(posts.length === before + 1 && /\/api\/reboot$/.test(posts[before]), `expected POST /api/reboot: ${posts.slice(before)}`);
    assert(await page.isEnabled('#b-reboot'), 'the buttons stay disabled after the reboot');
  });

  await step('roll back returns to the previous valid firmware', page, async () => {
    assert(await page.isVisible('#b-rollback'), 'no Roll back button although factory 1.0.0 is valid');
    await page.click('#b-rollback');
    await waitText(page, '#result', /The device is back: webota-demo 1\.0\.0 runs from factory/, 30000);
    await waitText(page, '#d-version', /^1\.0\.0\b/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'desktop-8-rolled-back-by-user.png'), fullPage: true });
  });

  await step('the console shows nothing but the deliberate refusal and the reboots', page, async () => {
    // allowed: the device's answer to the refused upload (422), and status
    // requests that found the device restarting (a network error: refused,
    // reset, empty, aborted by the page's own timeout; never an HTTP status)
    const unexpected = consoleLog.filter((m) => !(
      (UPLOAD.test(m.url) && /status of 422/.test(m.text)) ||
      (/\/api\/status$/.test(m.url) && /^Failed to load resource: net::ERR_[A-Z_]+$/.test(m.text))));
    console.log(`# console: ${[...new Set(consoleLog.map((m) => `${m.type}: ${m.text}`))].join(' | ') || 'nothing'}`);
    assert(unexpected.length === 0, `the console shows: ${JSON.stringify(unexpected)}`);
    assert(notFound.length === 0, `requests answered 404: ${notFound}`);
  });

  await step('the keyboard reaches the file picker and the buttons', page, async () => {
    await page.goto(base + '/');
    await waitText(page, '#d-version', /1\.0\.0/);
    const seen = new Set();
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      seen.add(await page.evaluate(() => document.activeElement && document.activeElement.id));
    }
    for (const id of ['file', 'b-reboot']) assert(seen.has(id), `Tab never reaches #${id}: ${[...seen]}`);
  });

  await step('on a phone the page fits the screen', null, async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const p = await phone.newPage();
    await p.goto(base + '/');
    await waitText(p, '#d-version', /1\.0\.0/);
    await p.setInputFiles('#file', demo.noMarker.file);
    await p.waitForSelector('#warn', { state: 'visible' });
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await p.screenshot({ path: path.join(ARTIFACTS, 'phone.png'), fullPage: true });
    assert(overflow <= 0, `the page is ${overflow}px wider than the phone screen`);
    await phone.close();
  });

  await step('without JavaScript the form posts to /update', null, async () => {
    const nojs = await browser.newContext({ javaScriptEnabled: false });
    const p = await nojs.newPage();
    await p.goto(base + '/');
    await p.screenshot({ path: path.join(ARTIFACTS, 'nojs.png'), fullPage: true });
    await p.setInputFiles('#file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not firmware\n') });
    const [resp] = await Promise.all([
      p.waitForResponse((r) => r.url().endsWith('/update') && r.request().method() === 'POST', { timeout: 15000 }),
      p.click('#b-up'),
    ]);
    assert(resp.status() === 422, `POST /update of a text file answered ${resp.status()}, expected 422`);
    const ct = resp.request().headers()['content-type'] || '';
    assert(/^multipart\/form-data; boundary=/.test(ct), `the form was not sent as multipart: ${ct}`);
    await p.waitForLoadState();
    await p.screenshot({ path: path.join(ARTIFACTS, 'nojs-refused.png'), fullPage: true });
    // the refusal is a readable page, not raw JSON, with a way back
    const rct = resp.headers()['content-type'] || '';
    assert(/^text\/html\b/.test(rct), `the refusal came as ${rct}, expected text/html`);
    assert(await p.title() === 'Update refused', `the refusal page is titled "${await p.title()}"`);
    const shown = await p.evaluate(() => document.body.innerText);
    assert(/not an ESP app image \(first byte is not 0xE9\)/.test(shown) && /Error bad_magic \(HTTP 422\)/.test(shown),
      `the refusal page does not say why: "${shown}"`);
    assert(!shown.includes('{"error"'), `the refusal page shows JSON: "${shown}"`);
    await Promise.all([p.waitForNavigation({ timeout: 15000 }), p.click('text=Back to the updater')]);
    assert(new URL(p.url()).pathname === '/', `"Back to the updater" went to ${p.url()}`);
    await p.waitForSelector('#b-up');
    await nojs.close();
  });

  // Compressed uploads: a .gz is inflated in the browser to be checked like a
  // .bin, then sent as it is with Content-Encoding: gzip.
  const encodings = [];
  page.on('request', (r) => { if (r.method() === 'POST' && /\/api\/update(\?|$)/.test(r.url())) encodings.push(r.headers()['content-encoding'] || ''); });
  const gz = zlib.gzipSync(demo.good.data, { level: 9 });

  await step('a damaged .gz is refused in the browser and nothing is sent', page, async () => {
    await page.goto(base + '/');
    await waitText(page, '#d-version', /^1\.0\.0\b/);
    const before = posts.length;
    const bad = patched(gz, (b) => { b[b.length - 6] ^= 0x01; }); // CRC-32 of the trailer
    await page.setInputFiles('#file', { name: 'app.bin.gz', mimeType: 'application/gzip', buffer: bad });
    await waitText(page, '#fmsg', /not a valid gzip file.*Nothing was sent/);
    assert(await page.isDisabled('#b-up'), 'Upload is enabled for a damaged .gz');
    const cut = gz.subarray(0, gz.length >> 1);
    await page.setInputFiles('#file', { name: 'cut.bin.gz', mimeType: 'application/gzip', buffer: cut });
    await waitText(page, '#fmsg', /not a valid gzip file/);
    // a .gz of an image for another chip: judged after inflating, like the .bin
    const c3 = zlib.gzipSync(patched(demo.good.data, (b) => b.writeUInt16LE(5, 12)));
    await page.setInputFiles('#file', { name: 'c3.bin.gz', mimeType: 'application/gzip', buffer: c3 });
    await waitText(page, '#fmsg', /built for ESP32-C3.*Nothing was sent/);
    await page.waitForTimeout(300);
    assert(posts.length === before, `a POST was made: ${posts.slice(before)}`);
  });

  await step('a compressed image installs and the device comes back with it', page, async () => {
    const before = posts.length;
    await page.setInputFiles('#file', { name: 'webota-demo-1.1.0.bin.gz', mimeType: 'application/gzip', buffer: gz });
    await waitText(page, '#fmsg', /Ready to upload: webota-demo 1\.1\.0/);
    const info = await text(page, '#info');
    assert(/compressed.*inflated/.test(info), `the file row does not show both sizes: ${info}`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'desktop-9-compressed.png'), fullPage: true });
    await page.click('#b-up');
    await waitText(page, '#result', /The device is back: webota-demo 1\.1\.0 runs from ota_/, 60000);
    assert(posts.length === before + 1, `expected one POST: ${posts.slice(before)}`);
    assert(encodings[encodings.length - 1] === 'gzip', `sent with Content-Encoding "${encodings[encodings.length - 1]}"`);
  });
  await hardeningSteps(base, page, posts, cspViolations, demo);


  // Signed images only: the simulator again, on the same flash, trusting one test key.
  const KEYS = path.join(__dirname, '..', 'vectors', 'sbv2', 'keys');
  const signWith = (key) => {
    const out = path.join(tmp, `signed-${key}.bin`);
    execFileSync(WEBOTA, ['image', 'sign', '--key', path.join(KEYS, `${key}.pem`), demo.good.file, '-o', out]);
    return out;
  };
  const trusted = signWith('p256_a');
  const untrusted = signWith('p256_b');
  await step('a device that requires signatures names its keys', page, async () => {
    assert(await stopSim(), 'the simulator did not stop within 10 s of SIGINT');
    // (and does not hold dropped uploads: the page uploads without an id)
  const base2 = await startSim(['--trusted-key', path.join(KEYS, 'p256_a.pub.pem'), '--resume-hold', '0']);
    await page.goto(base2 + '/');
    await waitText(page, '#d-sig', /^required: ecdsa256 key 8efe9920…cb30$/);
  });
  await step('an unsigned image is refused in the browser', page, async () => {
    await page.setInputFiles('#file', demo.good.file);
    await waitText(page, '#fmsg', /cannot be installed: this device installs only signed images/);
    await waitText(page, '#i-sig', /^none$/);
    assert(await page.isDisabled('#b-up'), 'Upload is enabled for an unsigned image');
  });
  await step('an image signed by another key is refused in the browser', page, async () => {
    await page.setInputFiles('#file', untrusted);
    await waitText(page, '#i-sig', /block 0: ecdsa256 key 4e1675fc…5da2 \(not trusted\)/);
    await waitText(page, '#fmsg', /not signed by any of them/);
    assert(await page.isDisabled('#b-up'), 'Upload is enabled for an untrusted signature');
  });
  await step('an image signed by the trusted key shows it and installs', page, async () => {
    await page.setInputFiles('#file', trusted);
    await waitText(page, '#i-sig', /block 0: ecdsa256 key 8efe9920…cb30 \(trusted by this device\)/);
    await waitText(page, '#fmsg', /Ready to upload/);
    assert(await page.isEnabled('#b-up'), 'Upload is disabled for a trusted signature');
    await page.screenshot({ path: path.join(ARTIFACTS, 'signed-image.png'), fullPage: true });
    const before = posts.length, sessionsBefore = sessions.length;
    await page.click('#b-up');
    await waitText(page, '#result', /The device is back: webota-demo 1\.1\.0 runs from/, 60000);
    // this device's status says resume_hold_s 0: one plain upload, no upload id asked for
    assert(posts.length === before + 1 && /\/api\/update$/.test(posts[before]) && sessions.length === sessionsBefore,
      `expected one POST /api/update without an id: ${posts.slice(before)}, ${sessions.length - sessionsBefore} upload ids`);
  });

  // Pulling: a release served by a plain static server (node's http module)
  // whose manifest the trusted key signed but whose image only another key
  // did: the device downloads it, refuses it, and the page says why.
  const rel = path.join(tmp, 'release');
  const raw = path.join(tmp, 'pull-1.2.0.bin');
  execFileSync(WEBOTA, ['image', 'make', '--chip', 'esp32', '--project', 'webota-demo', '--version', '1.2.0', '-o', raw]);
  execFileSync(WEBOTA, ['release', 'publish', '--key', path.join(KEYS, 'p256_b.pem'), '--dir', rel, raw]);
  execFileSync(WEBOTA, ['release', 'sign', '--key', path.join(KEYS, 'p256_a.pem'), path.join(rel, 'stable.json')]);
  const served = [];
  // The image is held back until the page has shown the download: the
  // refusal that follows must reach the page without a reload.
  let letImageGo;
  const imageGate = new Promise((resolve) => { letImageGo = resolve; });
  const server = http.createServer(async (req, res) => {
    const file = path.join(rel, path.normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)));
    served.push(req.url);
    if (req.url.startsWith('/images/')) await imageGate;
    if (!file.startsWith(rel + path.sep) || !fs.existsSync(file)) {
      res.writeHead(404);
      return res.end();
    }
    const data = fs.readFileSync(file);
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': data.length });
    res.end(data);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await step('a pulled image signed by an untrusted key: the page follows the download and shows the refusal and why', page, async () => {
      assert(await stopSim(), 'the simulator did not stop within 10 s of SIGINT');
      fs.rmSync(path.join(tmp, 'webota-flash.bin')); // a new device: factory 1.0.0
      const url = `http://127.0.0.1:${server.address().port}/stable.json`;
      const base3 = await startSim(['--trusted-key', path.join(KEYS, 'p256_a.pub.pem'), '--pull', url,
        '--pull-interval', '0.5']);
      let shown = '';
      for (let i = 0; i < 100 && !/^downloading 1\.2\.0\b/.test(shown); i++) { // until its first poll
        await page.goto(base3 + '/');
        await waitText(page, '#d-version', /^1\.0\.0\b/);
        shown = (await page.isVisible('#d-pull')) ? await text(page, '#d-pull') : '';
        if (!/^downloading/.test(shown)) await page.waitForTimeout(200);
      }
      assert(/^downloading 1\.2\.0\b/.test(shown), `the page never showed the download: "${shown}"`);
      letImageGo();
      // no reload from here: the page asks the status again while the device downloads
      await waitText(page, '#d-pull', /trusts/, 30000);
      shown = await text(page, '#d-pull');
      assert(/^idle: image is not signed by a key this device trusts \(block 0: key not trusted, ecdsa256 key /.test(shown),
        `the page's release server line says "${shown}"`);
      assert(await page.isVisible('#t-pull'), 'the "Release server" label is hidden');
      assert(served.includes('/images/webota-demo-1.2.0.bin'), `the image was not downloaded: ${served}`);
      await page.screenshot({ path: path.join(ARTIFACTS, 'pull-refused.png'), fullPage: true });
    });
  } finally {
    server.close();
  }
  await resumeSteps(demo);
}

// The page under its own Content-Security-Policy, framing refused, destructive
// buttons asking first, and the login of a device with a password.
async function hardeningSteps(base, page, posts, cspViolations, demo) {
  await step('the page runs under its Content-Security-Policy without a violation', page, async () => {
    const resp = await page.goto(base + '/');
    const csp = (await resp.headerValue('content-security-policy')) || '';
    assert(/script-src 'sha256-/.test(csp) && /frame-ancestors 'none'/.test(csp) && !/unsafe-inline/.test(csp), `CSP: ${csp}`);
    assert((await resp.headerValue('x-frame-options')) === 'DENY', 'no X-Frame-Options: DENY');
    await waitText(page, '#d-version', /^\d+\.\d+\.\d+\b/);
    assert(cspViolations.length === 0, `CSP violations: ${cspViolations.join(' | ')}`);
  });

  await step('another site cannot frame the page', null, async () => {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    let answered = null;
    p.on('response', (r) => { if (r.url() === base + '/') answered = r; });
    await p.setContent(`<h1>evil</h1><iframe id="f" src="${base}/" width="600" height="400"></iframe>`);
    const f = await (await p.waitForSelector('#f')).contentFrame();
    await f.waitForLoadState('domcontentloaded', { timeout: 10000 }).catch(() => {});
    await p.waitForFunction(() => true, null, { timeout: 1000 });
    assert(answered && answered.status() === 200, 'the device was not asked for the page (nothing to block)');
    const title = await f.evaluate(() => document.title).catch(() => '(blocked)');
    const buttons = await f.$('#b-reboot').catch(() => null);
    assert(title !== 'ESP32 OTA Update' && !buttons, `the page rendered inside another site's frame (title "${title}")`);
    await p.screenshot({ path: path.join(ARTIFACTS, 'framed-refused.png') });
    await ctx.close();
  });

  await step('Reboot asks first; dismissed, nothing is sent', null, async () => {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    const mine = [];
    p.on('request', (r) => { if (r.method() === 'POST') mine.push(r.url()); });
    let asked = '';
    p.on('dialog', (d) => { asked = d.message(); d.dismiss(); });
    await p.goto(base + '/');
    await waitText(p, '#d-version', /^\d+\.\d+\.\d+\b/);
    await p.click('#b-reboot');
    await p.waitForFunction(() => true, null, { timeout: 500 }).catch(() => {});
    await p.waitForTimeout(500);
    assert(/Reboot the device\?/.test(asked), `no confirmation was asked (dialog: "${asked}")`);
    assert(mine.length === 0, `a POST was made although the user said no: ${mine}`);
    assert(await p.isEnabled('#b-reboot'), 'Reboot stays disabled after saying no');
    await ctx.close();
  });

  // A second simulator with a password (from the environment, never argv).
  const PW = 'open sesame 42';
  const sub = fs.mkdtempSync(path.join(os.tmpdir(), 'webota-browser-pw-'));
  const second = spawn(WEBOTA, ['sim', '--bind', '127.0.0.1', '--port', '0', '--flash', path.join(sub, 'f.bin'),
    '--confirm', 'first-request', '--watchdog', String(WATCHDOG_S)],
  { cwd: sub, stdio: ['ignore', 'pipe', 'pipe'], env: Object.assign({}, process.env, { WEBOTA_PASSWORD: PW }) });
  let log2 = '';
  try {
    const base2 = await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the second simulator did not start:\n' + log2)), 20000);
      const on = (d) => {
        log2 += d.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(log2);
        if (m) { clearTimeout(t); resolve(m[1]); }
      };
      second.stdout.on('data', on);
      second.stderr.on('data', on);
    });
    await step('a device with a password: the page logs in, the password never leaves it', null, async () => {
      const ctx = await browser.newContext();
      const p = await ctx.newPage();
      const seen = [];
      p.on('request', (r) => seen.push(r));
      p.on('dialog', (d) => d.accept());
      await p.goto(base2 + '/');
      await p.waitForSelector('#login', { state: 'visible', timeout: 10000 });
      await waitText(p, '#lmsg', /needs a password/);
      await p.fill('#pw', 'not it');
      await p.click('#b-login');
      await waitText(p, '#lmsg', /Wrong password/);
      await p.fill('#pw', PW);
      await p.click('#b-login');
      await waitText(p, '#d-version', /^1\.0\.0\b/);
      assert(await p.isHidden('#login'), 'the login form stays after logging in');
      assert(await p.inputValue('#pw') === '', 'the password stays in the field');
      await p.screenshot({ path: path.join(ARTIFACTS, 'login-done.png'), fullPage: true });
      // an authenticated POST: reboot, and the page follows the device back
      await p.click('#b-reboot');
      await waitText(p, '#result', /The device is back: webota-demo 1\.0\.0 runs from factory/, 30000);
      const post = seen.find((r) => r.method() === 'POST');
      assert(post && /^WebOTA-HMAC nonce="[0-9a-f]{32}", mac="[0-9a-f]{64}"$/.test(post.headers().authorization || ''),
        `the reboot was not sent with a challenge answer: ${post && post.headers().authorization}`);
      for (const r of seen) {
        const all = JSON.stringify(r.headers()) + (r.postData() || '') + r.url();
        assert(!all.includes(PW) && !all.includes(encodeURIComponent(PW)), `the password was sent: ${r.method()} ${r.url()}`);
      }
      assert(/login: wrong password from 127\.0\.0\.1 \(1 failure\)/.test(log2), 'the failed login was not logged');
      assert(!log2.includes(PW), 'the password appears in the simulator log');
      await ctx.close();
    });
    await step('with a password, a resumed upload answers a challenge in every request', null, async () => {
      const px = await startProxy(Number(new URL(base2).port));
      try {
        const { ctx, p, rec } = await resumePage(px, PW);
        px.cuts = [px.sent + Math.floor(demo.good.data.length * 0.5)];
        await p.setInputFiles('#file', demo.good.file);
        await waitText(p, '#fmsg', /Ready to upload: webota-demo 1\.1\.0/);
        await p.click('#b-up');
        await waitText(p, '#result', /The device is back: webota-demo 1\.1\.0 runs from ota_0/, 60000);
        const texts = await p.evaluate(() => window.__texts);
        assert(px.drops === 1 && texts.includes('Connection lost, resuming…'), `drops ${px.drops}, texts ${JSON.stringify(texts)}`);
        assert(rec.sessions === 1 && rec.uploads.length >= 2 && rec.uploads.some((u) => Number(u.offset) > 0), `uploads: ${JSON.stringify(rec.uploads)}`);
        // the upload id, each part of the upload and each "where are you" (GET ?id=) logged in
        const api = rec.requests.filter((r) => /\/api\/update/.test(r.url()));
        assert(api.some((r) => r.method() === 'GET'), 'the page never asked the device for the offset');
        for (const r of api) {
          assert(/^WebOTA-HMAC nonce="[0-9a-f]{32}", mac="[0-9a-f]{64}"$/.test(r.headers().authorization || ''),
            `${r.method()} ${r.url()} went without a challenge answer`);
        }
        for (const r of rec.requests) {
          const all = JSON.stringify(r.headers()) + r.url();
          assert(!all.includes(PW) && !all.includes(encodeURIComponent(PW)), `the password was sent: ${r.method()} ${r.url()}`);
        }
        // besides the link's breaks: the one 401 that made the page ask for the password
        const bad = unexpectedConsole(rec);
        const asked = bad.filter((m) => /\/api\/status$/.test(m.url) && /status of 401/.test(m.text));
        assert(asked.length === 1 && bad.length === 1, `the console shows: ${JSON.stringify(bad)}`);
        await ctx.close();
      } finally {
        await px.stop();
      }
    });
  } finally {
    second.kill('SIGINT');
    await new Promise((r) => { if (second.exitCode !== null) r(); else second.once('exit', r); setTimeout(r, 10000); });
    fs.rmSync(sub, { recursive: true, force: true });
  }
}

// A TCP proxy on 127.0.0.1 between the browser and the simulator, as a link
// that breaks: it counts the bytes the browser sends (all connections
// together) and resets both sides of the connection that carries byte
// cuts[0], cuts[1], ...; with closeAfterCut it then refuses (resets) every new
// connection until `closed` is set back to false: the device out of reach.
// With cutReply N, the first connection that carried more than N bytes from
// the browser is reset when the device's answer comes: the whole upload
// arrived, its answer is lost.
function startProxy(upstream) {
  const px = { cuts: [], sent: 0, drops: 0, closed: false, closeAfterCut: false, cutReply: 0, conns: new Set() };
  px.server = net.createServer((c) => {
    c.on('error', () => {});
    if (px.closed) return c.resetAndDestroy();
    const u = net.connect(upstream, '127.0.0.1');
    u.on('error', () => {});
    px.conns.add(c);
    px.conns.add(u);
    const end = () => { px.conns.delete(c); px.conns.delete(u); };
    c.on('close', () => { end(); u.destroy(); });
    u.on('close', () => { end(); c.destroy(); });
    let mine = 0;
    c.on('data', (d) => {
      mine += d.length;
      if (px.cuts.length && px.sent + d.length >= px.cuts[0]) {
        px.cuts.shift();
        px.drops++;
        if (px.closeAfterCut) px.closed = true;
        c.resetAndDestroy();
        u.resetAndDestroy();
        return;
      }
      px.sent += d.length;
      u.write(d);
    });
    u.on('data', (d) => {
      if (px.cutReply && mine > px.cutReply) {
        px.cutReply = 0;
        px.drops++;
        c.resetAndDestroy();
        u.resetAndDestroy();
        return;
      }
      c.write(d);
    });
  });
  return new Promise((resolve, reject) => {
    px.server.once('error', reject);
    px.server.listen(0, '127.0.0.1', () => {
      px.url = `http://127.0.0.1:${px.server.address().port}`;
      px.stop = () => new Promise((r) => { for (const s of px.conns) s.destroy(); px.server.close(() => r()); });
      resolve(px);
    });
  });
}

// GET url (the simulator directly, not through the proxy): its JSON.
function getJSON(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => { try { resolve(JSON.parse(body)); } catch (e) { reject(new Error(`${url}: ${body}`)); } });
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within 5 s`)));
    req.on('error', reject);
  });
}

// Waits (bounded) until fn() is true; fn may be async.
async function until(what, fn, timeout = 15000) {
  const t0 = Date.now();
  for (;;) {
    if (await fn()) return;
    if (Date.now() - t0 > timeout) throw new Error(`${what}: not within ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// A page through the proxy that records every text its progress line and
// result took, the upload requests it made and everything its console showed.
async function resumePage(px, password) {
  const ctx = await browser.newContext();
  const p = await ctx.newPage();
  const rec = { uploads: [], sessions: 0, console: [], requests: [] };
  p.on('request', (r) => {
    rec.requests.push(r);
    if (r.method() === 'POST' && /\/api\/update\/session$/.test(r.url())) rec.sessions++;
    else if (r.method() === 'POST' && /\/api\/update\?/.test(r.url())) rec.uploads.push({ url: r.url(), offset: r.headers()['upload-offset'] });
  });
  p.on('console', (m) => rec.console.push({ text: m.text(), url: (m.location() || {}).url || '' }));
  p.on('pageerror', (e) => rec.console.push({ text: `page script error: ${e.message}`, url: '' }));
  await p.goto(px.url + '/');
  if (password) {
    await p.waitForSelector('#login', { state: 'visible', timeout: 10000 });
    await p.fill('#pw', password);
    await p.click('#b-login');
  }
  await waitText(p, '#d-version', /^1\.0\.0\b/);
  // a slow link (64 KiB/s up), as at the edge of a SoftAP's range: the device
  // takes the bytes as they come, so a drop finds it part way
  const cdp = await ctx.newCDPSession(p);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 64 * 1024 });
  await p.evaluate(() => {
    window.__texts = [];
    const o = new MutationObserver(() => {
      for (const id of ['ptext', 'result']) {
        const t = document.getElementById(id).textContent;
        if (t && window.__texts[window.__texts.length - 1] !== t) window.__texts.push(t);
      }
    });
    for (const id of ['ptext', 'result']) o.observe(document.getElementById(id), { childList: true, characterData: true, subtree: true });
  });
  return { ctx, p, rec };
}

// What the page's console may show while its link breaks: the failed
// requests (reset, refused: net::ERR_…), the device's 404 for an upload it no
// longer holds and, when the browser resent a dropped request by itself
// before the device saw the drop, 409/416 for that resend. Nothing else.
function unexpectedConsole(rec) {
  return rec.console.filter((m) => !(
    (/\/api\/(update|auth|status)\b/.test(m.url) && /^Failed to load resource: net::ERR_[A-Z_]+$/.test(m.text)) ||
    (/\/api\/update\?id=/.test(m.url) && /status of (404|409|416)/.test(m.text))));
}

// Where a partition starts, from the table at 0x8000 of the flash file.
function partition(flash, label) {
  for (let o = 0x8000; o < 0x9000 && flash.readUInt16LE(o) === 0x50aa; o += 32) {
    if (flash.subarray(o + 12, o + 28).toString('latin1').replace(/\0.*$/s, '') === label) {
      return { offset: flash.readUInt32LE(o + 4), size: flash.readUInt32LE(o + 8) };
    }
  }
  throw new Error(`no partition ${label} in the flash file`);
}

// Uploads through a link that breaks: the page resumes by itself and the
// device installs exactly the file's bytes; a link that stays down longer
// than the device holds the upload ends with a clear message, firmware and
// otadata untouched, and the file can be sent again.
async function resumeSteps(demo) {
  const img = demo.good.data;
  const dir = fs.mkdtempSync(path.join(tmp, 'resume-'));
  const flashPath = path.join(dir, 'flash.bin');
  assert(await stopSim(), 'the simulator did not stop within 10 s of SIGINT');
  let base = await startSim([], flashPath);
  let px = await startProxy(Number(new URL(base).port));
  try {
    let ctx, p, rec;
    await step('an upload cut twice resumes by itself and installs the same bytes', null, async () => {
      const st = await getJSON(base + '/api/status');
      assert(st.resume_hold_s === 60 && st.next && st.next.label === 'ota_0', `status: resume_hold_s ${st.resume_hold_s}, next ${JSON.stringify(st.next)}`);
      ({ ctx, p, rec } = await resumePage(px));
      px.cuts = [px.sent + Math.floor(img.length * 0.3), px.sent + Math.floor(img.length * 0.7)];
      await p.setInputFiles('#file', demo.good.file);
      await waitText(p, '#fmsg', /Ready to upload: webota-demo 1\.1\.0/);
      await p.click('#b-up');
      await waitText(p, '#result', /The device is back: webota-demo 1\.1\.0 runs from ota_0/, 60000);
      await p.screenshot({ path: path.join(ARTIFACTS, 'resume-done.png'), fullPage: true });
      const texts = await p.evaluate(() => window.__texts);
      assert(px.drops === 2, `the proxy cut ${px.drops} connections, expected 2`);
      assert(texts.some((t) => /^Connection lost, resuming…$/.test(t)), `the page never said "Connection lost, resuming…": ${JSON.stringify(texts)}`);
      // one upload id; the first request from byte 0, then resumes from later offsets, all with that id
      const ids = new Set(rec.uploads.map((u) => new URL(u.url).searchParams.get('id')));
      assert(rec.sessions === 1 && ids.size === 1, `${rec.sessions} upload ids asked for, ${ids.size} used: ${JSON.stringify(rec.uploads)}`);
      assert(rec.uploads[0].offset === '0' && rec.uploads.some((u) => Number(u.offset) > 0),
        `no upload resumed from a later offset: ${JSON.stringify(rec.uploads)}`);
      const resumedAt = rec.uploads.map((u) => Number(u.offset)).filter((o) => o > 0);
      assert(resumedAt.every((o) => o < img.length), `an offset past the end: ${resumedAt}`);
      // exactly the file's bytes in the slot, and the device runs them
      const now = await getJSON(base + '/api/status');
      assert(now.version === '1.1.0' && now.running.label === 'ota_0', `the device runs ${now.version} from ${now.running.label}`);
      const flash = fs.readFileSync(flashPath);
      const slot = partition(flash, 'ota_0');
      assert(slot.offset === st.next.offset, `ota_0 at 0x${slot.offset.toString(16)}, the status said 0x${st.next.offset.toString(16)}`);
      assert(flash.subarray(slot.offset, slot.offset + img.length).equals(img), 'the slot does not hold exactly the uploaded bytes');
      const bad = unexpectedConsole(rec);
      console.log(`# resumed at ${resumedAt.join(', ')} of ${img.length} bytes; console: ${[...new Set(rec.console.map((m) => m.text))].join(' | ') || 'nothing'}`);
      assert(bad.length === 0, `the console shows: ${JSON.stringify(bad)}`);
    });

    // The whole file arrives and the device's answer is lost: the device
    // no longer knows the upload id (404); the page asks its status instead of
    // saying that nothing was installed.
    await step("a refusal whose answer is lost: the page shows the device's refusal", p, async () => {
      await p.click('#b-confirm');
      await waitText(p, '#result', /Firmware confirmed/);
      const bad = patched(img, (b) => { b[b.length >> 1] ^= 0x01; });
      await p.setInputFiles('#file', { name: 'corrupt.bin', mimeType: 'application/octet-stream', buffer: bad });
      await waitText(p, '#fmsg', /Ready to upload/);
      const drops = px.drops;
      px.cutReply = Math.floor(img.length / 2);
      await p.evaluate(() => { window.__texts = []; });
      await p.click('#b-up');
      await waitText(p, '#fmsg', /^The device refused this file: .*\((bad_checksum|bad_sha256)\)\. Nothing was installed; choose another file\.$/, 30000);
      const texts = await p.evaluate(() => window.__texts);
      assert(px.drops === drops + 1 && texts.includes('Connection lost, resuming…'), `the answer was not cut (drops ${px.drops - drops}): ${JSON.stringify(texts)}`);
      assert(await p.isDisabled('#b-up'), 'Upload is enabled for the refused file');
      assert(await p.isHidden('#prog'), 'the progress of the refused upload still shows');
      const s = await getJSON(base + '/api/status');
      assert(s.version === '1.1.0' && s.running.label === 'ota_0' && s.running.state === 'valid', `the device: ${JSON.stringify(s)}`);
    });

    await step('an install whose answer is lost: the page follows the device into it', p, async () => {
      await p.setInputFiles('#file', demo.good.file);
      await waitText(p, '#fmsg', /Ready to upload: webota-demo 1\.1\.0/);
      const drops = px.drops;
      px.cutReply = Math.floor(img.length / 2);
      await p.evaluate(() => { window.__texts = []; });
      await p.click('#b-up');
      await waitText(p, '#result', /The device is back: webota-demo 1\.1\.0 runs from ota_1/, 60000);
      const texts = await p.evaluate(() => window.__texts);
      assert(px.drops === drops + 1 && texts.includes('Connection lost, resuming…'), `the answer was not cut (drops ${px.drops - drops}): ${JSON.stringify(texts)}`);
      assert(!texts.some((t) => /Nothing was installed|did not come back/.test(t)), `the page said otherwise first: ${JSON.stringify(texts)}`);
      const flash = fs.readFileSync(flashPath);
      const slot = partition(flash, 'ota_1');
      assert(flash.subarray(slot.offset, slot.offset + img.length).equals(img), 'ota_1 does not hold exactly the uploaded bytes');
      const bad = unexpectedConsole(rec);
      assert(bad.length === 0, `the console shows: ${JSON.stringify(bad)}`);
      await ctx.close();
    });

    // a device that holds a dropped upload 1 s
    await px.stop();
    assert(await stopSim(), 'the simulator did not stop within 10 s of SIGINT');
    fs.rmSync(flashPath);
    base = await startSim(['--resume-hold', '1'], flashPath);
    px = await startProxy(Number(new URL(base).port));
    ({ ctx, p, rec } = await resumePage(px));
    const otadata = () => {
      const f = fs.readFileSync(flashPath);
      const o = partition(f, 'otadata');
      return f.subarray(o.offset, o.offset + o.size);
    };
    const before = otadata();
    const factory = () => { const f = fs.readFileSync(flashPath); const o = partition(f, 'factory'); return f.subarray(o.offset, o.offset + o.size); };
    const factoryBefore = factory();

    await step('a link down longer than the hold time ends clearly, firmware untouched', p, async () => {
      const st = await getJSON(base + '/api/status');
      assert(st.resume_hold_s === 1, `status: resume_hold_s ${st.resume_hold_s}, expected 1`);
      px.cuts = [px.sent + Math.floor(img.length * 0.4)];
      px.closeAfterCut = true;
      await p.setInputFiles('#file', demo.good.file);
      await waitText(p, '#fmsg', /Ready to upload: webota-demo 1\.1\.0/);
      await p.click('#b-up');
      await waitText(p, '#ptext', /^Connection lost, resuming…$/, 20000);
      // the device holds the upload, then gives it up once its hold time has
      // passed (asked directly, not through the proxy)
      const seen = [];
      const upd = async () => { const u = (await getJSON(base + '/api/status')).update; seen.push(JSON.stringify(u)); return u; };
      await until('the device holds the dropped upload', async () => (await upd()).held).catch((e) => { throw new Error(`${e.message}: ${seen.join(' ')}`); });
      await until('the device ends the held upload', async () => { const u = await upd(); return !u.held && u.state === 'failed'; });
      console.log(`# the device: ${[...new Set(seen)].join(' ')}`);
      px.closed = false; // the link is back; the page asks the device where it stands
      await waitText(p, '#result', /^The device no longer holds the interrupted upload \(it waits 1 s for the connection to come back\)\. Nothing was installed: the running firmware is unchanged\. Upload to send the file again\.$/, 20000);
      await p.screenshot({ path: path.join(ARTIFACTS, 'resume-expired.png'), fullPage: true });
      assert(await p.isHidden('#prog'), 'the progress of the lost upload still shows');
      assert(await p.isEnabled('#b-up'), 'Upload is not offered again');
      const s = await getJSON(base + '/api/status');
      assert(s.version === '1.0.0' && s.running.label === 'factory' && s.update.state === 'failed', `after the expired hold: ${JSON.stringify(s)}`);
      assert(otadata().equals(before), 'otadata changed');
      assert(factory().equals(factoryBefore), 'the running firmware changed');
    });

    await step('a link that does not come back: the page gives up after the hold time', p, async () => {
      px.cuts = [px.sent + Math.floor(img.length * 0.5)];
      px.closeAfterCut = true;
      const t0 = Date.now();
      await p.click('#b-up');
      await waitText(p, '#ptext', /^Connection lost, resuming…$/, 20000);
      await waitText(p, '#result', /^The connection to the device was lost and did not come back in time\. Nothing was installed: the running firmware is unchanged\. Upload to send the file again\.$/, 30000);
      console.log(`# gave up after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      assert(await p.isEnabled('#b-up'), 'Upload is not offered again');
      px.closed = false;
      const s = await getJSON(base + '/api/status');
      assert(s.version === '1.0.0' && s.running.label === 'factory', `after giving up: ${JSON.stringify(s)}`);
      assert(otadata().equals(before), 'otadata changed');
      assert(factory().equals(factoryBefore), 'the running firmware changed');
    });

    await step('the same file sent again installs', p, async () => {
      px.closeAfterCut = false;
      await p.click('#b-up');
      await waitText(p, '#result', /The device is back: webota-demo 1\.1\.0 runs from ota_0/, 60000);
      const flash = fs.readFileSync(flashPath);
      const slot = partition(flash, 'ota_0');
      assert(flash.subarray(slot.offset, slot.offset + img.length).equals(img), 'the slot does not hold exactly the uploaded bytes');
      const bad = unexpectedConsole(rec);
      console.log(`# console: ${[...new Set(rec.console.map((m) => m.text))].join(' | ') || 'nothing'}`);
      assert(bad.length === 0, `the console shows: ${JSON.stringify(bad)}`);
    });
    await ctx.close();
  } finally {
    await px.stop();
  }
}

function patched(buf, fn) {
  const b = Buffer.from(buf);
  fn(b);
  return b;
}

main().then(() => 0, (e) => {
  if (!failed) {
    failed++;
    console.log(`not ok - ${String(e.stack || e)}`);
  }
  return 1;
}).then(async (rc) => {
  if (browser) await browser.close().catch(() => {});
  if (!(await stopSim())) {
    failed++;
    console.log('not ok - the simulator did not stop within 10 s of SIGINT');
  }
  cleanup();
  clearTimeout(deadline);
  console.log(`${passed} passed, ${failed} failed`);
  console.log(`# screenshots in ${ARTIFACTS}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  process.exit(failed ? 1 : rc);
});
