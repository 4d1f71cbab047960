/** The worker's start-up warning about its caps against the slots of the Ollama its calls reach. */
import { slotsWarning } from '../../src/worker/slots';
import { loadConfig } from '../../src/shared/config';
import { loadLambdaConfig } from '../../src/models/lambda-config';

const warningFor = (env: Record<string, string>) => slotsWarning(loadConfig(env), loadLambdaConfig(env));

test("the defaults fit the local stack's Ollama: both sides on it, each capped at its slots", () => {
  expect(warningFor({})).toBeUndefined();
  expect(
    warningFor({
      OLLAMA_NUM_PARALLEL: '4',
      LOCAL_MAX_CONCURRENT_CALLS: '4',
      CLOUD_MAX_CONCURRENT_CALLS: '4',
    }),
  ).toBeUndefined();
});

test('caps that cannot fill the slots', () => {
  expect(warningFor({ MODEL_PROVIDER: 'bedrock', LOCAL_MAX_CONCURRENT_CALLS: '2' })).toBe(
    'The caps on Ollama calls, LOCAL_MAX_CONCURRENT_CALLS=2, keep at most 2 of its 8 slots (OLLAMA_NUM_PARALLEL) busy: raise them to fill the slots',
  );
});

test('caps far above the slots, or none', () => {
  expect(warningFor({ CLOUD_MAX_CONCURRENT_CALLS: '50' })).toMatch(
    /^The caps on Ollama calls, LOCAL_MAX_CONCURRENT_CALLS=8 \+ CLOUD_MAX_CONCURRENT_CALLS=50 \(both sides call this Ollama: the Lambda runs its Ollama provider on it\), let 58 calls reach its 8 slots/,
  );
  expect(warningFor({ LOCAL_MAX_CONCURRENT_CALLS: '0' })).toMatch(
    /let any number of calls reach its 8 slots/,
  );
});

test("the cloud side counts only when the Lambda's provider is the same Ollama", () => {
  expect(warningFor({ MODEL_PROVIDER: 'bedrock', CLOUD_MAX_CONCURRENT_CALLS: '500' })).toBeUndefined();
  expect(
    warningFor({ OLLAMA_HOST: 'http://127.0.0.1:11434', CLOUD_MAX_CONCURRENT_CALLS: '500' }),
  ).toBeDefined();
  expect(
    slotsWarning(loadConfig({ CLOUD_MAX_CONCURRENT_CALLS: '500' }), {
      MODEL_PROVIDER: 'ollama',
      OLLAMA_HOST: 'http://other-host:11434',
    }),
  ).toBeUndefined();
});
