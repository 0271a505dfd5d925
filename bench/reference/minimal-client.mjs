// The minimal client of issue 16: what a chat-completions batch costs with nothing around it.
// node:http with a keep-alive agent, SSE split by hand, JSON.parse per event, one JSONL line per
// answer. No retries, no pacing, no timeouts: a floor to measure llm-batch against, not a tool.
//
// usage: node minimal-client.mjs BASE_URL PROMPTS.txt OUT.jsonl CONCURRENCY STREAM(1|0)   (key in OPENAI_API_KEY)
import fs from 'node:fs';
import http from 'node:http';

const [baseUrl, promptsPath, outPath, concurrencyArg, streamArg] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const stream = streamArg !== '0';
const url = new URL(`${baseUrl}/chat/completions`);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const prompts = fs
  .readFileSync(promptsPath, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '');
const out = fs.createWriteStream(outPath);
const auth = `Bearer ${process.env.OPENAI_API_KEY}`;

function ask(prompt) {
  return new Promise((resolve) => {
    const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }], stream });
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: auth, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.setEncoding('utf8');
        let buf = '';
        let text = '';
        res.on('data', (chunk) => {
          buf += chunk;
          if (!stream) return;
          let end;
          while ((end = buf.indexOf('\n\n')) >= 0) {
            const event = buf.slice(0, end);
            buf = buf.slice(end + 2);
            if (!event.startsWith('data: ') || event === 'data: [DONE]') continue;
            const delta = JSON.parse(event.slice(6)).choices?.[0]?.delta?.content;
            if (delta) text += delta;
          }
        });
        res.on('end', () => {
          if (!stream) text = JSON.parse(buf).choices[0].message.content;
          resolve({ prompt, response: res.statusCode === 200 ? text : null, error: res.statusCode === 200 ? null : { status: res.statusCode } });
        });
      },
    );
    req.on('error', (err) => resolve({ prompt, response: null, error: { message: err.message } }));
    req.end(body);
  });
}

let next = 0;
async function worker() {
  while (next < prompts.length) out.write(`${JSON.stringify(await ask(prompts[next++]))}\n`);
}
await Promise.all(Array.from({ length: Math.min(concurrency, prompts.length) }, worker));
out.end();
agent.destroy();
