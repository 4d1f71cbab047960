/** Routing among an endpoint's replicas: rendezvous affinity, skipping a full or failing one, ejection and return. */
import { UpstreamError } from '../../src/contracts/errors';
import { createReplicaSet, EJECT_AFTER_FAILURES, EJECT_MS, MAX_EJECT_MS } from '../../src/models/replicas';

const URLS = ['http://a:1', 'http://b:1', 'http://c:1'];
const refused = () => Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });

function replicas(options: { maxConcurrentCalls?: number; routing?: 'affinity' | 'round-robin' } = {}) {
  let clock = 0;
  const set = createReplicaSet(
    URLS.map((url) => ({ url, maxConcurrentCalls: options.maxConcurrentCalls ?? 0, client: url })),
    options.routing,
    () => clock,
  );
  return { set, advance: (ms: number) => (clock += ms) };
}

describe('replica routing', () => {
  it('sends every call of a key to one replica, and spreads keys over all of them', async () => {
    const { set } = replicas();
    const servedBy = new Map<string, Set<string>>();
    for (let turn = 0; turn < 5; turn++) {
      for (let c = 0; c < 60; c++) {
        const key = `conversation-${c}\u0000local`;
        const url = await set.call(key, async (client) => client);
        servedBy.set(key, (servedBy.get(key) ?? new Set()).add(url));
      }
    }
    expect([...servedBy.values()].every((urls) => urls.size === 1)).toBe(true);
    const load = URLS.map((u) => [...servedBy.values()].filter((urls) => urls.has(u)).length);
    expect(Math.min(...load)).toBeGreaterThan(10);
  });

  it('moves only the keys of a replica taken out (rendezvous hashing)', () => {
    const { set } = replicas();
    const two = createReplicaSet(
      URLS.slice(0, 2).map((url) => ({ url, maxConcurrentCalls: 0, client: url })),
      'affinity',
    );
    for (let c = 0; c < 50; c++) {
      const key = `k${c}`;
      const first = URLS[set.order(key)[0]!]!;
      if (first !== URLS[2]) expect(URLS[two.order(key)[0]!]).toBe(first);
    }
  });

  it('takes the replicas in turn with round-robin, whatever the key', async () => {
    const { set } = replicas({ routing: 'round-robin' });
    const served = [];
    for (let i = 0; i < 6; i++) served.push(await set.call('same', async (c) => c));
    expect(served).toEqual([...URLS, ...URLS]);
  });

  it('skips a full replica for the call, to the next in the key’s order', async () => {
    const { set } = replicas({ maxConcurrentCalls: 1 });
    const order = set.order('k').map((i) => URLS[i]);
    let release!: () => void;
    const held = set.call('k', (c) => new Promise<string>((resolve) => (release = () => resolve(c))));
    await expect(set.call('k', async (c) => c)).resolves.toBe(order[1]);
    release();
    await expect(held).resolves.toBe(order[0]);
    await expect(set.call('k', async (c) => c)).resolves.toBe(order[0]);
  });

  it('goes on to the next replica when one fails as a server, and reports which one answered', async () => {
    const { set } = replicas();
    const order = set.order('k').map((i) => URLS[i]!);
    const served: number[] = [];
    const answer = await set.call(
      'k',
      async (c) => {
        if (c === order[0]) throw refused();
        return c;
      },
      (index) => served.push(index),
    );
    expect(answer).toBe(order[1]);
    expect(served).toEqual([URLS.indexOf(order[1]!)]);
    expect(set.stats().find((s) => URLS[s.index] === order[0])).toMatchObject({ calls: 1, errors: 1 });
  });

  it('ends the call at a refusal (a 4xx): another replica would refuse it too', async () => {
    const { set } = replicas();
    const tried: string[] = [];
    await expect(
      set.call('k', async (c) => {
        tried.push(c);
        throw new UpstreamError(400, 'BAD_REQUEST', 'no such model', false);
      }),
    ).rejects.toThrow('no such model');
    expect(tried).toHaveLength(1);
  });

  it(`ejects a replica after ${EJECT_AFTER_FAILURES} failures in a row, lets one call through later, takes it back on success`, async () => {
    const { set, advance } = replicas();
    const order = set.order('k').map((i) => URLS[i]!);
    let down = true;
    const call = () =>
      set.call('k', async (c) => {
        if (c === order[0] && down) throw refused();
        return c;
      });
    for (let i = 0; i < EJECT_AFTER_FAILURES; i++) await expect(call()).resolves.toBe(order[1]);
    expect(set.stats().find((s) => URLS[s.index] === order[0])).toMatchObject({ ejected: true, errors: 3 });
    // Ejected: not even tried.
    await expect(call()).resolves.toBe(order[1]);
    expect(set.stats().find((s) => URLS[s.index] === order[0])!.calls).toBe(3);
    advance(EJECT_MS);
    // Let through once; failing again, ejected for twice as long.
    await expect(call()).resolves.toBe(order[1]);
    advance(EJECT_MS);
    await expect(call()).resolves.toBe(order[1]);
    expect(set.stats().find((s) => URLS[s.index] === order[0])!.calls).toBe(4);
    advance(EJECT_MS);
    down = false;
    await expect(call()).resolves.toBe(order[0]);
    expect(set.stats().find((s) => URLS[s.index] === order[0])).toMatchObject({ ejected: false });
    expect(MAX_EJECT_MS).toBeGreaterThan(EJECT_MS);
  });

  it('tries the first replica anyway when every one is ejected', async () => {
    const { set } = replicas();
    for (let i = 0; i < EJECT_AFTER_FAILURES; i++) {
      await expect(
        set.call('k', async () => {
          throw refused();
        }),
      ).rejects.toThrow('fetch failed');
    }
    expect(set.stats().every((s) => s.ejected)).toBe(true);
    await expect(set.call('k', async (c) => c)).resolves.toBe(URLS[set.order('k')[0]!]);
  });
});
