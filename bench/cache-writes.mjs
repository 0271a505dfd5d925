// The CPU of storing N short answers under random 16-byte keys, as the response cache does, in three
// stores, each in a process of its own, alternated round by round (issue 16: is there a store whose
// writes cost less than LMDB's?). Every answer is looked up first (a miss, as a run's first ask is).
//   lmdb        the cache's layout: answers under their keys, async puts, 256 to a transaction
//   lmdb-split  answers appended under a time-ordered key, the key -> place index written sorted
//               in transactions of INDEX_BATCH (4,096): fewer B-tree pages copied per answer
//   sqlite      node:sqlite (node >= 22.13), WAL, synchronous=NORMAL, a WITHOUT ROWID table, 256 a
//               transaction; node 20 has no node:sqlite and skips it
// CPU is the whole process's (lmdb's writer thread included) from after the store opened to after
// its last commit; loading is not counted.
//
// usage: node bench/cache-writes.mjs [N=100000] [ROUNDS=2] [STORES=lmdb,lmdb-split,sqlite]
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const BATCH = 256;
const INDEX_BATCH = 4096;
const require = createRequire(new URL('../package.json', import.meta.url));

const answer = (i) => ({
  text: `ECHO prompt number ${i} with some words here`,
  finishReason: 'stop',
  model: 'gpt-4o-mini-2024-07-18',
  usage: { prompt_tokens: 12, completion_tokens: 9, total_tokens: 21 },
  storedAt: Date.now(),
});
const keyOf = (i) => crypto.createHash('sha256').update(`prompt ${i}`).digest().subarray(0, 16);

async function lmdbFlat(dir, n) {
  const db = require('lmdb').open({
    path: `${dir}/a.lmdb`,
    keyEncoding: 'binary',
    encoding: 'msgpack',
    compression: false,
    mapSize: 2 ** 34,
    sharedStructuresKey: Buffer.from('structures'),
  });
  const cpu = process.cpuUsage();
  for (let s = 0; s < n; s += BATCH) {
    let last;
    for (let i = s; i < Math.min(n, s + BATCH); i++) {
      const key = keyOf(i);
      db.get(key);
      last = db.put(key, answer(i));
    }
    await last;
  }
  await db.flushed;
  const used = process.cpuUsage(cpu);
  await db.close();
  return used;
}

async function lmdbSplit(dir, n) {
  const env = require('lmdb').open({ path: `${dir}/a.lmdb`, compression: false, mapSize: 2 ** 34 });
  const index = env.openDB({ name: 'index', keyEncoding: 'binary', encoding: 'binary' });
  const answers = env.openDB({ name: 'answers', keyEncoding: 'binary', encoding: 'msgpack', sharedStructuresKey: Buffer.from('structures') });
  const tag = crypto.randomBytes(2);
  let seq = 0;
  const placeKey = () => {
    const b = Buffer.alloc(12);
    b.writeUIntBE(Date.now(), 0, 6);
    tag.copy(b, 6);
    b.writeUInt32BE(seq++, 8);
    return b;
  };
  let waiting = [];
  const writes = [];
  const writeIndex = () => {
    const list = waiting.sort((a, b) => Buffer.compare(a[0], b[0]));
    waiting = [];
    let last;
    for (const [key, place] of list) last = index.put(key, place);
    writes.push(last);
  };
  const cpu = process.cpuUsage();
  for (let s = 0; s < n; s += BATCH) {
    let last;
    for (let i = s; i < Math.min(n, s + BATCH); i++) {
      const key = keyOf(i);
      index.get(key);
      const place = placeKey();
      last = answers.put(place, answer(i));
      waiting.push([key, place]);
      if (waiting.length >= INDEX_BATCH) writeIndex();
    }
    await last;
  }
  if (waiting.length > 0) writeIndex();
  await Promise.all(writes);
  await env.flushed;
  const used = process.cpuUsage(cpu);
  await env.close();
  return used;
}

async function sqlite(dir, n) {
  const { DatabaseSync } = await import('node:sqlite');
  const { pack } = require('msgpackr');
  const db = new DatabaseSync(`${dir}/a.db`);
  db.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE a (k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID');
  const get = db.prepare('SELECT v FROM a WHERE k = ?');
  const put = db.prepare('INSERT OR REPLACE INTO a VALUES (?, ?)');
  const cpu = process.cpuUsage();
  for (let s = 0; s < n; s += BATCH) {
    const batch = [];
    for (let i = s; i < Math.min(n, s + BATCH); i++) {
      const key = keyOf(i);
      get.get(key);
      batch.push([key, pack(answer(i))]);
    }
    db.exec('BEGIN');
    for (const [key, value] of batch) put.run(key, value);
    db.exec('COMMIT');
    await new Promise((resolve) => setImmediate(resolve));
  }
  const used = process.cpuUsage(cpu);
  db.close();
  return used;
}

const STORES = { lmdb: lmdbFlat, 'lmdb-split': lmdbSplit, sqlite };

if (process.argv[2] === '--child') {
  const [, , , store, n] = process.argv;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cache-writes-'));
  try {
    const used = await STORES[store](dir, Number(n));
    const bytes = fs.readdirSync(dir).reduce((sum, f) => sum + fs.statSync(path.join(dir, f)).size, 0);
    console.log(
      JSON.stringify({ cpu: (used.user + used.system) / 1000, user: used.user / 1000, system: used.system / 1000, rss: process.memoryUsage().rss, bytes }),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
} else {
  const [n = '100000', rounds = '2', names = 'lmdb,lmdb-split,sqlite'] = process.argv.slice(2);
  const hasSqlite = spawnSync(process.execPath, ['-e', "require('node:sqlite')"], { stdio: 'ignore' }).status === 0;
  const stores = names.split(',').filter((s) => s !== 'sqlite' || hasSqlite);
  console.log(`${n} answers, ${rounds} rounds, node ${process.version}${hasSqlite ? '' : ' (no node:sqlite)'}`);
  for (let round = 0; round < Number(rounds); round++)
    for (const store of stores) {
      const r = spawnSync(process.execPath, ['--no-warnings', new URL(import.meta.url).pathname, '--child', store, n], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${store}: ${r.stderr}`);
      const m = JSON.parse(r.stdout);
      const per = (m.cpu * 1000) / Number(n);
      console.log(
        `${store.padEnd(11)} cpu ${m.cpu.toFixed(0).padStart(5)} ms (u ${m.user.toFixed(0)} s ${m.system.toFixed(0)}) = ${per.toFixed(1).padStart(5)} µs an answer  rss ${(m.rss / 1e6).toFixed(0)} MB  files ${(m.bytes / 1e6).toFixed(1)} MB`,
      );
    }
}
