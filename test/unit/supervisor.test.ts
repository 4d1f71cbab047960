import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { groupAlive, Supervisor } from '../../src/stack/supervisor';

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'supervisor-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('a child that closes stdout and then writes to stderr keeps both in its log', async () => {
  const exits: Error[] = [];
  const supervisor = new Supervisor(dir, (e) => exits.push(e));
  const script = `
    process.stdout.write('to stdout\\n', () => {
      require('fs').closeSync(1);
      setTimeout(() => process.stderr.write('to stderr after stdout closed\\n'), 100);
    });
    setInterval(() => {}, 1000);`;
  await supervisor.start({
    name: 'writer',
    command: process.execPath,
    args: ['-e', script],
    ready: async () => true,
    readyTimeoutMs: 1000,
  });
  await delay(400);
  const pid = supervisor.pids().writer!;
  await supervisor.stopAll(2000);

  expect(groupAlive(pid)).toBe(false);
  expect(exits).toEqual([]);
  await delay(50);
  const log = readFileSync(path.join(dir, 'writer.log'), 'utf8');
  expect(log).toContain('to stdout');
  expect(log).toContain('to stderr after stdout closed');
});
