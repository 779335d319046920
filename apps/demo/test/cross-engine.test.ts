// The cross-engine check of issue 19: the demo game's scripted replay and a sweep of DMath give
// the same bits in Node (V8), headless Chromium (V8, another build) and headless Firefox ESR
// (SpiderMonkey), while plain Math over the same arguments does not, so the check cannot pass
// because the engines happen to agree on everything.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import puppeteer from 'puppeteer-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_PATH, launchChromium } from '@rbn/test-browser';
import { REPLAY_TICKS, SWEEP_SIZE, runProbe } from './engine-probe';
import type { ProbeResult } from './engine-probe';

const FIREFOX = '/usr/bin/firefox-esr';
/** Generous caps for a loaded 2-core machine; each names what was slow when it trips. */
const LAUNCH_MS = 90_000;
const EVALUATE_MS = 60_000;
const PROBE_GLOBAL = '__rbnEngineProbe';

/** Rejects with a message naming `what` when `promise` takes longer than `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The probe bundled for browsers: one classic script (IIFE) that defines
 * `globalThis.__rbnEngineProbe`, built with esbuild from the TypeScript sources.
 */
async function bundleProbe(): Promise<string> {
  const result = await build({
    stdin: {
      contents: `import { runProbe } from './engine-probe';\nglobalThis.${PROBE_GLOBAL} = runProbe;\n`,
      resolveDir: fileURLToPath(new URL('.', import.meta.url)),
      loader: 'ts',
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@rbn/source'],
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}

/** The expression a page evaluates: define the probe, run it, hand back its JSON. */
const evaluation = (bundle: string) => `${bundle}\n;JSON.stringify(globalThis.${PROBE_GLOBAL}())`;

async function inChromium(bundle: string): Promise<ProbeResult> {
  const browser = await within(
    launchChromium(LAUNCH_MS),
    LAUNCH_MS + 5_000,
    `launching Chromium (${CHROMIUM_PATH})`,
  );
  try {
    const page = await within(browser.newPage(), LAUNCH_MS, 'opening a Chromium page');
    const json = await within(
      page.evaluate<string>(evaluation(bundle)),
      EVALUATE_MS,
      'running the probe in Chromium',
    );
    return JSON.parse(json) as ProbeResult;
  } finally {
    await browser.close();
  }
}

async function inFirefox(bundle: string): Promise<ProbeResult> {
  const browser = await within(
    puppeteer.launch({
      browser: 'firefox',
      executablePath: FIREFOX,
      headless: true,
      timeout: LAUNCH_MS,
    }),
    LAUNCH_MS + 5_000,
    `launching Firefox ESR over WebDriver BiDi (${FIREFOX})`,
  );
  try {
    const page = await within(browser.newPage(), LAUNCH_MS, 'opening a Firefox page');
    const json = await within(
      page.evaluate(evaluation(bundle)) as Promise<string>,
      EVALUATE_MS,
      'running the probe in Firefox',
    );
    return JSON.parse(json) as ProbeResult;
  } finally {
    await browser.close();
  }
}

/** The functions whose digests differ between two engines' sweeps. */
function differing(a: Record<string, string>, b: Record<string, string>): string[] {
  return Object.keys(a).filter((name) => a[name] !== b[name]);
}

describe('the same bits in Node, Chromium and Firefox', () => {
  const results: Record<'node' | 'chromium' | 'firefox', ProbeResult | undefined> = {
    node: undefined,
    chromium: undefined,
    firefox: undefined,
  };

  beforeAll(async () => {
    const bundle = await within(bundleProbe(), EVALUATE_MS, 'bundling the probe with esbuild');
    results.node = runProbe();
    // One browser at a time: gentler on a loaded machine than two launches at once.
    results.chromium = await inChromium(bundle);
    results.firefox = await inFirefox(bundle);
  }, 4 * LAUNCH_MS);

  const get = (engine: keyof typeof results): ProbeResult => {
    const result = results[engine];
    if (result === undefined) throw new Error(`the probe did not run in ${engine}`);
    return result;
  };

  it(`plays the demo's scripted replay to the same hash on every one of ${REPLAY_TICKS} ticks`, () => {
    const node = get('node');
    expect(node.replay).toHaveLength(REPLAY_TICKS);
    expect(new Set(node.replay).size, 'the state changes along the replay').toBeGreaterThan(
      REPLAY_TICKS / 2,
    );
    for (const engine of ['chromium', 'firefox'] as const) {
      const other = get(engine).replay;
      const first = other.findIndex((h, i) => h !== node.replay[i]);
      expect(first, `${engine} diverges from Node at tick ${first + 1}`).toBe(-1);
      expect(other).toHaveLength(REPLAY_TICKS);
    }
  });

  it(`computes DMath to the same bits on ${SWEEP_SIZE} arguments per sweep (22 sweeps, 19 functions)`, () => {
    const node = get('node');
    expect(Object.keys(node.dmath).length).toBeGreaterThanOrEqual(22);
    expect(differing(node.dmath, get('chromium').dmath), 'Chromium vs Node').toEqual([]);
    expect(differing(node.dmath, get('firefox').dmath), 'Firefox vs Node').toEqual([]);
  });

  it('shows plain Math disagreeing between the engines on the same arguments', () => {
    const node = get('node').math;
    const chromium = get('chromium').math;
    const firefox = get('firefox').math;
    const disagreeing = Object.keys(node).filter(
      (name) => new Set([node[name], chromium[name], firefox[name]]).size > 1,
    );
    console.log(
      `plain Math: Firefox differs from Node on ${differing(node, firefox).join(', ') || 'nothing'}; ` +
        `Chromium differs from Node on ${differing(node, chromium).join(', ') || 'nothing'}`,
    );
    expect(disagreeing.length, 'Math functions some engine computes differently').toBeGreaterThan(
      0,
    );
  });
});
