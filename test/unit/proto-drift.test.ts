import { execFileSync } from 'node:child_process';
import { repoRoot } from '../helpers/tools';

describe('generated protobuf code', () => {
  it('matches proto/ (run `npm run proto:gen` after editing a .proto)', () => {
    expect(() =>
      execFileSync('bash', ['scripts/proto-gen.sh', '--check'], { cwd: repoRoot, stdio: 'pipe' }),
    ).not.toThrow();
  }, 60_000);
});
