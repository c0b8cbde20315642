// The layout is a contract: each folder is one layer and imports only downward, and no module
// imports itself back through others. README.md's layout table names the same folders in the
// same order; a new folder must be given its place here.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Bottom first: a module may import from its own layer or from one listed before it. A module
 * belongs to the longest folder listed that holds it (faults/engine/protocol/ is below
 * faults/engine/, whose other files may use it).
 */
const LAYERS = [
  'src',
  'model',
  'faults/base',
  'faults/disk',
  'faults/engine/protocol',
  'faults/engine',
  'faults/judge',
  'faults/campaign',
  'faults/explore',
  'faults/real',
  'faults/audit/trace',
  'faults/audit',
  'faults/mutants',
  'faults',
] as const;

function modulesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...modulesUnder(path));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

const IMPORT = /(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g;

/** Every relative import of a module, as paths from the root. */
function importsOf(module: string): string[] {
  const text = readFileSync(join(ROOT, module), 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => normalize(join(dirname(module), m[1]!)));
}

/** The layer a module belongs to: the longest folder of LAYERS that holds it. */
function layerOf(module: string): number {
  let best = -1;
  LAYERS.forEach((layer, i) => {
    if (dirname(module) === layer || dirname(module).startsWith(`${layer}/`))
      if (best === -1 || layer.length > LAYERS[best]!.length) best = i;
  });
  return best;
}

const MODULES = [...modulesUnder('src'), ...modulesUnder('model'), ...modulesUnder('faults')];
const GRAPH = new Map(MODULES.map((m) => [m, importsOf(m)]));

describe('layers', () => {
  it('every module of src/, model/ and faults/ has a layer', () => {
    expect(MODULES.filter((m) => layerOf(m) === -1)).toEqual([]);
    expect(MODULES.length).toBeGreaterThan(100);
  });

  it('imports go only downward (or within one layer)', () => {
    const upward: string[] = [];
    for (const [module, imports] of GRAPH)
      for (const target of imports) {
        const from = layerOf(module);
        const to = layerOf(target);
        if (to === -1 || to > from)
          upward.push(`${module} -> ${relative(ROOT, join(ROOT, target))}`);
      }
    expect(upward).toEqual([]);
  });

  it('no module imports itself back through others', () => {
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (module: string): void => {
      state.set(module, 'open');
      stack.push(module);
      for (const target of GRAPH.get(module) ?? []) {
        if (state.get(target) === 'open')
          circles.push([...stack.slice(stack.indexOf(target)), target].join(' -> '));
        else if (!state.has(target)) visit(target);
      }
      stack.pop();
      state.set(module, 'done');
    };
    for (const module of MODULES) if (!state.has(module)) visit(module);
    expect(circles).toEqual([]);
  });
});
