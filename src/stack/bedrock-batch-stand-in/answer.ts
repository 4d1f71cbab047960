/**
 * One record of a Converse batch job answered through the stack's model provider (the Lambda's: Ollama locally,
 * or Bedrock on demand): the record's `modelInput` is a Converse request body, its `modelOutput` a Converse
 * response body, and a failure becomes the record's `error` as Bedrock writes it.
 */
import { z } from 'zod';
import { isUpstreamError, messageOf } from '../../contracts/errors';
import { DEFAULT_CLOUD_MAX_TOKENS } from '../../contracts/limits';
import { chatRequestOf, type ConverseResponseBody } from '../../models/converse-request';
import type { ModelProvider } from '../../../lambda/providers/types';

const textBlock = z.object({ text: z.string() });
const converseBody = z.object({
  messages: z
    .array(z.object({ role: z.enum(['user', 'assistant']), content: z.array(textBlock).min(1) }))
    .min(1),
  system: z.array(textBlock).optional(),
  inferenceConfig: z
    .object({
      maxTokens: z.number().int().min(1).optional(),
      temperature: z.number().min(0).max(1).optional(),
      topP: z.number().min(0).max(1).optional(),
    })
    .optional(),
});

export type RecordAnswer =
  | { modelOutput: ConverseResponseBody; inputTokens: number; outputTokens: number }
  | { error: { errorCode: number; errorMessage: string } };

export async function answerRecord(
  provider: ModelProvider,
  modelInput: unknown,
  model: string | undefined,
  signal: AbortSignal,
): Promise<RecordAnswer> {
  const parsed = converseBody.safeParse(modelInput);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return {
      error: {
        errorCode: 400,
        errorMessage: `Malformed input request: ${['modelInput', ...issue.path].join('.')}: ${issue.message}`,
      },
    };
  }
  const { inferenceConfig, ...rest } = parsed.data;
  const request = chatRequestOf({
    ...rest,
    inferenceConfig: {
      ...inferenceConfig,
      maxTokens: inferenceConfig?.maxTokens ?? DEFAULT_CLOUD_MAX_TOKENS,
    },
  });
  const started = Date.now();
  try {
    const output = await provider.generate({ ...request, ...(model ? { model } : {}) }, { signal });
    return {
      modelOutput: {
        output: { message: { role: 'assistant', content: [{ text: output.text }] } },
        stopReason: output.stopReason,
        usage: {
          inputTokens: output.inputTokens,
          outputTokens: output.outputTokens,
          totalTokens: output.inputTokens + output.outputTokens,
        },
        metrics: { latencyMs: Date.now() - started },
      },
      inputTokens: output.inputTokens,
      outputTokens: output.outputTokens,
    };
  } catch (err) {
    return {
      error: {
        errorCode: isUpstreamError(err) ? err.statusCode : 500,
        errorMessage: messageOf(err),
      },
    };
  }
}
