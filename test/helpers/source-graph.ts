import fs from 'node:fs';
import path from 'node:path';
import { dynamicSpecifiers, staticSpecifiers } from './import-specifiers.js';

/** One import between two project modules (paths relative to the source root, '/'-separated). */
export interface ImportEdge {
  from: string;
  to: string;
  /** `import('x')`: loaded later, but a dependency all the same. */
  dynamic: boolean;
}

/**
 * Every relative import among the .ts files under `srcDir` (`import type` included: a type is a
 * dependency too; .d.ts files left out). `.js` specifiers are mapped back to their .ts source.
 */
export function sourceImports(srcDir: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of listTs(srcDir)) {
    const source = fs.readFileSync(path.join(srcDir, file), 'utf8');
    const add = (spec: string, dynamic: boolean) => {
      if (!spec.startsWith('.')) return;
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '.ts');
      edges.push({ from: file, to: target, dynamic });
    };
    for (const spec of staticSpecifiers(source)) add(spec, false);
    for (const spec of dynamicSpecifiers(source)) add(spec, true);
  }
  return edges;
}

function listTs(dir: string, prefix = ''): string[] {
  return fs.readdirSync(path.join(dir, prefix), { withFileTypes: true }).flatMap((e) => {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) return listTs(dir, rel);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** The room a module lives in: its top folder under src/, or the file itself at the root. */
export function roomOf(file: string): string {
  return file.includes('/') ? file.slice(0, file.indexOf('/')) : file;
}

/**
 * Imports that break the layering: to a room of a higher or equal rank (other than within one
 * room), or to a room with no rank (a new folder must be placed in the diagram first).
 */
export function upwardImports(edges: readonly ImportEdge[], rank: Readonly<Record<string, number>>): string[] {
  const problems: string[] = [];
  for (const { from, to } of edges) {
    const a = roomOf(from);
    const b = roomOf(to);
    if (a === b) continue;
    if (rank[a] === undefined) problems.push(`${from}: its room "${a}" has no place in the layer diagram`);
    else if (rank[b] === undefined) problems.push(`${from} → ${to}: "${b}" has no place in the layer diagram`);
    else if (rank[b]! >= rank[a]!) problems.push(`${from} → ${to}: ${a} (layer ${rank[a]}) may not import ${b} (layer ${rank[b]})`);
  }
  return problems;
}

/** Import cycles among the nodes `key` maps modules to (files, or rooms), each as a path `a → b → a`. */
export function importCycles(edges: readonly ImportEdge[], key: (file: string) => string = (f) => f): string[] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) {
    const a = key(e.from);
    const b = key(e.to);
    if (a === b) continue;
    if (!next.has(a)) next.set(a, new Set());
    next.get(a)!.add(b);
  }
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const trail: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    trail.push(node);
    for (const to of next.get(node) ?? []) {
      if (state.get(to) === 'open') cycles.push([...trail.slice(trail.indexOf(to)), to].join(' → '));
      else if (!state.has(to)) visit(to);
    }
    trail.pop();
    state.set(node, 'done');
  };
  for (const node of [...next.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}
