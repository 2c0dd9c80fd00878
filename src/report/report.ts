import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { resolveScenario, type Scenario, type ScenarioBase } from '../scenario/index.js';
import { isSlicingScenario, resolveFamilyScenario } from '../families/index.js';
import { CHECKPOINT_FILE } from '../agents/index.js';
import { CONFIG_FILE, METRICS_FILE, SUMMARY_FILE, type TrainRunConfig } from '../train/index.js';
import { InputError, writeFileAtomic } from '../util/index.js';
import { playEpisodes, playFamilyEpisodes } from './episodes.js';
import type { Figure } from './figure.js';
import { reportHtml, type RenderedFigure, type ReportPage } from './html.js';
import { providerFor } from './providers.js';
import { renderSvg } from './render.js';
import { runFigures, type MetricsLine } from './run-figures.js';
import { sweepFigures, sweepTables, type SweepParamTable } from './sweep-figures.js';

export const REPORT_FILE = 'report.html';

export interface ReportOptions {
  /** Play evaluation episodes of the trained policy and the baselines (run reports; default true when the run has a checkpoint). */
  episodes?: boolean;
  /** Policies beside the trained one (`--policy` specs; default all-baselines). */
  baselines?: string;
  /** Seed of the evaluation episode (default: the scenario's seed). */
  seed?: number;
}

/** The figures and facts of a report, before rendering. */
export interface ReportModel {
  kind: 'run' | 'sweep';
  title: string;
  facts: Array<[string, string]>;
  figures: Figure[];
  tables: SweepParamTable[];
  notes: string[];
}

export function isRunDir(dir: string): boolean {
  return existsSync(join(dir, CONFIG_FILE)) && existsSync(join(dir, METRICS_FILE));
}

export function isSweepDir(dir: string): boolean {
  return existsSync(join(dir, 'sweep.json')) || existsSync(join(dir, 'runs'));
}

/** The lines of a run's metrics.jsonl; a last line still being written is left out. */
export function readMetricsLines(runDir: string): MetricsLine[] {
  const text = readFileSync(join(runDir, METRICS_FILE), 'utf8');
  const lines: MetricsLine[] = [];
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    try {
      lines.push(JSON.parse(raw) as MetricsLine);
    } catch {
      break;
    }
  }
  return lines;
}

function readConfig(runDir: string): TrainRunConfig {
  return JSON.parse(readFileSync(join(runDir, CONFIG_FILE), 'utf8')) as TrainRunConfig;
}

/** The model of a training run's report: the curves of metrics.jsonl, then (optionally) the episode figures. */
export async function runReportModel(runDir: string, options: ReportOptions = {}): Promise<ReportModel> {
  const dir = resolve(runDir);
  if (!isRunDir(dir)) throw new InputError('run-dir', runDir, `a run directory with ${CONFIG_FILE} and ${METRICS_FILE} (the --out of ns3ts train)`);
  const config = readConfig(dir);
  const lines = readMetricsLines(dir);
  const figures = runFigures(lines);
  const notes: string[] = [];
  const trained = lines.filter((l) => l.type === 'train').length;
  const facts: Array<[string, string]> = [
    ['run', config.runId ?? basename(dir)],
    ['agent', config.agent.id],
    ['scenario', config.scenario.name],
    ['seed', String(config.seed)],
    ['episodes', `${trained}/${config.episodes}${existsSync(join(dir, SUMMARY_FILE)) ? '' : ' (running or unfinished)'}`],
  ];
  const hasCheckpoint = existsSync(join(dir, CHECKPOINT_FILE));
  if (options.episodes ?? hasCheckpoint) {
    if (!hasCheckpoint) throw new InputError('run-dir', runDir, `a run with ${CHECKPOINT_FILE} to play evaluation episodes`);
    // A run of another family is read and played through the family registry.
    const slicing = isSlicingScenario(config.scenario);
    const scenario: ScenarioBase = slicing ? resolveScenario(config.scenario) : resolveFamilyScenario(config.scenario);
    const provider = providerFor(scenario);
    if (provider) {
      const seed = options.seed ?? scenario.seed;
      const episodes = slicing
        ? await playEpisodes(scenario as Scenario, [`checkpoint:${dir}`, options.baselines ?? 'all-baselines'], seed)
        : await playFamilyEpisodes(scenario, { dir, agent: config.agent.id }, options.baselines ?? 'all-baselines', seed);
      facts.push(['evaluation episode', `seed ${seed}, ${episodes[0]?.steps.length ?? 0} steps, ${episodes.map((e) => e.policy.replace(/^checkpoint:.*/, config.agent.id)).join(', ')}`]);
      const named = episodes.map((e) => (e.policy.startsWith('checkpoint:') ? { ...e, policy: config.agent.id } : e));
      figures.push(...provider.episodeFigures(scenario, named));
    } else notes.push(`no figure provider for the scenario's env family: no episode figures`);
  } else if (!hasCheckpoint) notes.push('no checkpoint yet: the evaluation episode figures come once the run has one');
  return { kind: 'run', title: `Run ${config.runId ?? basename(dir)}`, facts, figures, tables: [], notes };
}

/** The model of a sweep's report: each metric against each grid parameter, and the table of the same numbers. */
export async function sweepReportModel(sweepDir: string): Promise<ReportModel> {
  const dir = resolve(sweepDir);
  const tables = await sweepTables(dir);
  const notes = tables.length === 0 ? ['the sweep has no grid parameter besides the policy: no figures'] : [];
  return { kind: 'sweep', title: `Sweep ${basename(dir)}`, facts: [['sweep', dir]], figures: sweepFigures(tables), tables, notes };
}

/** The report model of a run or sweep directory. */
export async function reportModel(dir: string, options: ReportOptions = {}): Promise<ReportModel> {
  const abs = resolve(dir);
  if (isRunDir(abs)) return runReportModel(abs, options);
  if (isSweepDir(abs)) return sweepReportModel(abs);
  throw new InputError('dir', dir, `a run directory (${CONFIG_FILE} + ${METRICS_FILE}) or a sweep directory (sweep.json, runs/)`);
}

/** Renders every figure of a model to SVG. */
export async function renderPage(model: ReportModel): Promise<ReportPage> {
  const figures: RenderedFigure[] = [];
  for (const figure of model.figures) figures.push({ figure, svg: await renderSvg(figure), file: `figures/${figure.id}.svg` });
  return { title: model.title, facts: model.facts, figures, tables: model.tables, notes: model.notes };
}

export interface WrittenReport {
  model: ReportModel;
  /** report.html. */
  html: string;
  /** One SVG per figure, by figure id. */
  svgs: Record<string, string>;
}

/**
 * Writes `<out>/report.html` (self-contained: inline SVG, no script, nothing fetched) and
 * `<out>/figures/<id>.svg`, one per figure. `out` defaults to the run or sweep directory.
 */
export async function writeReport(dir: string, out?: string, options: ReportOptions = {}): Promise<WrittenReport> {
  const model = await reportModel(dir, options);
  const page = await renderPage(model);
  const target = resolve(out ?? dir);
  mkdirSync(join(target, 'figures'), { recursive: true });
  const svgs: Record<string, string> = {};
  for (const f of page.figures) {
    const path = join(target, f.file);
    writeFileAtomic(path, f.svg);
    svgs[f.figure.id] = path;
  }
  const html = join(target, REPORT_FILE);
  writeFileAtomic(html, reportHtml(page));
  return { model, html, svgs };
}
