#!/usr/bin/env node
/**
 * lmdb-js alone (no llm-batch): one process grows a fresh LMDB file (a synchronous commit of a
 * ~3 kB value every ~2 ms, for 3 s) while READERS processes open the same file again and again
 * (each: open, iterate every entry, close, exit). Repeats with a fresh directory for SECONDS and
 * counts how the writer and the readers ended. Options as llm-batch's response store opens them.
 *
 *   node bench/lmdb-stress/reader-beside-writer.cjs [SECONDS=75] [READERS=3]
 *   env READ_ONLY=1          the readers open with `readOnly: true`
 *   env NO_OVERLAPPING=1     writer and readers open with `overlappingSync: false`
 *   env NO_ITERATE=1         the readers only open and close
 *
 * Session 16 (lmdb 3.5.6, Node 24.21, 2 cores at load 2-5), writer failures per 3 s cycle with 3
 * readers: read-write readers 7/20, read-only 2/19 (and 14 reads failing to decode: torn values),
 * overlappingSync off 4/19 (one SIGSEGV) and 3/19; the writer alone 0. Failures are
 * "MDB_PROBLEM: ... mdb_page_touch no parent" from putSync, MDB_BAD_TXN, or SIGSEGV. Load matters:
 * keep it to this one script at a time.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const LMDB = require.resolve('lmdb', { paths: [path.join(__dirname, '..', '..')] });
const common = (extra) =>
  `const { open } = require(${JSON.stringify(LMDB)});
   const opts = { keyEncoding: 'binary', encoding: 'msgpack', compression: false, mapSize: 2 ** 34, sharedStructuresKey: Buffer.from('structures')${
     process.env.NO_OVERLAPPING ? ', overlappingSync: false' : ''
   }${extra} };`;
const WRITER = `${common('')}
  const db = open({ path: process.argv[1], ...opts });
  const end = Date.now() + 3000;
  let n = 0;
  const step = () => {
    if (Date.now() >= end) return db.close();
    const key = Buffer.alloc(16);
    key.writeUInt32LE(n++);
    db.putSync(key, { text: 'x'.repeat(3000), finishReason: 'stop', model: 'm', usage: null, storedAt: Date.now() });
    setTimeout(step, 2);
  };
  setTimeout(step, 50);`;
const READER = `${common(process.env.READ_ONLY ? ', readOnly: true' : '')}
  if (!require('node:fs').existsSync(process.argv[1])) process.exit(0);
  const db = open({ path: process.argv[1], ...opts });
  let n = 0;
  if (!${Boolean(process.env.NO_ITERATE)}) for (const _ of db.getRange()) n++;
  db.close();`;

const run = (code, file) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', code, file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    child.on('close', (code, signal) => resolve({ code, signal, err }));
  });
const firstLine = (err) => (err.split('\n').find((l) => /Error|MDB_/.test(l)) ?? err.slice(0, 80)).slice(0, 140);

const main = async () => {
  const [seconds = 75, readers = 3] = process.argv.slice(2).map(Number);
  const end = Date.now() + seconds * 1000;
  const kinds = {};
  const note = (k) => (kinds[k] = (kinds[k] ?? 0) + 1);
  let cycles = 0;
  let reads = 0;
  while (Date.now() < end) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lmdb-stress-'));
    const file = path.join(dir, 'answers-v2.lmdb');
    cycles++;
    let done = false;
    const writer = run(WRITER, file).then((r) => {
      done = true;
      return r;
    });
    const loop = async () => {
      while (!done) {
        const r = await run(READER, file);
        reads++;
        if (r.code || r.signal) note(`reader: ${r.signal ?? `exit ${r.code}`} ${firstLine(r.err)}`);
      }
    };
    await Promise.all([writer, ...Array.from({ length: readers }, loop)]);
    const w = await writer;
    if (w.code || w.signal) note(`WRITER: ${w.signal ?? `exit ${w.code}`} ${firstLine(w.err)}`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const env = ['READ_ONLY', 'NO_OVERLAPPING', 'NO_ITERATE'].filter((k) => process.env[k]);
  console.log(JSON.stringify({ node: process.version, env, readers, cycles, reads, kinds }, null, 1));
};
main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
