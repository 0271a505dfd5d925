import { readRecords } from '../../src/input/index.js';
import { test } from "vitest";
async function* chunks(s: string, size = 3) { for (let i = 0; i < s.length; i += size) yield s.slice(i, i + size); }
async function show(label: string, text: string, opts: Record<string, unknown> = {}) {
  console.log('--', label);
  try {
    for await (const r of readRecords(chunks(text), { source: 'rows.csv', format: 'csv', ...opts })) console.log(r.line, r.id, JSON.stringify(r.prompt), r.problem?.message ?? '', JSON.stringify(r.params));
  } catch (e) { console.log('THROW', (e as Error).message); }
}
test('scratch', async () => {
await show('lf multi', 'id,prompt\n1,"a\nb\nc"\n\n2,x\n3,"p\r\nq"\n4,z\n');
await show('crlf multi', 'id,prompt\r\n1,"a\r\nb\r\nc"\r\n\r\n2,x\r\n3,y');
await show('bad', 'id,prompt\n1,ok\n2,ab"c\n3,"x"y,z\n4,fine\n5,"unterminated\n6,more\n');
await show('bad2', 'id,prompt\n1,ok\n2,ab"c,d,e\n4,fine\n5,a,b,c\n,,\n6,"q"\n');
await show('bad3', 'id,prompt\n1,ok\n2,ab"c\n2,ab"c\n\n3,"multi\nline"\n4,x"y\n');
await show('params', 'prompt,model,temperature,max_tokens\nhi,gpt-4o,0.5,100\nyo,,hot,\nzz,,,1.5\n');
await show('nocol', 'id,title\n1,x\n');
await show('empty', '');
await show('header only', 'prompt\n');
await show('bad header', 'id,pro"mpt\n1,x\n');
await show('tmpl', 'id,title,body\n1,T,"B, c"\n2,T2\n', { template: 'S: {{title}} — {{ body }}' });
await show('tmpl missing col', 'id,title\n1,T\n', { template: 'S: {{title}} — {{ body }}' });
});
