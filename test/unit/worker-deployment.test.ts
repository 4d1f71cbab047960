/** The worker's build id: derived from the source (version, commit, uncommitted changes), or set and validated. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/shared/config';
import { sourceBuildId, workerDeploymentVersion } from '../../src/worker/deployment';

function repo(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'build-id-'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  git('config', 'user.email', 'test@example.com');
  git('config', 'user.name', 'test');
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'x', version: '1.2.3' }));
  mkdirSync(path.join(dir, 'src'));
  writeFileSync(path.join(dir, 'src', 'a.ts'), 'export const a = 1;\n');
  git('add', '.');
  git('commit', '-qm', 'first');
  return dir;
}

const commitOf = (dir: string) =>
  execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();

test('a clean checkout builds <version>-<commit>; a change to src/ adds a hash of it, the same for the same change', () => {
  const dir = repo();
  expect(sourceBuildId(dir)).toBe(`1.2.3-${commitOf(dir)}`);
  writeFileSync(path.join(dir, 'src', 'a.ts'), 'export const a = 2;\n');
  const dirty = sourceBuildId(dir)!;
  expect(dirty).toMatch(new RegExp(`^1\\.2\\.3-${commitOf(dir)}-dirty-[0-9a-f]{10}$`));
  expect(sourceBuildId(dir)).toBe(dirty);
  writeFileSync(path.join(dir, 'src', 'b.ts'), 'export const b = 1;\n');
  expect(sourceBuildId(dir)).not.toBe(dirty);
});

test('outside a git checkout there is no source build id', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'no-git-'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'x', version: '1.2.3' }));
  expect(sourceBuildId(dir)).toBeUndefined();
});

test('WORKER_BUILD_ID and WORKER_DEPLOYMENT_NAME are the version when set', () => {
  const config = loadConfig({ WORKER_BUILD_ID: '2.0.0-abc', WORKER_DEPLOYMENT_NAME: 'conversations' });
  expect(workerDeploymentVersion(config)).toEqual({ deploymentName: 'conversations', buildId: '2.0.0-abc' });
});

test('this checkout gives the worker a build id of its version and commit', () => {
  expect(workerDeploymentVersion(loadConfig({})).buildId).toMatch(
    /^\d+\.\d+\.\d+-[0-9a-f]{12}(-dirty-[0-9a-f]{10})?$/,
  );
});

test.each([
  ['WORKER_BUILD_ID', 'a b'],
  ['WORKER_BUILD_ID', '-leading'],
  ['WORKER_DEPLOYMENT_NAME', 'with.dot'],
  ['WORKER_SET_CURRENT', 'sometimes'],
])('%s=%s is refused with a message naming it', (name, value) => {
  expect(() => loadConfig({ [name]: value })).toThrow(name);
});
