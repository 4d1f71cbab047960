import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { groupAlive, Supervisor } from '../../src/stack/supervisor';
import { until } from '../helpers/wait';

let dir: string;
let supervisor: Supervisor | undefined;
beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'supervisor-'))));
afterEach(async () => {
  await supervisor?.stopAll(2000); // also when a test failed, so no child outlives it
  supervisor = undefined;
  rmSync(dir, { recursive: true, force: true });
});

test('a child that closes stdout and then writes to stderr keeps both in its log', async () => {
  const exits: Error[] = [];
  supervisor = new Supervisor(dir, (e) => exits.push(e));
  // The child writes to stderr only when told (SIGUSR2; node reserves SIGUSR1 for its inspector), so the test can
  // tell it after the supervisor has seen stdout end, which is the order that once cut the log short.
  const script = `
    process.on('SIGUSR2', () => process.stderr.write('to stderr after stdout closed\\n'));
    process.stdout.write('to stdout\\n', () => require('fs').closeSync(1));
    setInterval(() => {}, 1000);`;
  await supervisor.start({
    name: 'writer',
    command: process.execPath,
    args: ['-e', script],
    ready: async () => true,
    readyTimeoutMs: 1000,
  });
  // The supervisor keeps its children to itself; the test reaches in only to wait for this one's stdout to end.
  const { child } = (supervisor as unknown as { running: Map<string, { child: ChildProcess }> }).running.get(
    'writer',
  )!;
  if (!child.stdout!.readableEnded) await once(child.stdout!, 'end');
  process.kill(child.pid!, 'SIGUSR2');

  const logFile = path.join(dir, 'writer.log');
  const log = await until(
    () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    (text) => text.includes('to stderr after stdout closed'),
    { timeoutMs: 30_000, what: 'the stderr line in the log' },
  );
  expect(log).toContain('to stdout');

  const pid = supervisor.pids().writer!;
  await supervisor.stopAll(2000);
  expect(groupAlive(pid)).toBe(false);
  expect(exits).toEqual([]);
}, 60_000);

test('a chain starts in order, each part once the one before is ready; chains start side by side', async () => {
  const events: string[] = [];
  supervisor = new Supervisor(dir, () => {});
  const spec = (name: string) => ({
    name,
    command: process.execPath,
    args: ['-e', 'setInterval(() => {}, 1000)'],
    prepare: async () => events.push(`${name} starts`),
    ready: async () => (events.push(`${name} ready`), true),
    readyTimeoutMs: 10_000,
  });
  await supervisor.startChains([[spec('database'), spec('server')], [spec('other')]]);

  expect(events.indexOf('server starts')).toBeGreaterThan(events.indexOf('database ready'));
  expect(events.indexOf('other starts')).toBeLessThan(events.indexOf('database ready'));
  expect(Object.keys(supervisor.pids()).sort()).toEqual(['database', 'other', 'server']);
}, 60_000);

test('a component is stopped with its own stop signal', async () => {
  supervisor = new Supervisor(dir, () => {});
  await supervisor.start({
    name: 'fast-shutdown',
    command: process.execPath,
    args: [
      '-e',
      "process.on('SIGINT', () => { console.log('stopped by SIGINT'); process.exit(0); }); console.log('handler set'); setInterval(() => {}, 1000)",
    ],
    ready: async () => readFileSync(path.join(dir, 'fast-shutdown.log'), 'utf8').includes('handler set'),
    readyTimeoutMs: 1000,
    stopSignal: 'SIGINT',
  });
  await supervisor.stop('fast-shutdown', { graceMs: 20_000 });
  await until(
    () => readFileSync(path.join(dir, 'fast-shutdown.log'), 'utf8'),
    (log) => log.includes('stopped by SIGINT'),
    { timeoutMs: 10_000, what: 'the SIGINT handler to log' },
  );
}, 60_000);
