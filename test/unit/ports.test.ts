import { readFileSync } from 'node:fs';
import net from 'node:net';
import { freePorts } from '../../src/stack/ports';

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
