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

function highestPort(): number {
  return Math.max(LOWEST + 1000, ephemeralStart());
}

/** `count` distinct ports free on 127.0.0.1 right now, below the OS's ephemeral range, for servers a test starts. */
export async function freePorts(count: number, taken: ReadonlySet<number> = new Set()): Promise<number[]> {
  const highest = highestPort();
  const ports = new Set<number>();
  for (let tries = 0; ports.size < count; tries++) {
    if (tries > 1000) throw new Error(`no ${count} free ports between ${LOWEST} and ${highest}`);
    const port = LOWEST + Math.floor(Math.random() * (highest - LOWEST));
    if (!ports.has(port) && !taken.has(port) && (await canBind(port))) ports.add(port);
  }
  return [...ports];
}

/**
 * The first of `size` consecutive ports free on 127.0.0.1 right now (none of them in `taken`), below the OS's
 * ephemeral range and `below`, for a server whose ports are configured as a block (the Temporal server's inner
 * services, the workers' metrics).
 */
export async function freePortBlock(
  size: number,
  { below = 65_536, taken = new Set<number>() }: { below?: number; taken?: ReadonlySet<number> } = {},
): Promise<number> {
  const highest = Math.min(highestPort(), below) - size;
  for (let tries = 0; tries < 200; tries++) {
    const first = LOWEST + Math.floor(Math.random() * (highest - LOWEST));
    let free = true;
    for (let port = first; free && port < first + size; port++)
      free = !taken.has(port) && (await canBind(port));
    if (free) return first;
  }
  throw new Error(`no ${size} consecutive free ports between ${LOWEST} and ${highest + size}`);
}

/** Host and port of a configured address, `host:port` or a URL. */
export function hostPort(address: string): { host: string; port: number } {
  const url = new URL(address.includes('://') ? address : `http://${address}`);
  return { host: url.hostname, port: Number(url.port) };
}
