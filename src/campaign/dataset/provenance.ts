/**
 * Where a campaign's data came from: each model as the endpoint that served it describes it, and the code that ran
 * it. Each model is looked up once, at the first checkpoint that sees it answer, and kept in the manifest (a failed
 * look-up too, with its error): a campaign's checkpoints do not ask the model servers again.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { messageOf } from '../../contracts/errors';
import { DEFAULT_ENDPOINTS } from '../../contracts/limits';
import type { OllamaClient } from '../../models/ollama-client';
import type { ServedModel } from '../../models/openai-client';
import type { ModelProvenance } from '../../contracts/campaign';

const run = promisify(execFile);
const PACKAGE_NAME = 'llm-conversation-service';

export interface ModelRef {
  side: 'cloud' | 'local';
  /** The endpoint that served the model (the side's default endpoint's name when the item named none). */
  endpoint: string;
  model: string;
}

/**
 * How to ask an endpoint about its models, by its kind: Ollama's `/api/tags` and `/api/show`, an OpenAI-compatible
 * server's `GET /models`, or for Bedrock (the Lambda path) nothing beyond the model id and the region.
 */
export type ModelSource =
  | { kind: 'ollama'; client: Pick<OllamaClient, 'tags' | 'show'> }
  | { kind: 'openai'; models: () => Promise<ServedModel[]> }
  | { kind: 'bedrock'; region?: string };

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

/** A model of an Ollama endpoint: its digest from `/api/tags`, its details from `/api/show`. */
async function ollamaModel(
  client: Pick<OllamaClient, 'tags' | 'show'>,
  model: string,
): Promise<Omit<ModelProvenance, 'side' | 'model'>> {
  const [tags, show] = await Promise.all([client.tags(), client.show({ model })]);
  const tag = tags.models.find((m) => withTag(m.name) === withTag(model) || m.model === model);
  const details = withoutMachinePaths({ ...show.details }) as Record<string, unknown>;
  if (show.parameters) details.parameters = show.parameters;
  if (show.capabilities) details.capabilities = show.capabilities;
  return {
    ...(tag?.digest ? { digest: tag.digest } : {}),
    details,
    ...(tag ? {} : { lookupError: 'not listed by /api/tags' }),
  };
}

/** A model of an OpenAI-compatible endpoint: its entry in `GET /models` (owner, creation time, and so on). */
async function openAiModel(
  models: () => Promise<ServedModel[]>,
  model: string,
): Promise<Omit<ModelProvenance, 'side' | 'model'>> {
  const entry = (await models()).find((m) => m.id === model);
  if (!entry) return { lookupError: 'not listed by /v1/models' };
  const details = Object.fromEntries(Object.entries(entry).filter(([key]) => key !== 'id'));
  return { details: withoutMachinePaths(details) as Record<string, unknown> };
}

async function lookUp(ref: ModelRef, source: ModelSource | undefined): Promise<ModelProvenance> {
  const own = {
    side: ref.side,
    model: ref.model,
    ...(ref.endpoint === DEFAULT_ENDPOINTS[ref.side] ? {} : { endpoint: ref.endpoint }),
  };
  if (!source) return { ...own, lookupError: `no endpoint ${ref.endpoint} in this worker` };
  if (source.kind === 'bedrock') return { ...own, ...(source.region ? { region: source.region } : {}) };
  try {
    return {
      ...own,
      ...(source.kind === 'ollama'
        ? await ollamaModel(source.client, ref.model)
        : await openAiModel(source.models, ref.model)),
    };
  } catch (err) {
    return { ...own, lookupError: messageOf(err) };
  }
}

const keyOf = (m: { side: string; endpoint?: string; model: string }) =>
  `${m.side}\u0000${m.endpoint ?? DEFAULT_ENDPOINTS[m.side as 'cloud' | 'local']}\u0000${m.model}`;

/**
 * The models' provenance: `previous` entries are kept as they are (so a retried checkpoint writes the same bytes,
 * and a model is asked about once per campaign), and the models not seen before are looked up at the endpoint that
 * served them (`sources`, by endpoint name).
 */
export async function modelProvenance(
  models: readonly ModelRef[],
  previous: readonly ModelProvenance[],
  sources: ReadonlyMap<string, ModelSource>,
): Promise<ModelProvenance[]> {
  const known = new Map(previous.map((p) => [keyOf(p), p]));
  const added = models.filter((m) => !known.has(keyOf(m)));
  const fresh = new Map(added.map((m) => [keyOf(m), m]));
  const result = [
    ...previous,
    ...(await Promise.all([...fresh.values()].map((m) => lookUp(m, sources.get(m.endpoint))))),
  ];
  return result.sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
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
