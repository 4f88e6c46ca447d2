// Drive the offline splat viewer (spatialsplat.viewer.write_viewer) in headless Chromium, as a file:// page.
// Usage: node viewer_e2e.mjs PLAN.json   (prints one JSON line; exit 1 with a message on failure)
// PLAN: {"page": "/abs/viewer.html", "out": "/abs/dir", "steps": [...]} where each step is one of
//   {"do": "screenshot", "name": "x"}                      canvas screenshot (PNG) to OUT/x.png
//   {"do": "field", "value": "semantic"}                    choose a field in the page's menu
//   {"do": "query", "text": "chair", "threshold": 0.5}      type a query, set the threshold slider
//   {"do": "pruned", "on": true} / {"do": "cameras", "on": false}
//   {"do": "camera", "viewmat": [16], "K": [9], "width": W, "height": H}   a fixed camera (row-major)
//   {"do": "orbit", "az": 10, "el": 5, "zoom": 1.2}        then {"do": "viewmat"} reads the page's camera
//   {"do": "pixels", "name": "x"}                           the canvas' RGB bytes (readPixels) to OUT/x.rgb
//   {"do": "drag", "dx": 80, "dy": 0}                        a mouse drag on the canvas (orbit)
//   {"do": "benchmark", "frames": 30}                       orbiting frames drawn back to back
// Called by tests/test_viewer_browser.py and bench/viewer.py.
import { chromium } from 'playwright-core';
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
               '--disable-component-update', '--disable-sync', '--no-first-run'];
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: FLAGS });
const result = { console_errors: [], requests: [], steps: [] };
try {
  const page = await browser.newPage({ viewport: { width: plan.width || 1000, height: plan.height || 700 }, deviceScaleFactor: 1 });
  page.on('console', m => { if (m.type() === 'error') result.console_errors.push(m.text()); });
  page.on('pageerror', e => result.console_errors.push(`page error: ${e.message}`));
  page.on('request', r => { if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) result.requests.push(r.url()); });
  const t0 = Date.now();
  await page.goto(pathToFileURL(plan.page).href, { waitUntil: 'load', timeout: 120_000 });
  await page.waitForFunction(() => window.splatViewer && window.splatViewer.stats.frames > 0, null, { timeout: 120_000, polling: 50 });
  result.load_ms = Date.now() - t0;
  result.first_frame_ms = await page.evaluate(() => window.splatViewer.stats.firstFrameMs);
  result.info = await page.evaluate(() => ({ fields: window.splatViewer.fields, stats: window.splatViewer.stats, queries: window.splatViewer.meta.queries }));
  const canvas = page.locator('#view');
  for (const s of plan.steps) {
    const r = { do: s.do };
    if (s.do === 'screenshot') { await page.evaluate(() => window.splatViewer.render()); await canvas.screenshot({ path: `${plan.out}/${s.name}.png` }); }
    else if (s.do === 'page_screenshot') { await page.evaluate(() => window.splatViewer.render()); await page.screenshot({ path: `${plan.out}/${s.name}.png` }); }
    else if (s.do === 'field') await page.selectOption('#field', s.value);
    else if (s.do === 'query') {
      if (s.threshold !== undefined) await page.locator('#threshold').fill(String(s.threshold));
      await page.fill('#query', s.text); await page.press('#query', 'Enter');
      r.count = await page.locator('#count').getAttribute('data-count');
      r.text = await page.locator('#count').textContent();
      r.error = await page.locator('#error').textContent();
    }
    else if (s.do === 'pruned') await page.evaluate(on => window.splatViewer.setPruned(on), s.on);
    else if (s.do === 'cameras') await page.evaluate(on => window.splatViewer.setCameras(on), s.on);
    else if (s.do === 'camera') await page.evaluate(c => window.splatViewer.setCamera(c.viewmat, c.K, c.width, c.height), s);
    else if (s.do === 'orbit') await page.evaluate(c => window.splatViewer.setOrbit(c.az, c.el, c.zoom), s);
    else if (s.do === 'viewmat') r.viewmat = await page.evaluate(() => window.splatViewer.viewmat());
    else if (s.do === 'pixels') {
      const px = await page.evaluate(() => window.splatViewer.pixels());
      writeFileSync(`${plan.out}/${s.name}.rgb`, Buffer.from(px.rgb, 'base64'));
      r.width = px.width; r.height = px.height;
    }
    else if (s.do === 'drag') {
      const box = await canvas.boundingBox();
      const x = box.x + box.width / 2, y = box.y + box.height / 2;
      await page.mouse.move(x, y); await page.mouse.down();
      await page.mouse.move(x + s.dx, y + s.dy, { steps: 10 }); await page.mouse.up();
      await page.evaluate(() => window.splatViewer.render());
    }
    else if (s.do === 'legend') r.legend = await page.$$eval('#legend .swatch', els => els.map(e => e.dataset.rgb.split(',').map(Number)));
    else if (s.do === 'benchmark') r.bench = await page.evaluate(n => window.splatViewer.benchmark(n), s.frames || 30);
    else throw new Error(`unknown step ${s.do}`);
    r.state = await page.evaluate(() => window.splatViewer.state());
    result.steps.push(r);
  }
  result.error_text = await page.locator('#error').textContent();
  console.log(JSON.stringify(result));
} catch (e) {
  console.error(`viewer_e2e: ${e.message}`);
  console.error(JSON.stringify(result).slice(0, 4000));
  process.exitCode = 1;
} finally {
  await browser.close();
}
