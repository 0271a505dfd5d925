import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface ProxyLogEntry {
  /** 'CONNECT' for a tunnel, else the forwarded request's method. */
  method: string;
  /** host:port for CONNECT, the absolute URL otherwise. */
  target: string;
  /** The Proxy-Authorization header as received. */
  proxyAuthorization: string | undefined;
  /** Whether the request was let through. */
  allowed: boolean;
}

export interface ProxyServer {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  log: ProxyLogEntry[];
  close(): Promise<void>;
}

export interface ProxyServerOptions {
  /** `user:password`: anything else gets 407 with `Proxy-Authenticate: Basic`. */
  credentials?: string;
  /** Answer every CONNECT with this status and a small HTML page (a proxy blocking the host). */
  refuseConnect?: number;
  /**
   * Refuse every CONNECT with a 407 that repeats the Proxy-Authorization it got, in a header and
   * decoded in the page (`Access denied for user:password (Basic …)`), as some proxies' pages do.
   */
  echoCredentials?: boolean;
  /**
   * Forward every plain-http request to this origin (`http://127.0.0.1:PORT`), path and query kept,
   * whatever host it names: a base URL on a host a test cannot resolve (an Azure resource's).
   */
  routeTo?: string;
}

/**
 * A forward proxy on 127.0.0.1 for tests: CONNECT tunnels (https targets) and absolute-form requests
 * (http targets), logging each, optionally asking for Basic credentials.
 */
export async function startProxyServer(options: ProxyServerOptions = {}): Promise<ProxyServer> {
  const log: ProxyLogEntry[] = [];
  const sockets = new Set<net.Socket>();
  const expected = options.credentials ? `Basic ${Buffer.from(options.credentials).toString('base64')}` : undefined;
  const allowed = (auth: string | undefined) => expected === undefined || auth === expected;

  const server = http.createServer((req, res) => {
    const auth = req.headers['proxy-authorization'];
    const ok = allowed(auth);
    log.push({ method: req.method ?? '', target: req.url ?? '', proxyAuthorization: auth, allowed: ok });
    if (!ok) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"', 'content-type': 'text/html' });
      res.end('<html><body>407 Proxy Authentication Required</body></html>');
      req.resume();
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const url = new URL(req.url!);
    const target = options.routeTo === undefined ? url : new URL(url.pathname + url.search, options.routeTo);
    const upstream = http.request(target, { method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });

  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.on('error', () => {});
    const auth = req.headers['proxy-authorization'];
    const ok = allowed(auth);
    log.push({ method: 'CONNECT', target: req.url ?? '', proxyAuthorization: auth, allowed: ok && !options.echoCredentials });
    if (options.echoCredentials) {
      const decoded = Buffer.from((auth ?? '').replace(/^Basic /, ''), 'base64').toString();
      const page = `Access denied for ${decoded} (${auth})`;
      client.end(
        `HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nX-Echo: ${auth}\r\nContent-Length: ${Buffer.byteLength(page)}\r\n\r\n${page}`,
      );
      return;
    }
    if (!ok) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (options.refuseConnect !== undefined) {
      const page = '<html><body>Access to this site is blocked by policy</body></html>';
      client.end(`HTTP/1.1 ${options.refuseConnect} Refused\r\nContent-Type: text/html\r\nContent-Length: ${page.length}\r\n\r\n${page}`);
      return;
    }
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host!, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.once('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
  });
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
      }),
  };
}
