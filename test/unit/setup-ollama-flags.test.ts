import { execFileSync } from 'node:child_process';
import path from 'node:path';

// scripts/setup.sh builds Ollama from source with cgo. Its Go build never compiles ggml-cpu/amx/*.cpp, so any -march
// that enables AMX (-march=native on an Intel CPU with AMX, -march=sapphirerapids) fails to link unless AMX is
// turned off. CI machines have no AMX, so this checks the flags of every attempt instead of waiting for such a CPU.
const setupScript = path.resolve(__dirname, '../../scripts/setup.sh');
const noAmx = ['-mno-amx-tile', '-mno-amx-int8', '-mno-amx-bf16'];

function ollamaFlags(march: string): string[][] {
  const out = execFileSync('bash', [setupScript, '--ollama-flags'], {
    encoding: 'utf8',
    env: { ...process.env, OLLAMA_MARCH: march },
  });
  return out
    .trim()
    .split('\n')
    .map((line) => line.split(' '));
}

const onX64 = process.arch === 'x64' ? describe : describe.skip;

onX64('setup.sh Ollama build flags', () => {
  it('tunes for this CPU first, then retries the same tag with portable targets, AMX off in each', () => {
    const attempts = ollamaFlags('');
    expect(attempts.map((flags) => flags.find((f) => f.startsWith('-march=')))).toEqual([
      '-march=native',
      '-march=x86-64-v3',
      '-march=x86-64-v2',
    ]);
    for (const flags of attempts) expect(flags).toEqual(expect.arrayContaining(['-O3', ...noAmx]));
  });

  it.each(['sapphirerapids', 'skylake-avx512', 'native'])(
    'builds OLLAMA_MARCH=%s as asked, AMX off',
    (march) => {
      expect(ollamaFlags(march)).toEqual([['-O3', `-march=${march}`, ...noAmx]]);
    },
  );
});
