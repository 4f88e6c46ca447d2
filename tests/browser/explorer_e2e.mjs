// Drive the widget chapter in JupyterLab with headless Chromium: run every cell, wait for the kernel to be
// idle, screenshot the explorer's picture twice without touching it, drag its orbit slider, screenshot again.
// Usage: node explorer_e2e.mjs LAB_URL OUT_DIR   (prints one JSON line; exit 1 with a message on failure)
// Called by tests/test_browser.py, which starts JupyterLab with --LabApp.expose_app_in_browser=True.
import { chromium } from 'playwright-core';

const [url, outDir] = process.argv.slice(2);
if (!url || !outDir) { console.error('usage: node explorer_e2e.mjs LAB_URL OUT_DIR'); process.exit(2); }
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
               '--disable-component-update', '--disable-sync', '--no-first-run'];
const VIEW = '.spatialsplat-explorer .spatialsplat-view';
const HANDLE = '.spatialsplat-explorer .spatialsplat-azimuth .noUi-handle';
const READOUT = '.spatialsplat-explorer .spatialsplat-azimuth .widget-readout';
const log = (...a) => console.error(`[${(performance.now() / 1000).toFixed(1)} s]`, ...a);

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: FLAGS });
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('pageerror', e => log('page error:', e.message));
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 120_000 });
  // the notebook panel with a started kernel
  await page.waitForFunction(() => {
    const w = window.jupyterapp?.shell?.currentWidget;
    return w?.sessionContext?.session?.kernel && w.content?.widgets?.length > 0;
  }, null, { timeout: 180_000, polling: 250 });
  const kernelIdle = () => page.waitForFunction(() => {
    const ctx = window.jupyterapp.shell.currentWidget.sessionContext;
    return ctx.session?.kernel?.status === 'idle' && !ctx.pendingInput;
  }, null, { timeout: 600_000, polling: 250 });
  await kernelIdle();
  log('kernel idle; running all cells');
  await page.evaluate(() => window.jupyterapp.commands.execute('notebook:run-all-cells'));
  // every code cell executed (or an error output, reported at once), and the kernel idle again
  const state = await page.waitForFunction(() => {
    const nb = window.jupyterapp.shell.currentWidget;
    const cells = nb.content.widgets.filter(c => c.model.type === 'code');
    for (const [i, c] of cells.entries()) {
      const err = c.model.outputs.toJSON().find(o => o.output_type === 'error');
      if (err) return { error: `code cell ${i + 1} (${c.model.sharedModel.getSource().split('\n')[0]}): ${err.ename}: ${err.evalue}`.slice(0, 600) };
    }
    const done = cells.every(c => c.model.executionCount !== null);
    return done && nb.sessionContext.session.kernel.status === 'idle' ? { cells: cells.length } : false;
  }, null, { timeout: 600_000, polling: 500 }).then(h => h.jsonValue());
  if (state.error) throw new Error(`a cell of the notebook failed: ${state.error}`);
  log(`ran ${state.cells} code cells`);
  const view = page.locator(VIEW).first();
  await view.scrollIntoViewIfNeeded();
  await page.waitForFunction(sel => { const im = document.querySelector(sel); return im && im.complete && im.naturalWidth > 0; },
                             VIEW, { timeout: 60_000 });
  await page.waitForTimeout(500);
  await view.screenshot({ path: `${outDir}/before.png` });
  await page.waitForTimeout(1000);
  await view.screenshot({ path: `${outDir}/before_again.png` });
  const srcBefore = await view.getAttribute('src');
  const readoutBefore = (await page.locator(READOUT).first().textContent()).trim();
  // drag the orbit slider's handle to the right, as a person would
  const handle = page.locator(HANDLE).first();
  await handle.scrollIntoViewIfNeeded();
  const box = await handle.boundingBox();
  if (!box) throw new Error('the orbit slider handle is not visible');
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 60, box.y + box.height / 2, { steps: 12 });
  await page.mouse.up();
  log('slider dragged; waiting for a new picture');
  await page.waitForFunction(([sel, old]) => {
    const im = document.querySelector(sel);
    return im && im.getAttribute('src') !== old && im.complete && im.naturalWidth > 0;
  }, [VIEW, srcBefore], { timeout: 120_000, polling: 250 });
  await kernelIdle();
  await page.waitForTimeout(500);
  await view.screenshot({ path: `${outDir}/after.png` });
  const readoutAfter = (await page.locator(READOUT).first().textContent()).trim();
  await page.screenshot({ path: `${outDir}/page.png` });
  console.log(JSON.stringify({ cells: state.cells, readout_before: readoutBefore, readout_after: readoutAfter }));
} catch (e) {
  console.error(`explorer_e2e: ${e.message}`);
  for (const p of browser.contexts().flatMap(c => c.pages())) await p.screenshot({ path: `${outDir}/failure.png` }).catch(() => {});
  process.exitCode = 1;
} finally {
  await browser.close();
}
