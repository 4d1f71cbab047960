/** The manifest's provenance names each model without a path of the machine that made the dataset. */
import { modelProvenance, withoutMachinePaths } from '../../src/campaign/dataset/provenance';
import type { ModelSource } from '../../src/campaign/dataset/provenance';
import { outputRelativePath } from '../../src/output/files';
import { ollamaClient } from '../helpers/ollama-client';

const BLOB = 'sha256-3a6bc7c1f0ad8b61c62b9ffc42a6ad2c4c7ff79a0fb6e0d4c8a2e3f4b5c6d7e8';

describe('provenance without machine paths', () => {
  it('keeps only the last part of an absolute path, anywhere in the value', () => {
    expect(
      withoutMachinePaths({
        parent_model: `/work/main/.tools/ollama/models/blobs/${BLOB}`,
        windows: `C:\\Users\\me\\.ollama\\models\\blobs\\${BLOB}`,
        share: `\\\\server\\models\\${BLOB}`,
        home: `~/.ollama/models/blobs/${BLOB}`,
        families: ['gemma3', '/abs/x.gguf'],
        family: 'gemma3',
        relative: 'models/x',
        size: 268,
      }),
    ).toEqual({
      parent_model: BLOB,
      windows: BLOB,
      share: BLOB,
      home: BLOB,
      families: ['gemma3', 'x.gguf'],
      family: 'gemma3',
      relative: 'models/x',
      size: 268,
    });
  });

  it('takes the path out of the details Ollama reports for a model imported from a GGUF file', async () => {
    const ollama = ollamaClient({
      show: async () => ({
        template: '{{ .Prompt }}',
        details: {
          parent_model: `/home/someone/checkout/.tools/ollama/models/blobs/${BLOB}`,
          format: 'gguf',
          family: 'gemma3',
          families: ['gemma3'],
          parameter_size: '268.10M',
          quantization_level: 'Q4_K_M',
        },
      }),
      tags: async () => ({ models: [{ name: 'gemma3:270m', model: 'gemma3:270m', digest: 'abc' }] }),
    });
    const [local] = await modelProvenance(
      [{ side: 'local', endpoint: 'local', model: 'gemma3:270m' }],
      [],
      new Map([['local', { kind: 'ollama', client: ollama } as const]]),
    );
    expect(local).toMatchObject({ side: 'local', model: 'gemma3:270m', digest: 'abc' });
    expect(local!.details).toMatchObject({ parent_model: BLOB, family: 'gemma3' });
    expect(JSON.stringify(local)).not.toMatch(/\/home\/|\.tools/);
  });
});

describe('provenance from the endpoint that served the model, once per campaign', () => {
  const never = jest.fn(async () => {
    throw new Error('the default Ollama must not be asked about another endpoint’s model');
  });
  const defaultOllama = ollamaClient({ show: never, tags: never });

  it('asks an openai endpoint’s /v1/models, an ollama endpoint’s /api/show, and Bedrock nothing', async () => {
    const models = jest.fn(async () => [
      { id: 'fleet-model', object: 'model', owned_by: 'vllm', created: 1_700_000_000 },
    ]);
    const boxOllama = ollamaClient({
      show: async () => ({ template: '', details: { family: 'llama' } }),
      tags: async () => ({ models: [{ name: 'box-model:latest', model: 'box-model:latest', digest: 'd1' }] }),
    });
    const sources = new Map<string, ModelSource>([
      ['local', { kind: 'ollama', client: defaultOllama }],
      ['cloud', { kind: 'bedrock', region: 'eu-west-1' }],
      ['fleet', { kind: 'openai', models }],
      ['box', { kind: 'ollama', client: boxOllama }],
    ]);
    const refs = [
      { side: 'local', endpoint: 'fleet', model: 'fleet-model' },
      { side: 'cloud', endpoint: 'fleet', model: 'fleet-model' },
      { side: 'local', endpoint: 'box', model: 'box-model' },
      { side: 'cloud', endpoint: 'cloud', model: 'anthropic.claude-3-haiku-20240307-v1:0' },
    ] as const;
    const found = await modelProvenance(refs, [], sources);

    expect(never).not.toHaveBeenCalled();
    expect(found).toEqual([
      { side: 'cloud', model: 'anthropic.claude-3-haiku-20240307-v1:0', region: 'eu-west-1' },
      {
        side: 'cloud',
        endpoint: 'fleet',
        model: 'fleet-model',
        details: { object: 'model', owned_by: 'vllm', created: 1_700_000_000 },
      },
      { side: 'local', endpoint: 'box', model: 'box-model', digest: 'd1', details: { family: 'llama' } },
      {
        side: 'local',
        endpoint: 'fleet',
        model: 'fleet-model',
        details: { object: 'model', owned_by: 'vllm', created: 1_700_000_000 },
      },
    ]);

    // The next checkpoints keep what was found, a failed look-up too: nothing is asked again.
    models.mockClear();
    const failing = new Map<string, ModelSource>([
      ['fleet', { kind: 'openai', models: async () => Promise.reject(new Error('connection refused')) }],
    ]);
    const first = await modelProvenance(
      [{ side: 'cloud', endpoint: 'fleet', model: 'other' }],
      found,
      failing,
    );
    expect(first.find((p) => p.model === 'other')).toMatchObject({ lookupError: 'connection refused' });
    const again = await modelProvenance(
      [...refs, { side: 'cloud', endpoint: 'fleet', model: 'other' }],
      first,
      sources,
    );
    expect(again).toEqual(first);
    expect(models).not.toHaveBeenCalled();
  });
});

describe('transcript paths relative to OUTPUT_DIR', () => {
  it('takes an absolute path, one relative to the working folder, or one already relative to OUTPUT_DIR', () => {
    expect(outputRelativePath('/data/out', '/data/out/campaigns/c/conversations/x.csv')).toBe(
      'campaigns/c/conversations/x.csv',
    );
    expect(outputRelativePath('./output', 'output/campaigns/c/x.jsonl')).toBe('campaigns/c/x.jsonl');
    expect(outputRelativePath('./output', 'campaigns/c/x.jsonl')).toBe('campaigns/c/x.jsonl');
    expect(outputRelativePath('.', 'campaigns/c/x.jsonl')).toBe('campaigns/c/x.jsonl');
  });
});
