/**
 * Where a campaign's data came from: each model as its provider describes it, and the code that ran it. Looked up
 * at the first checkpoint and kept in the manifest; a look-up that failed is tried again at the next one.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { messageOf } from '../../contracts/errors';
import type { OllamaClient } from '../../models/ollama-client';
import type { ModelProvenance } from '../../contracts/campaign';

const run = promisify(execFile);
const PACKAGE_NAME = 'llm-conversation-service';

export interface ModelRef {
  side: 'cloud' | 'local';
  model: string;
}

/** Ollama's name for a model given without a tag. */
function withTag(model: string): string {
  return model.includes(':') ? model : `${model}:latest`;
}

/** `/home/x/.ollama/models/blobs/sha256-…`, `C:\Users\…`, `\\server\share`, `~/…`. */
const MACHINE_PATH = /^(?:\/|[A-Za-z]:[\\/]|\\\\|~[\\/])/;

/**
 * The value with every absolute file path cut to its last part: Ollama reports where it found a model's files
 * (`details.parent_model` of a model imported from a GGUF is its blob's path, under the home folder or checkout of
 * the machine that imported it), which has no place in a dataset that is published. The last part, a blob's
 * `sha256-…` name, still identifies the weights.
 */
export function withoutMachinePaths(value: unknown): unknown {
  if (typeof value === 'string') {
    return MACHINE_PATH.test(value) ? (value.split(/[\\/]/).filter(Boolean).at(-1) ?? '') : value;
  }
  if (Array.isArray(value)) return value.map(withoutMachinePaths);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutMachinePaths(v)]));
  }
  return value;
}

/** A local model: its digest from `/api/tags`, its details from `/api/show`. */
async function localModel(ollama: OllamaClient, model: string): Promise<ModelProvenance> {
  try {
    const [tags, show] = await Promise.all([ollama.tags(), ollama.show({ model })]);
    const tag = tags.models.find((m) => withTag(m.name) === withTag(model) || m.model === model);
    const details = withoutMachinePaths({ ...show.details }) as Record<string, unknown>;
    if (show.parameters) details.parameters = show.parameters;
    if (show.capabilities) details.capabilities = show.capabilities;
    return {
      side: 'local',
      model,
      ...(tag?.digest ? { digest: tag.digest } : {}),
      details,
      ...(tag ? {} : { lookupError: 'not listed by /api/tags' }),
    };
  } catch (err) {
    return { side: 'local', model, lookupError: messageOf(err) };
  }
}

/**
 * The models' provenance: `previous` entries are kept as they are (so a retried checkpoint writes the same bytes),
 * except those whose look-up failed, which are looked up again with the models not seen before.
 */
export async function modelProvenance(
  models: readonly ModelRef[],
  previous: readonly ModelProvenance[],
  deps: { ollama: OllamaClient; awsRegion?: string },
): Promise<ModelProvenance[]> {
  const key = (m: ModelRef) => `${m.side}\u0000${m.model}`;
  const known = new Map(previous.filter((p) => p.lookupError === undefined).map((p) => [key(p), p]));
  const wanted = new Map(models.map((m) => [key(m), m]));
  for (const p of previous) if (!wanted.has(key(p))) wanted.set(key(p), p);
  const result = await Promise.all(
    [...wanted.values()].map(
      async (m): Promise<ModelProvenance> =>
        known.get(key(m)) ??
        (m.side === 'local'
          ? localModel(deps.ollama, m.model)
          : { side: 'cloud', model: m.model, ...(deps.awsRegion ? { region: deps.awsRegion } : {}) }),
    ),
  );
  return result.sort((a, b) => key(a).localeCompare(key(b)));
}

/** The package's version and, in a git checkout, its commit: from the folder this module runs in upwards. */
export async function codeProvenance(): Promise<{ packageVersion: string; gitCommit?: string }> {
  let folder = __dirname;
  for (;;) {
    const pkg = await readFile(path.join(folder, 'package.json'), 'utf8').then(
      (text) => JSON.parse(text) as { name?: string; version?: string },
      () => undefined,
    );
    if (pkg?.name === PACKAGE_NAME) {
      const gitCommit = await run('git', ['rev-parse', 'HEAD'], { cwd: folder, timeout: 10_000 }).then(
        ({ stdout }) => stdout.trim() || undefined,
        () => undefined,
      );
      return { packageVersion: pkg.version ?? 'unknown', ...(gitCommit ? { gitCommit } : {}) };
    }
    const parent = path.dirname(folder);
    if (parent === folder) return { packageVersion: 'unknown' };
    folder = parent;
  }
}
