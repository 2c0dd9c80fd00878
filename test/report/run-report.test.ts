import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/agents/index.js';
import { evaluatePolicy, resolvePolicies } from '../../src/eval/index.js';
import { runFigures, runReportModel, serveLiveReport, writeReport, type Figure, type WrittenReport } from '../../src/report/index.js';
import { train } from '../../src/train/index.js';
import { tinyScenario } from '../agents/helpers.js';
import { checkRequirement, chromiumRequirement } from '../helpers/requirements.js';
import { figureMarks, launchBrowser, openPage, screenshotPath } from './browser.js';

type Row = Record<string, unknown>;

let dir: string;
let runDir: string;
/** The report the browser opens (written by the report test; written again if that one did not run). */
let written: WrittenReport | null = null;
let openedWith: { runDir: string; metricsExisted: boolean; linesBefore: number } | null = null;
const scenario = tinyScenario();

function metricsLines(path: string): Row[] {
  return readFileSync(join(path, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Row);
}

function values(figure: Figure | undefined): Row[] {
  const data = (figure?.spec as { data?: { values?: Row[] } } | undefined)?.data?.values;
  if (!data) throw new Error(`figure ${figure?.id} has no inline data`);
  return data;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ns3ts-report-'));
  await selectBackend('wasm');
  await train({
    scenario,
    outDir: dir,
    runId: 'tiny',
    seed: 3,
    backend: 'wasm',
    progress: false,
    onRunOpen: (path) => {
      openedWith = { runDir: path, metricsExisted: existsSync(join(path, 'metrics.jsonl')), linesBefore: readFileSync(join(path, 'metrics.jsonl'), 'utf8').length };
    },
  });
  runDir = join(dir, 'tiny');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the report of a training run', () => {
  it('tells the live view the run directory before the first episode', () => {
    expect(openedWith).toEqual({ runDir, metricsExisted: true, linesBefore: 0 });
  });

  it('draws the curves from metrics.jsonl, point for point', async () => {
    const model = await runReportModel(runDir, { episodes: false });
    const byId = new Map(model.figures.map((f) => [f.id, f]));
    expect([...byId.keys()]).toEqual(['train-return', 'eval-kpis', 'eval-return', 'losses']);
    const lines = metricsLines(runDir);
    const trainLines = lines.filter((l) => l.type === 'train');
    const evalLines = lines.filter((l) => l.type === 'eval');
    expect(values(byId.get('train-return'))).toEqual(trainLines.map((l) => ({ episode: l.episode, series: 'return', value: l.return })));
    expect(values(byId.get('eval-kpis'))).toEqual(
      evalLines.flatMap((l) => [
        { episode: l.episode, series: 'meanUtility', value: l.meanUtility },
        { episode: l.episode, series: 'qosSatisfaction', value: l.qosSatisfaction },
      ]),
    );
    // The spread over evaluation episodes: each eval line carries its episodes' returns.
    expect(values(byId.get('eval-return'))).toEqual(
      evalLines.map((l) => {
        const returns = l.episodeReturns as number[];
        expect(returns).toHaveLength(scenario.training.evalEpisodes);
        return { episode: l.episode, mean: l.meanReturn, low: Math.min(...returns), high: Math.max(...returns) };
      }),
    );
    const losses = values(byId.get('losses'));
    expect(new Set(losses.map((p) => p.series))).toEqual(new Set(['actorLoss', 'criticLoss']));
    expect(losses.filter((p) => p.series === 'criticLoss').map((p) => p.value)).toEqual(trainLines.filter((l) => 'criticLoss' in l).map((l) => l.criticLoss));
  });

  it('draws the keep-the-best validations of a family run (its "validation" lines) as their own figure', () => {
    const lines = [
      { type: 'train', episode: 1, return: 10 },
      { type: 'validation', episode: 1, meanReturn: 12, improved: true, bestEpisode: 1, episodeReturns: [10, 14] },
      { type: 'train', episode: 2, return: 11 },
      { type: 'validation', episode: 2, meanReturn: 9, improved: false, bestEpisode: 1, episodeReturns: [7, 11] },
    ];
    const byId = new Map(runFigures(lines).map((f) => [f.id, f]));
    expect([...byId.keys()]).toEqual(['train-return', 'validation-return']);
    expect(values(byId.get('validation-return'))).toEqual([
      { episode: 1, mean: 12, low: 10, high: 14 },
      { episode: 2, mean: 9, low: 7, high: 11 },
    ]);
  });

  it('writes report.html with every figure inline and one SVG file per figure; the episode figures match an evaluation', async () => {
    const out = join(dir, 'report');
    const report = await writeReport(runDir, out, { seed: 5 });
    written = report;
    const ids = report.model.figures.map((f) => f.id);
    expect(ids).toEqual([
      'train-return',
      'eval-kpis',
      'eval-return',
      'losses',
      'episode-share',
      'episode-demand',
      'episode-throughput',
      'episode-delay',
      'cdf-delay',
      'cdf-r',
      'kpis',
    ]);
    const html = readFileSync(report.html, 'utf8');
    for (const id of ids) {
      const svg = readFileSync(join(out, 'figures', `${id}.svg`), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(html).toContain(`data-figure="${id}"`);
      expect(html).toContain(svg);
    }
    // Self-contained: nothing is fetched, nothing runs.
    expect(html).not.toMatch(/<script|<link|src=|url\(/);
    // The KPI bars: the trained policy and each baseline on the same episode; a baseline's bar
    // is what evaluating it on that episode gives.
    const bars = values(report.model.figures.find((f) => f.id === 'kpis'));
    expect([...new Set(bars.map((b) => b.policy))]).toEqual(['maddpg-admm', 'baseline:static', 'baseline:proportional', 'baseline:demand', 'baseline:oracle']);
    const [staticPolicy] = resolvePolicies('baseline:static', scenario);
    const evaluated = await evaluatePolicy(scenario, staticPolicy!.create, { episodes: 1, seed: 5 });
    const bar = (kpi: string): unknown => bars.find((b) => b.policy === 'baseline:static' && b.kpi === kpi)?.value;
    expect(bar('meanUtility')).toBeCloseTo(evaluated.kpis.meanUtility, 12);
    expect(bar('qosSatisfaction')).toBeCloseTo(evaluated.kpis.qosSatisfaction, 12);
    // The share timeline of the static baseline: its shares, step by step.
    const share = values(report.model.figures.find((f) => f.id === 'episode-share')).filter((r) => r.policy === 'baseline:static' && r.kind === 'value');
    expect(share.filter((r) => r.slice === 'embb')).toHaveLength(scenario.episodeSteps);
  });
});

describe('in a browser', () => {
  const chromium = checkRequirement(chromiumRequirement());

  it.runIf(chromium)('opens report.html: every figure has its marks drawn, no console errors', async () => {
    const report = written ?? (await writeReport(runDir, join(dir, 'report-browser')));
    const browser = await launchBrowser();
    try {
      const { page, errors } = await openPage(browser, pathToFileURL(report.html).href);
      const figures = await figureMarks(page);
      expect(figures.map((f) => f.id)).toEqual(report.model.figures.map((f) => f.id));
      for (const f of figures) expect(f.marks, f.id).toBeGreaterThan(0);
      await page.screenshot({ path: screenshotPath('run-report.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);

  it.runIf(chromium)('the live view shows a new point after the run writes one', async () => {
    const live = join(dir, 'live');
    cpSync(runDir, live, { recursive: true });
    const server = await serveLiveReport(live, { port: 0, pollMs: 200 });
    const browser = await launchBrowser();
    try {
      const { page, errors } = await openPage(browser, server.url);
      const points = async (): Promise<number> => (await figureMarks(page)).find((f) => f.id === 'train-return')?.symbols ?? 0;
      const before = metricsLines(live).filter((l) => l.type === 'train').length;
      expect(await points()).toBe(before);
      // The page has its event stream once the first update came (the status line says so).
      await page.waitForFunction("!document.getElementById('live').textContent.includes('waiting')", { timeout: 10_000 });
      const next = { type: 'train', episode: before + 1, steps: 12, totalSteps: 60, return: 40 };
      appendFileSync(join(live, 'metrics.jsonl'), `${JSON.stringify(next)}\n`);
      await page.waitForFunction(
        `document.querySelectorAll('figure[data-figure="train-return"] svg g.mark-symbol.role-mark > path').length === ${before + 1}`,
        { timeout: 10_000 },
      );
      expect(await points()).toBe(before + 1);
      await page.screenshot({ path: screenshotPath('live-view.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await server.close();
    }
  }, 60_000);
});
