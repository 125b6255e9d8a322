import { createServer, request } from 'node:http';

/**
 * One origin for the test page and the hub: serves the page and bundle, and forwards /.well-known/mercure… to the hub,
 * streaming both ways without buffering, so the browser needs no CORS. While the hub is down it answers 502.
 */
export function startPageServer(t, { port, hubPort, files }) {
  const server = createServer((req, res) => {
    if (req.url.startsWith('/.well-known/mercure')) {
      const upstream = request(
        { host: '127.0.0.1', port: hubPort, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
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
