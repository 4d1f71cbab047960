import { BlockList, isIP } from 'node:net';

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/**
 * Whether binding to `host` accepts connections from this machine only: `localhost`, an IPv4 address in
 * 127.0.0.0/8, or `::1` (in any spelling, and IPv4-mapped loopback such as `::ffff:127.0.0.1`). Wildcards
 * (`0.0.0.0`, `::`), other addresses and every other host name (which DNS could point anywhere) are not.
 */
export function isLoopbackHost(host: string): boolean {
  if (host.toLowerCase() === 'localhost') return true;
  const family = isIP(host);
  if (family === 0) return false;
  return loopback.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

/** An IP address, or a subnet in CIDR notation (`10.0.0.0/8`, `fd00::/8`). */
export function isAddressOrSubnet(value: string): boolean {
  const [address = '', prefix, ...rest] = value.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}
