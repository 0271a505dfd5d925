import fs from 'node:fs';
import net from 'node:net';

/**
 * The lowest port the kernel hands out for `listen(0)` and outgoing connections (Linux's
 * ip_local_port_range; 32768 elsewhere, as on most systems).
 */
function firstEphemeralPort(): number {
  try {
    const first = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > 2048 ? first : 32768;
  } catch {
    return 32768;
  }
}

/**
 * A port on 127.0.0.1 that nothing listens on. Below the ephemeral range: a port from `listen(0)`,
 * closed at once, could be handed to the next test's mock server a moment later, and a run meant
 * to find nothing there found a Batch API (exit 75, 2026-12-04). Every server in the suite listens
 * on port 0, so none takes one of these.
 */
export async function deadPort(): Promise<number> {
  const below = firstEphemeralPort();
  for (;;) {
    const port = 1024 + Math.floor(Math.random() * (below - 1024));
    const server = net.createServer();
    const free = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!free) continue;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }
}
