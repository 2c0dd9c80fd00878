import { estimateCell } from '../util/index.js';
import type { Figure } from './figure.js';
import type { SweepParamTable } from './sweep-figures.js';

/** A figure with its rendered SVG and the SVG's file name (beside report.html). */
export interface RenderedFigure {
  figure: Figure;
  svg: string;
  file: string;
}

/** What the page shows besides the figures. */
export interface ReportPage {
  title: string;
  /** "key: value" lines under the title (run id, agent, scenario, ...). */
  facts: Array<[string, string]>;
  figures: RenderedFigure[];
  tables: SweepParamTable[];
  notes: string[];
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The numbers of a sweep figure set as a table: one row per value and policy, `mean ± ci95` per metric. */
function tableHtml(table: SweepParamTable): string {
  const keys: string[] = [];
  const cells = new Map<string, Map<string, string>>();
  const n = new Map<string, number>();
  for (const p of table.points) {
    const key = JSON.stringify([p.x, p.policy]);
    if (!cells.has(key)) {
      keys.push(key);
      cells.set(key, new Map());
    }
    n.set(key, Math.max(n.get(key) ?? 0, p.n));
    cells.get(key)!.set(p.metric, estimateCell(p.mean, p.low === null ? null : p.mean - p.low));
  }
  const head = [table.param, 'policy', 'n', ...table.metrics.map((m) => m.replace(/^kpis\./, ''))].map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const rows = keys.map((key) => {
    const [x, policy] = JSON.parse(key) as [unknown, string];
    const values = table.metrics.map((m) => cells.get(key)!.get(m) ?? '-');
    return `<tr>${[String(x), policy, String(n.get(key))].map((c) => `<td>${escapeHtml(c)}</td>`).join('')}${values.map((c) => `<td class="num">${escapeHtml(c)}</td>`).join('')}</tr>`;
  });
  return `<table class="numbers" data-param="${escapeHtml(table.param)}"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The page body: title, facts, then the figures by section (inline SVG), then the tables. */
export function reportBody(page: ReportPage): string {
  const out: string[] = [`<h1>${escapeHtml(page.title)}</h1>`];
  if (page.facts.length > 0) out.push(`<dl class="facts">${page.facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`);
  for (const note of page.notes) out.push(`<p class="note">${escapeHtml(note)}</p>`);
  const sections: string[] = [];
  for (const f of page.figures) if (!sections.includes(f.figure.section)) sections.push(f.figure.section);
  for (const section of sections) {
    out.push(`<h2>${escapeHtml(section[0]!.toUpperCase() + section.slice(1))}</h2>`);
    for (const f of page.figures.filter((x) => x.figure.section === section)) {
      out.push(
        `<figure id="fig-${escapeHtml(f.figure.id)}" data-figure="${escapeHtml(f.figure.id)}"><figcaption><b>${escapeHtml(f.figure.title)}</b> — ${escapeHtml(f.figure.caption)} <a href="${escapeHtml(f.file)}">SVG</a></figcaption>${f.svg}</figure>`,
      );
    }
  }
  if (page.tables.length > 0) {
    out.push('<h2>Numbers</h2><p>Mean ± 95% t interval over the seeds; the same numbers as the sweep figures.</p>');
    for (const t of page.tables) out.push(tableHtml(t));
  }
  return out.join('\n');
}

const STYLE = `body{font-family:Helvetica,Arial,sans-serif;margin:2em auto;max-width:1400px;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:2em}
dl.facts{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{color:#666}dd{margin:0}
figure{display:inline-block;vertical-align:top;margin:1em 1.5em 1em 0}figcaption{max-width:520px;font-size:.9em;margin-bottom:.4em}
table.numbers{border-collapse:collapse;margin:1em 0;font-size:.9em}table.numbers td,table.numbers th{border:1px solid #ccc;padding:.2em .6em}td.num{text-align:right}
p.note{color:#a60}#live{color:#666;font-size:.85em}`;

/**
 * The live page's script: on every server-sent `update` event it fetches the page body again and
 * swaps it in (the figures are rendered on the server, so the page needs no plotting library).
 */
const LIVE_SCRIPT = `const status=document.getElementById('live');
const events=new EventSource('events');
events.addEventListener('update',async(e)=>{const r=await fetch('body');document.getElementById('report').innerHTML=await r.text();status.textContent='live: '+e.data+' lines, updated '+new Date().toLocaleTimeString();});
events.onerror=()=>{status.textContent='live: connection lost (the run or the server ended)';};`;

/** The whole page. Self-contained: the SVGs are inline, no script or style is fetched. */
export function reportHtml(page: ReportPage, live = false): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(page.title)}</title>
<style>${STYLE}</style>
</head>
<body>
${live ? '<p id="live">live: waiting for the run</p>\n' : ''}<main id="report">
${reportBody(page)}
</main>
${live ? `<script>${LIVE_SCRIPT}</script>\n` : ''}</body>
</html>
`;
}
