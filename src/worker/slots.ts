/**
 * The Ollama at OLLAMA_HOST serves OLLAMA_NUM_PARALLEL calls at once (the stack starts its own so). The worker's
 * caps on the calls that reach it should fill those slots without piling calls up behind them: fewer leave slots
 * idle, many more only wait in Ollama's queue, where their time runs.
 */
import type { LambdaConfig } from '../models/lambda-config';
import type { Config } from '../shared/config';

/** Past this many calls per slot, the caps let calls queue inside Ollama instead of in Temporal. */
const MAX_CALLS_PER_SLOT = 2;

type SlotsConfig = Pick<
  Config,
  'OLLAMA_HOST' | 'OLLAMA_NUM_PARALLEL' | 'LOCAL_MAX_CONCURRENT_CALLS' | 'CLOUD_MAX_CONCURRENT_CALLS'
>;

/**
 * The one warning a worker logs at start when its caps cannot fill Ollama's slots or far exceed them; undefined
 * when they fit. The cloud side's calls count too when this process's Lambda variables say the Lambda answers from
 * the same Ollama (the local stack, where the gateway runs the handler with the same environment).
 */
export function slotsWarning(
  config: SlotsConfig,
  lambda: Pick<LambdaConfig, 'MODEL_PROVIDER' | 'OLLAMA_HOST'>,
): string | undefined {
  const slots = config.OLLAMA_NUM_PARALLEL;
  const shared = lambda.MODEL_PROVIDER === 'ollama' && sameServer(lambda.OLLAMA_HOST, config.OLLAMA_HOST);
  const counted: ('LOCAL_MAX_CONCURRENT_CALLS' | 'CLOUD_MAX_CONCURRENT_CALLS')[] = [
    'LOCAL_MAX_CONCURRENT_CALLS',
    ...(shared ? (['CLOUD_MAX_CONCURRENT_CALLS'] as const) : []),
  ];
  const caps = counted.map((name) => ({ name, limit: config[name] }));
  const allowed = caps.some((c) => c.limit === 0) ? Infinity : caps.reduce((sum, c) => sum + c.limit, 0);
  const who = `${caps.map((c) => `${c.name}=${c.limit}`).join(' + ')}${shared ? ' (both sides call this Ollama: the Lambda runs its Ollama provider on it)' : ''}`;
  if (allowed < slots) {
    return `The caps on Ollama calls, ${who}, keep at most ${allowed} of its ${slots} slots (OLLAMA_NUM_PARALLEL) busy: raise them to fill the slots`;
  }
  if (allowed > MAX_CALLS_PER_SLOT * slots) {
    const many = allowed === Infinity ? 'any number of' : String(allowed);
    return `The caps on Ollama calls, ${who}, let ${many} calls reach its ${slots} slots (OLLAMA_NUM_PARALLEL): the rest wait in Ollama's queue, where their time runs; lower them towards the slots`;
  }
  return undefined;
}

function sameServer(a: string, b: string): boolean {
  const key = (u: string) => {
    const url = new URL(u);
    const host = url.hostname === 'localhost' ? '127.0.0.1' : url.hostname;
    return `${host}:${url.port}`;
  };
  return key(a) === key(b);
}
