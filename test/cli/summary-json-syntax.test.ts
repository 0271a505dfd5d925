import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportCommand } from '../../src/cli/report-command.js';
import { memoryIo } from '../helpers/memory-io.js';
import { okRow, useTmpDir } from '../helpers/result-rows.js';

const tmp = useTmpDir();

describe('report --summary-json with a file that is not JSON (EXC s22 F7)', () => {
  it('names the line and column, as --json-schema and --prices do; exit 2', async () => {
    const dir = tmp();
    const out = path.join(dir, 'out.jsonl');
    fs.writeFileSync(out, `${JSON.stringify(okRow('a', 'A'))}\n`);
    const summary = path.join(dir, 'summary.json');
    fs.writeFileSync(summary, '{\n  "ok": 1,\n  "failed": 0,,\n}\n');
    const io = memoryIo();
    const code = await reportCommand([out, '--summary-json', summary, '-o', path.join(dir, 'r.html')], io);
    expect(io.err()).toMatch(
      new RegExp(`^llm-batch: --summary-json ${summary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON at line 3 column 15 \\(`),
    );
    expect(io.err()).not.toMatch(/position/);
    expect(code).toBe(2);
  });
});
