// A token-bucket TCP proxy on loopback: every byte flowing back from the target (the registry's
// responses) shares one bucket refilled at --rate, as if all connections crossed one link of that
// speed. Requests go upstream unshaped (they are tiny). Loopback only, bounded: at most 64
// connections, at most 4 MiB queued per connection (the upstream socket is paused beyond that).
//
// Usage: node bench/rate-proxy.mjs --target 127.0.0.1:5000 --rate 1Gbps
// Prints "listening 127.0.0.1:<port>" on stdout, runs until SIGTERM.
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { target: { type: 'string' }, rate: { type: 'string' }, port: { type: 'string', default: '0' } } });
const [thost, tport] = (values.target ?? '').split(':');
if (thost !== '127.0.0.1' && thost !== 'localhost') throw new Error('--target must be on loopback (127.0.0.1:port)');
const m = /^(\d+(?:\.\d+)?)\s*([kMG])bps$/.exec(values.rate ?? '');
if (!m) throw new Error('--rate like 200Mbps or 1Gbps');
const bytesPerSecond = (Number(m[1]) * { k: 1e3, M: 1e6, G: 1e9 }[m[2]]) / 8;

const MAX_CONNECTIONS = 64;
const MAX_QUEUED = 4 * 1024 * 1024;
const TICK_MS = 2;
// Burst: 4 ticks of tokens (≥ 64 KiB), so timer jitter does not lower the average rate.
const BURST = Math.max(64 * 1024, (bytesPerSecond * 4 * TICK_MS) / 1000);

let tokens = BURST;
let last = process.hrtime.bigint();
/** Per-connection queues of chunks waiting for tokens, served round-robin. */
const flows = new Set();

function refill() {
  const now = process.hrtime.bigint();
  tokens = Math.min(BURST, tokens + (Number(now - last) / 1e9) * bytesPerSecond);
  last = now;
}

function pump() {
  refill();
  let progressed = true;
  while (tokens > 0 && progressed) {
    progressed = false;
    for (const f of flows) {
      if (f.queue.length === 0 || tokens <= 0) continue;
      const chunk = f.queue[0];
      const n = Math.min(chunk.length, Math.max(1, Math.floor(tokens)), 64 * 1024);
      f.client.write(chunk.subarray(0, n));
      tokens -= n;
      f.queued -= n;
      if (n === chunk.length) f.queue.shift();
      else f.queue[0] = chunk.subarray(n);
      progressed = true;
      if (f.paused && f.queued < MAX_QUEUED / 2) {
        f.paused = false;
        f.upstream.resume();
      }
    }
  }
  for (const f of flows) if (f.ended && f.queue.length === 0) {
    f.client.end();
    flows.delete(f);
  }
}
setInterval(pump, TICK_MS);

const server = net.createServer((client) => {
  const upstream = net.connect(Number(tport), thost);
  const flow = { client, upstream, queue: [], queued: 0, paused: false, ended: false };
  flows.add(flow);
  client.pipe(upstream);
  upstream.on('data', (chunk) => {
    flow.queue.push(chunk);
    flow.queued += chunk.length;
    if (flow.queued > MAX_QUEUED && !flow.paused) {
      flow.paused = true;
      upstream.pause();
    }
  });
  upstream.on('end', () => (flow.ended = true));
  const close = () => {
    flows.delete(flow);
    client.destroy();
    upstream.destroy();
  };
  upstream.on('error', close);
  client.on('error', close);
  client.on('close', close);
});
server.maxConnections = MAX_CONNECTIONS;
server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`listening 127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
