/**
 * A summary of a V8 `.cpuprofile` (node --cpu-prof): self time per function, heaviest first, as
 * shares of the busy (non-idle) time, and the share of garbage collection.
 */
import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  busyMs: number;
  gcShare: number;
  top: { name: string; where: string; ms: number; share: number }[];
}

export function summarizeProfile(file: string, topN = 15): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  }
  const grouped = new Map<string, { name: string; where: string; us: number }>();
  let busyUs = 0;
  let gcUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') continue;
    busyUs += us;
    if (frame.functionName === '(garbage collector)') gcUs += us;
    const where = frame.url ? `${frame.url.startsWith('node:') ? frame.url : path.basename(frame.url)}` : '';
    const name = frame.functionName || '(anonymous)';
    const key = `${name}\0${where}`;
    const entry = grouped.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    grouped.set(key, entry);
  }
  const top = [...grouped.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, topN)
    .map((e) => ({ name: e.name, where: e.where, ms: e.us / 1000, share: e.us / busyUs }));
  return { busyMs: busyUs / 1000, gcShare: gcUs / busyUs, top };
}

export function formatProfile(s: ProfileSummary): string {
  const lines = [`busy ${(s.busyMs / 1000).toFixed(2)} s of CPU sampled; garbage collector ${(s.gcShare * 100).toFixed(1)} %; top self time:`];
  for (const t of s.top) lines.push(`  ${(t.share * 100).toFixed(1).padStart(5)} %  ${t.name}${t.where ? `  (${t.where})` : ''}`);
  return lines.join('\n');
}
