import { readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { loadConfig, MAX_WORKER_COUNT } from '../../src/shared/config';
import { isolatedStackEnv } from '../../src/stack/isolated-env';
import { freePortBlock, freePorts, hostPort } from '../../src/stack/ports';
import { INTERNAL_PORT_COUNT, MEMBERSHIP_PORT_LIMIT } from '../../src/stack/temporal-server';

test('free ports are distinct, bindable, and below the range the OS hands out for port 0', async () => {
  const ephemeralStart = Number(
    readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0],
  );
  const ports = await freePorts(7);

  expect(new Set(ports).size).toBe(7);
  for (const port of ports) {
    expect(port).toBeLessThan(ephemeralStart);
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  }
});

test('a free port block is consecutive, bindable, below its limit, and avoids ports already taken', async () => {
  const taken = new Set(await freePorts(50));
  const first = await freePortBlock(8, { below: 32_768, taken });
  const block = Array.from({ length: 8 }, (_, i) => first + i);

  expect(block.at(-1)!).toBeLessThan(32_768);
  expect(block.filter((port) => taken.has(port))).toEqual([]);
  const servers = await Promise.all(
    block.map(
      (port) =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once('error', reject);
          server.listen(port, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

test('an isolated stack environment gives every port its own number, the server blocks included', async () => {
  const env = await isolatedStackEnv('ports-test-');
  const config = loadConfig(env);
  const single = [
    hostPort(config.TEMPORAL_ADDRESS).port,
    hostPort(config.TEMPORAL_UI_URL).port,
    hostPort(config.OLLAMA_HOST).port,
    config.GATEWAY_PORT,
    config.LLM_SERVICE_PORT,
    config.CONVERSATION_API_PORT,
    config.POSTGRES_PORT,
  ];
  const internal = Array.from(
    { length: INTERNAL_PORT_COUNT },
    (_, i) => config.TEMPORAL_INTERNAL_PORT_BASE + i,
  );
  const metrics = hostPort(config.WORKER_METRICS_ADDRESS).port;
  const workerMetrics = Array.from({ length: MAX_WORKER_COUNT }, (_, i) => metrics + i);
  const all = [...single, ...internal, ...workerMetrics];

  expect(new Set(all).size).toBe(all.length);
  expect(internal.at(-1)!).toBeLessThan(MEMBERSHIP_PORT_LIMIT);
  rmSync(path.dirname(env.STACK_DATA_DIR!), { recursive: true, force: true });
});
