// The report face: figures of runs and sweeps (Vega-Lite specs rendered to SVG in Node), the
// self-contained report.html, and the live view of a run in progress.
export type { Figure, FigureProvider, PolicyEpisode, TraceStep } from './figure.js';
export { renderSvg, withConfig, FIGURE_CONFIG } from './render.js';
export { runFigures, curvePoints, fieldsMatching, type CurvePoint, type MetricsLine } from './run-figures.js';
export { sweepFigures, sweepTables, SWEEP_MAX_METRICS, type SweepParamTable, type SweepPoint } from './sweep-figures.js';
export { playEpisodes } from './episodes.js';
export { figureProviders, providerFor } from './providers.js';
export { reportHtml, reportBody, escapeHtml, type ReportPage, type RenderedFigure } from './html.js';
export {
  writeReport,
  reportModel,
  runReportModel,
  sweepReportModel,
  renderPage,
  readMetricsLines,
  isRunDir,
  isSweepDir,
  REPORT_FILE,
  type ReportOptions,
  type ReportModel,
  type WrittenReport,
} from './report.js';
export { serveLiveReport, type LiveOptions, type LiveServer } from './live.js';
