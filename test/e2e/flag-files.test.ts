/**
 * `-t @file` and `-s @file` read the template or system message from a file; a bare file name,
 * which would be sent as the text itself, is refused with the @ form to use. Those files, and
 * --json-schema's and --prices', are read up to 16 MB. Spawns the BUILT CLI.
 */
import { execFile as execFileCb } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stderrLines, useServers } from '../helpers/mock-server-hooks.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { BIN, runCli, SECRET_KEY } from '../helpers/run-cli.js';

const { dir, fresh, writeFile } = useServers('llm-batch-flag-files-');
const execFile = promisify(execFileCb);

describe.concurrent('-t @FILE and -s @FILE', () => {
  // Read first, the template took every prompt: "no prompts on stdin" (exit 5), or a template "with no {{field}}".
  it.each([
    ['-t', '--template', 'template'],
    ['-s', '--system', 'system message'],
  ])('%s @/dev/stdin with the prompts on stdin: refused as two readers of it, nothing sent', async (flag, long, what) => {
    const { server } = await fresh();
    const r = await runCli(['--base-url', server.url, flag, '@/dev/stdin'], { stdin: 'T {{prompt}}\nq\n' });
    expect(r.code, r.stderr).toBe(2);
    expect(stderrLines(r)).toEqual([
      `llm-batch: ${long} @/dev/stdin reads standard input, where the prompts come from: give the ${what} or the prompts as a file`,
    ]);
    expect(server.requests).toEqual([]);
  });

  it('-t @/dev/stdin with the input /dev/stdin (a shell pipe): refused the same way, naming the input', async () => {
    const { server } = await fresh();
    // As a file, /dev/stdin escaped the check for stdin: "no prompts in /dev/stdin" (exit 5).
    const r = await execFile(
      'sh',
      [
        '-c',
        'printf "T {{prompt}}\\nq\\n" | "$0" "$@"; echo "status=$?" >&2',
        process.execPath,
        BIN,
        '/dev/stdin',
        '--base-url',
        server.url,
        '-t',
        '@/dev/stdin',
      ],
      {
        env: { ...process.env, OPENAI_API_KEY: SECRET_KEY },
      },
    );
    expect(r.stderr).toBe(
      'llm-batch: --template @/dev/stdin reads /dev/stdin, the input, where the prompts come from: give the template or the prompts as a file\nstatus=2\n',
    );
    expect(server.requests).toEqual([]);
  });

  it('-t @/dev/stdin with the prompts in a file: the template is read from stdin (a shell pipe)', async () => {
    const { server } = await fresh();
    const input = writeFile('q.txt', 'q\n');
    // Through a shell's pipe: a test's piped stdin is a socket, which /dev/stdin cannot open.
    // Not spawnSync: the mock server answers from this process's event loop.
    const r = await execFile(
      'sh',
      ['-c', 'printf "T {{prompt}}" | "$0" "$@"', process.execPath, BIN, input, '--base-url', server.url, '-t', '@/dev/stdin', '-q'],
      {
        env: { ...process.env, OPENAI_API_KEY: SECRET_KEY },
      },
    );
    expect(r.stderr).toBe('');
    expect(server.requests.map((q) => q.body.messages.at(-1)?.content)).toEqual(['T q']);
  });

  it("send the files' text (without a byte order mark, a Windows editor's CR or the final line break)", async () => {
    const { run, server } = await fresh();
    const input = writeFile('a.csv', 'id,title\n1,Hello\n');
    const template = writeFile('p.tmpl', 'Summarise:\r\n{{title}}\r\n');
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

  it.each(['-t', '-s'])('%s @FILE holding the API key: refused, nothing written (its text went into OUT.meta.json)', async (flag) => {
    const { server } = await fresh();
    const input = writeFile('k.csv', 'title\nx\n');
    const file = writeFile(`k${flag}.txt`, `{{title}} with ${SECRET_KEY} in it\n`);
    const out = path.join(dir, `k${flag}.jsonl`);
    const r = await runInWorker([input, ...(flag === '-t' ? [] : ['-t', '{{title}}']), flag, `@${file}`, '--base-url', server.url, '-o', out]);
    expect(r.code).toBe(2);
    expect(stderrLines(r)).toEqual([expect.stringMatching(/holds the API key \(OPENAI_API_KEY's value\): .*take the key out of the file$/)]);
    expect(r.stderr).not.toContain(SECRET_KEY);
    expect(fs.existsSync(out) || fs.existsSync(`${out}.meta.json`)).toBe(false);
    expect(server.requests).toHaveLength(0);
  });

  it('--json-schema @FILE reads the file as -t @FILE does (it was "no such file")', async () => {
    const { run, server } = await fresh();
    const input = writeFile('s.txt', 'one\n');
    const schema = writeFile('label.json', JSON.stringify({ type: 'object', properties: { label: { type: 'string' } }, required: ['label'] }));
    const r = await run([input, '--json-schema', `@${schema}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests.map((q) => q.body.response_format?.json_schema?.name)).toEqual(['label']);
  });

  it.each([
    ['-t', '@', /^llm-batch: --template @ needs a file name after the @/],
    ['-s', '@NOPE', /^llm-batch: --system @.*nope\.txt: no such file$/],
    ['-t', '@DIR', /^llm-batch: --template @.*: is a directory$/],
  ])('%s %s that cannot be read is refused in one line, exit 2, nothing sent', async (flag, value, message) => {
    const { server } = await fresh();
    const input = writeFile('b.csv', 'title\nx\n');
    const arg = value.replace('NOPE', path.join(dir, 'nope.txt')).replace('DIR', dir);
    const r = await runInWorker([input, ...(flag === '-t' ? [] : ['-t', '{{title}}']), flag, arg, '--base-url', server.url]);
    expect(r.code).toBe(2);
    expect(stderrLines(r)).toEqual([expect.stringMatching(message)]);
    expect(server.requests).toHaveLength(0);
  });

  it('-t naming a file without the @ says to use -t @FILE', async () => {
    const { server } = await fresh();
    const input = writeFile('c.csv', 'title\nx\n');
    const template = writeFile('prompt.tmpl', 'Summarise: {{title}}\n');
    const r = await runInWorker([input, '-t', template, '--base-url', server.url]);
    expect(r.code).toBe(2);
    expect(stderrLines(r)).toEqual([
      `llm-batch: --template "${template}" has no {{field}} placeholder: ${template} is a file; to use its text, pass -t @${template}`,
    ]);
    expect(server.requests).toHaveLength(0);
  });

  it('-s naming a file without the @ is refused rather than sent as the system message', async () => {
    const { server } = await fresh();
    const input = writeFile('d.csv', 'title\nx\n');
    const system = writeFile('system.txt', 'Be brief.\n');
    const r = await runInWorker([input, '-t', '{{title}}', '-s', system, '--base-url', server.url]);
    expect(r.code).toBe(2);
    expect(stderrLines(r)).toEqual([`llm-batch: --system would send the text "${system}": ${system} is a file; to use its text, pass -s @${system}`]);
    expect(server.requests).toHaveLength(0);
  });
});

describe.concurrent("a flag's file is read as an input file is", () => {
  it('UTF-16 by its byte order mark', async () => {
    const { run, server } = await fresh();
    const input = writeFile('u.csv', 'title\nHello\n');
    const template = path.join(dir, 'u16.tmpl');
    fs.writeFileSync(template, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Summarise: {{title}}\r\n', 'utf16le')]));
    const r = await run([input, '-t', `@${template}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests.map((q) => q.body.messages)).toEqual([[{ role: 'user', content: 'Summarise: Hello' }]]);
  });

  it.each([
    [
      'Latin-1',
      '-s',
      Buffer.from('Sois bref.\nR\xe9ponds en fran\xe7ais.\n', 'latin1'),
      '--system',
      'line 2: not valid UTF-8 (byte 0xE9); if it is Latin-1 / Windows-1252, convert it: iconv -f latin1 -t utf-8',
    ],
    [
      'UTF-16 without its mark',
      '-t',
      Buffer.from('Summarise: {{title}}\n', 'utf16le'),
      '--template',
      'looks like UTF-16LE text without a byte order mark; save it as UTF-8 (or as UTF-16 with its mark)',
    ],
    [
      'UTF-16 without its mark, with a letter that is not ASCII (it was "not valid UTF-8 … Latin-1")',
      '-s',
      Buffer.from('Réponds en français.\n', 'utf16le'),
      '--system',
      'looks like UTF-16LE text without a byte order mark; save it as UTF-8 (or as UTF-16 with its mark)',
    ],
  ])('%s: refused in one line naming the flag, the file and the line, exit 2, nothing sent', async (_what, flag, bytes, named, problem) => {
    const { server } = await fresh();
    const input = writeFile(`l${flag}.csv`, 'title\nHello\n');
    const file = path.join(dir, `bad${flag}.txt`);
    fs.writeFileSync(file, bytes);
    const r = await runInWorker([input, ...(flag === '-t' ? [] : ['-t', '{{title}}']), flag, `@${file}`, '--base-url', server.url]);
    expect(stderrLines(r)).toEqual([`llm-batch: ${named} @${file}: ${problem}`]);
    expect(r.code).toBe(2);
    expect(server.requests).toHaveLength(0);
  });
});

describe.concurrent('--json-schema FILE and --prices FILE are read as -t @FILE is', () => {
  const schema = '{"type":"object","properties":{"caf\u00e9":{"type":"number"}},"required":["caf\u00e9"],"additionalProperties":false}';
  const prices = '{"gpt-4o-mini":{"input":0.15,"output":0.6},"caf\u00e9":{"input":1,"output":2}}';

  it.each([
    ['--json-schema', schema],
    ['--prices', prices],
  ])('%s: Latin-1 refused naming the line (it went out as "caf\uFFFD"), UTF-16 with its mark read', async (flag, text) => {
    const { server } = await fresh();
    const input = writeFile(`j${flag}.txt`, 'hello\n');
    const latin = path.join(dir, `latin${flag}.json`);
    fs.writeFileSync(latin, Buffer.from(`{\n${text.slice(1)}`.replace('\u00e9', '\xe9'), 'latin1'));
    const refused = await runInWorker([input, flag, latin, '--base-url', server.url, '--dry-run']);
    expect(stderrLines(refused)).toEqual([
      `llm-batch: ${flag} ${latin}: line 2: not valid UTF-8 (byte 0xE9); if it is Latin-1 / Windows-1252, convert it: iconv -f latin1 -t utf-8`,
    ]);
    expect(refused.code).toBe(2);
    const u16 = path.join(dir, `u16${flag}.json`);
    fs.writeFileSync(u16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const read = await runInWorker([input, flag, u16, '--base-url', server.url, '--dry-run']);
    expect(read.code, read.stderr).toBe(0);
    if (flag === '--json-schema') expect(read.stdout).toContain('"caf\u00e9"');
    expect(server.requests).toHaveLength(0);
  });

  it('--json-schema FILE holding the API key: refused as -t @FILE is (the schema goes into OUT.meta.json, the CSV header and messages)', async () => {
    const { server } = await fresh();
    const input = writeFile('key-schema.txt', 'hello\n');
    const file = writeFile('key-schema.json', JSON.stringify({ type: 'object', properties: { [SECRET_KEY]: { type: 'string' } } }));
    const out = path.join(dir, 'key-schema.csv');
    const r = await runInWorker([input, '--json-schema', file, '--base-url', server.url, '-o', out]);
    expect(stderrLines(r)).toEqual([
      `llm-batch: --json-schema ${file} holds the API key (OPENAI_API_KEY's value): llm-batch would repeat the schema in the run's settings file, its CSV columns and messages; take the key out of the file`,
    ]);
    expect(r.code).toBe(2);
    expect(fs.existsSync(out) || fs.existsSync(`${out}.meta.json`)).toBe(false);
    expect(server.requests).toHaveLength(0);
  });
});

describe.concurrent("a flag's file larger than 16 MB", () => {
  it.each([
    ['-t', '@', '/dev/zero', '--template'],
    ['-s', '@', '/dev/zero', '--system'],
    ['--json-schema', '', '/dev/zero', '--json-schema'],
    ['--prices', '', '/dev/zero', '--prices'],
    ['-t', '@', 'a 3 GB file', '--template'],
    ['--prices', '', 'a 3 GB file', '--prices'],
  ])('%s %s%s: refused at once in one line, exit 2, nothing sent', async (flag, at, what, named) => {
    const { run, server } = await fresh();
    const input = writeFile('e.txt', 'x\n');
    let file = what;
    if (what === 'a 3 GB file') {
      // Sparse: no disk is used, and a whole read would take 3 GB of memory.
      file = writeFile(`big${flag}.txt`, '');
      fs.truncateSync(file, 3_000_000_000);
    }
    const started = Date.now();
    const r = await run([input, flag, `${at}${file}`], { timeoutMs: 20_000 });
    expect(stderrLines(r)).toEqual([`llm-batch: ${named} ${at}${file}: is larger than 16 MB; is this the right file?`]);
    expect(r.code).toBe(2);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(server.requests).toHaveLength(0);
  });
});
