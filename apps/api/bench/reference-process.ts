// The machine's own floor, for scenarios 1 and 2: a bare node:http server with no framework, in a
// process of its own. It answers a liveness route, the same route behind an in-memory key check
// (hash the presented key, look it up), and relays chat completions to the fake upstream with no
// check at all. What it adds is what any Node server adds on this machine, before any of
// Keyward's work. Prints one `READY {json}` line, then serves until SIGTERM.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent, request } from 'undici';

const upstreamChat = process.env.REFERENCE_UPSTREAM_CHAT_URL ?? '';
const knownKeyHashes = new Set([sha256(process.env.REFERENCE_KEY ?? '')]);
const upstream = new Agent({ connections: 128, keepAliveTimeout: 30_000 });
const LIVE = JSON.stringify({ status: 'ok' });

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/live') {
    send(res, 200, LIVE);
  } else if (req.method === 'GET' && req.url === '/checked') {
    const presented = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (knownKeyHashes.has(sha256(presented))) send(res, 200, JSON.stringify({ key: 'known' }));
    else send(res, 401, JSON.stringify({ error: 'unknown key' }));
  } else if (req.method === 'POST' && req.url === '/v1/chat/completions') {
    void relay(req, res);
  } else {
    send(res, 404, '{}');
  }
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`READY ${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
});
process.once('SIGTERM', () => {
  server.close();
  void upstream.close().then(() => process.exit(0));
});

/** Body in, the same body to the upstream, its answer streamed back as it comes. */
async function relay(req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const answer = await request(upstreamChat, {
      method: 'POST',
      dispatcher: upstream,
      headers: {
        authorization: req.headers.authorization ?? '',
        'content-type': 'application/json',
      },
      body: Buffer.concat(chunks),
    });
    res.writeHead(answer.statusCode, {
      'content-type': String(answer.headers['content-type'] ?? 'application/json'),
    });
    for await (const chunk of answer.body) res.write(chunk);
    res.end();
  } catch {
    if (!res.headersSent) send(res, 502, '{}');
    else res.destroy();
  }
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
