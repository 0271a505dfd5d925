/**
 * `-t @file` and `-s @file` read the template or system message from a file; a bare file name,
 * which would be sent as the text itself, is refused with the @ form to use. Spawns the BUILT CLI.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stderrLines, useServers } from '../helpers/mock-server-hooks.js';

const { dir, fresh, writeFile } = useServers('llm-batch-flag-files-');

describe.concurrent('-t @FILE and -s @FILE', () => {
  it("send the files' text (without a byte order mark or the final line break)", async () => {
    const { run, server } = await fresh();
    const input = writeFile('a.csv', 'id,title\n1,Hello\n');
    const template = writeFile('p.tmpl', 'Summarise:\n{{title}}\n');
    const system = writeFile('sys.txt', '\uFEFFYou are terse about {{title}}.\r\n');
    const r = await run([input, '-t', `@${template}`, '-s', `@${system}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests.map((q) => q.body.messages)).toEqual([
      [
        { role: 'system', content: 'You are terse about Hello.' },
        { role: 'user', content: 'Summarise:\nHello' },
      ],
    ]);
  });

  it.each([
    ['-t', '@', /^llm-batch: --template @ needs a file name after the @/],
    ['-s', '@NOPE', /^llm-batch: --system @.*nope\.txt: no such file$/],
    ['-t', '@DIR', /^llm-batch: --template @.*: is a directory$/],
  ])('%s %s that cannot be read is refused in one line, exit 2, nothing sent', async (flag, value, message) => {
    const { run, server } = await fresh();
    const input = writeFile('b.csv', 'title\nx\n');
    const arg = value.replace('NOPE', path.join(dir, 'nope.txt')).replace('DIR', dir);
    const r = await run([input, ...(flag === '-t' ? [] : ['-t', '{{title}}']), flag, arg]);
    expect(r.code).toBe(2);
    expect(stderrLines(r)).toEqual([expect.stringMatching(message)]);
    expect(server.requests).toHaveLength(0);
  });

  it('-t naming a file without the @ says to use -t @FILE', async () => {
    const { run, server } = await fresh();
    const input = writeFile('c.csv', 'title\nx\n');
    const template = writeFile('prompt.tmpl', 'Summarise: {{title}}\n');
    const r = await run([input, '-t', template]);
    expect(r.code).toBe(2);
    expect(stderrLines(r)).toEqual([
      `llm-batch: --template "${template}" has no {{field}} placeholder: ${template} is a file; to use its text, pass -t @${template}`,
    ]);
    expect(server.requests).toHaveLength(0);
  });

  it('-s naming a file without the @ is refused rather than sent as the system message', async () => {
    const { run, server } = await fresh();
    const input = writeFile('d.csv', 'title\nx\n');
    const system = writeFile('system.txt', 'Be brief.\n');
    const r = await run([input, '-t', '{{title}}', '-s', system]);
    expect(r.code).toBe(2);
    expect(stderrLines(r)).toEqual([`llm-batch: --system would send the text "${system}": ${system} is a file; to use its text, pass -s @${system}`]);
    expect(server.requests).toHaveLength(0);
  });
});
