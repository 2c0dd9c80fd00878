import { View, parse } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Figure } from './figure.js';

/** Size and look shared by every figure (one place: the figures of a report line up). */
export const FIGURE_CONFIG = {
  view: { continuousWidth: 420, continuousHeight: 220 },
  font: 'Helvetica, Arial, sans-serif',
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320 },
} as const;

/** A spec with the shared config (the figure's own config wins). */
export function withConfig(spec: TopLevelSpec): TopLevelSpec {
  return { ...spec, config: { ...FIGURE_CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec;
}

/**
 * Renders a figure to SVG headless: Vega-Lite compiles the spec to Vega, Vega lays it out and
 * writes SVG without a browser or a canvas (renderer 'none').
 */
export async function renderSvg(figure: Figure): Promise<string> {
  const vega = compile(withConfig(figure.spec)).spec;
  const view = new View(parse(vega), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
