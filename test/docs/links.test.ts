// Every relative link of README.md and docs/*.md points at a file that exists, and every #anchor at
// a heading of the target page (GitHub's anchors), so the documentation never sends a reader nowhere.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Lines outside fenced code blocks. */
function proseLines(text: string): string[] {
  const out: string[] = [];
  let fence = false;
  for (const line of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) {
      fence = !fence;
      continue;
    }
    if (!fence) out.push(line);
  }
  return out;
}

/** GitHub's anchor of a heading: rendered text, lower case, punctuation dropped, spaces to hyphens. */
function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '').replace(/\s/g, '-');
}

/** The anchors a page defines: one per heading, repeats numbered -1, -2, ... as GitHub does. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(text)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const slug = githubSlug(m[1]!);
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

interface Link {
  line: number;
  target: string;
}

/** Markdown links `[text](target)` outside code; inline code that merely shows link syntax is skipped. */
function linksOf(text: string): Link[] {
  const links: Link[] = [];
  let fence = false;
  text.split('\n').forEach((raw, index) => {
    if (/^\s*(```|~~~)/.test(raw)) {
      fence = !fence;
      return;
    }
    if (fence) return;
    const line = raw.replace(/`[^`]*`/g, (code) => (code.includes('](') ? '' : code));
    for (const m of line.matchAll(/\[(?:[^\]]|\][^(])*?\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ line: index + 1, target: m[1]! });
    }
  });
  return links;
}

function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target);
}

describe('documentation links', () => {
  it('finds the pages', () => {
    expect(pages).toContain('README.md');
    expect(pages.length).toBeGreaterThan(5);
  });

  it('computes GitHub anchors', () => {
    expect(githubSlug('`ns3ts scenarios`, `ns3ts eval`, `ns3ts sim`')).toBe('ns3ts-scenarios-ns3ts-eval-ns3ts-sim');
    expect(githubSlug('The C++ bridge without ns-3')).toBe('the-c-bridge-without-ns-3');
    expect(githubSlug('Bridge (`npm run bench:bridge`)')).toBe('bridge-npm-run-benchbridge');
    expect(githubSlug('QoS level, utility and reward')).toBe('qos-level-utility-and-reward');
  });

  it.each(pages)('%s: every relative link resolves', (page) => {
    const text = readFileSync(join(root, page), 'utf8');
    const problems: string[] = [];
    for (const { line, target } of linksOf(text)) {
      if (isExternal(target)) continue;
      const [pathPart = '', anchor] = target.split('#', 2) as [string, string | undefined];
      const file = pathPart === '' ? join(root, page) : resolve(dirname(join(root, page)), decodeURIComponent(pathPart));
      const shown = relative(root, file);
      if (!file.startsWith(root)) {
        problems.push(`${page}:${line}: link ${target}: got a path outside the repository, expected one inside it`);
        continue;
      }
      if (!existsSync(file)) {
        problems.push(`${page}:${line}: link ${target}: got no file ${shown}, expected an existing file`);
        continue;
      }
      if (anchor === undefined || !file.endsWith('.md') || statSync(file).isDirectory()) continue;
      const anchors = anchorsOf(readFileSync(file, 'utf8'));
      if (!anchors.has(anchor)) {
        problems.push(`${page}:${line}: link ${target}: got no heading #${anchor} in ${shown}, expected one of ${[...anchors].join(', ')}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
