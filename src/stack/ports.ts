import { readFileSync } from 'node:fs';
import net from 'node:net';

/**
 * The first port the OS hands out for port-0 binds. Ports below it are never picked by the OS, so a port chosen
 * there cannot be taken in the gap before our server binds it by another process asking for "any free port"
 * (the Temporal dev server picks its internal ports that way).
 */
function ephemeralStart(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    return 32_768;
  }
}

const LOWEST = 20_000;

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** `count` distinct ports free on 127.0.0.1 right now, below the OS's ephemeral range, for servers a test starts. */
export async function freePorts(count: number): Promise<number[]> {
  const highest = Math.max(LOWEST + 1000, ephemeralStart());
  const ports = new Set<number>();
  for (let tries = 0; ports.size < count; tries++) {
    if (tries > 1000) throw new Error(`no ${count} free ports between ${LOWEST} and ${highest}`);
    const port = LOWEST + Math.floor(Math.random() * (highest - LOWEST));
    if (!ports.has(port) && (await canBind(port))) ports.add(port);
  }
  return [...ports];
}
