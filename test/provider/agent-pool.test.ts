import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentPool } from '../../src/provider/agent-pool.js';

/** Idle pooled sockets close on a timer; sockets in use are left to the attempt's own deadlines. */
let server: http.Server;
let base: string;
const seenInUse: number[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/hint') res.setHeader('keep-alive', 'timeout=3');
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function get(agent: http.Agent, path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}${path}`, { agent }, (res) => {
      const socket = res.socket as Socket;
      seenInUse.push((socket as Socket & { timeout?: number }).timeout ?? 0);
      res.resume();
      // Back in the pool once the response has ended and the agent has seen it free.
      res.on('end', () => setImmediate(() => resolve(socket)));
    });
    req.on('error', reject);
  });
}

describe('the agent pool', () => {
  it('times sockets out after 4 s only while they wait in the pool', async () => {
    const agent = createAgentPool().agentFor(new URL(base)) as http.Agent;
    seenInUse.length = 0;
    const first = await get(agent, '/');
    expect((first as Socket & { timeout?: number }).timeout).toBe(4000);
    const again = await get(agent, '/');
    expect(again).toBe(first); // reused
    expect(seenInUse).toEqual([0, 0]);
    expect((again as Socket & { timeout?: number }).timeout).toBe(4000);
    agent.destroy();
  });

  it("takes a shorter Keep-Alive timeout from the server, a second early, as node's agent does", async () => {
    const agent = createAgentPool().agentFor(new URL(base)) as http.Agent;
    const socket = await get(agent, '/hint');
    expect((socket as Socket & { timeout?: number }).timeout).toBe(2000);
    agent.destroy();
  });
});
