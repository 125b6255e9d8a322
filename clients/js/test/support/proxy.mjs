import { createServer, request } from 'node:http';

/**
 * One origin for the test page and the hub: serves the page and bundle, and forwards /.well-known/mercure… to the hub,
 * streaming both ways without buffering, so the browser needs no CORS. While the hub is down it answers 502.
 *
 * `server.streams` records every subscription request the hub sees (GET /.well-known/mercure):
 * `{ url, token, cookie, lastEventId, status, open, endedBy }` — whether it carried a bearer token or the mercureAuthorization
 * cookie, the hub's status, and whether the hub ended the stream or the client left; `server.maxOpen` is the most
 * streams open at once, `server.onStream` is called on each change.
 */
export function startPageServer(t, { port, hubPort, files }) {
  const streams = [];
  let open = 0;
  const server = createServer((req, res) => {
    if (req.url.startsWith('/.well-known/mercure')) {
      const path = req.url.split('?')[0];
      if (req.method === 'GET' && (path === '/.well-known/mercure' || path === '/.well-known/mercure/')) {
        const record = {
          url: req.url,
          token: /^Bearer \S+/.test(req.headers.authorization ?? ''),
          cookie: /(?:^|;\s*)mercureAuthorization=[^;\s]+/.test(req.headers.cookie ?? ''),
          lastEventId: req.headers['last-event-id'] ?? new URL(req.url, 'http://x').searchParams.get('lastEventID') ?? undefined,
          status: undefined,
          open: true,
          endedBy: undefined,
        };
        streams.push(record);
        open++;
        server.maxOpen = Math.max(server.maxOpen, open);
        const end = (by) => {
          if (!record.open) return;
          record.open = false;
          record.endedBy = by;
          open--;
          server.onStream?.();
        };
        res.on('finish', () => end('hub'));
        res.on('close', () => end('client'));
        record.setStatus = (status) => { record.status = status; server.onStream?.(); };
        res.record = record;
      }
      const upstream = request(
        { host: '127.0.0.1', port: hubPort, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.record?.setStatus(answer.statusCode);
          res.writeHead(answer.statusCode, answer.headers);
          res.flushHeaders();
          answer.on('data', (chunk) => res.write(chunk));
          answer.on('end', () => res.end());
          answer.on('error', () => res.destroy());
          answer.on('aborted', () => res.destroy());
        },
      );
      upstream.on('error', () => {
        if (!res.headersSent) {
          res.writeHead(502, { 'Content-Type': 'text/plain' }).end('hub unreachable\n');
        } else {
          res.destroy();
        }
      });
      res.on('close', () => upstream.destroy());
      req.pipe(upstream);
      return;
    }
    const file = files[req.url.split('?')[0]];
    if (file === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': file.type, 'Cache-Control': 'no-store' }).end(file.body);
  });
  server.streams = streams;
  server.maxOpen = 0;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      t.after(() => new Promise((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }));
      resolve(server);
    });
  });
}
