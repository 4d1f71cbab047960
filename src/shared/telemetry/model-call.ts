/**
 * Spans for model calls with the OpenTelemetry GenAI semantic conventions, and the conversation's identity carried
 * as W3C baggage from the worker to every hop behind it (REST service, gateway, Lambda). Each function runs its
 * callback untouched, loading nothing, unless a tracer provider is registered (see tracingActive).
 */
import type { Attributes, Span } from '@opentelemetry/api';
import { tracingActive } from './active';

export type Side = 'cloud' | 'local';

/** Who is talking: set by the worker's activities, read back from baggage wherever a model is called. */
export interface ConversationIdentity {
  conversationId: string;
  turn?: number;
  side: Side;
  campaignId?: string;
}

/** Span attributes (and baggage keys) for the conversation's identity. */
export const CONVERSATION_ATTRIBUTES = {
  conversationId: 'gen_ai.conversation.id',
  turn: 'conversation.turn',
  side: 'conversation.side',
  campaignId: 'campaign.id',
} as const;

export interface ModelCallRequest {
  /** `gen_ai.provider.name`, e.g. `aws.bedrock` or `ollama`. */
  provider: string;
  model: string;
  maxTokens?: number;
  temperature?: number;
}

export interface ModelCallResult {
  model: string;
  finishReason: string;
  inputTokens: number;
  outputTokens: number;
}

const TRACER = 'llm-conversation-service';

/** Runs `fn` with the conversation's identity in the context's baggage, so outgoing HTTP calls carry it. */
export async function withConversationBaggage<T>(
  identity: ConversationIdentity,
  fn: () => Promise<T>,
): Promise<T> {
  if (!tracingActive()) return fn();
  const { context, propagation } = await import('@opentelemetry/api');
  const entries: Record<string, { value: string }> = {};
  for (const [field, key] of Object.entries(CONVERSATION_ATTRIBUTES)) {
    const value = identity[field as keyof ConversationIdentity];
    if (value !== undefined) entries[key] = { value: String(value) };
  }
  const current = propagation.getBaggage(context.active()) ?? propagation.createBaggage();
  const baggage = Object.entries(entries).reduce((b, [key, entry]) => b.setEntry(key, entry), current);
  return context.with(propagation.setBaggage(context.active(), baggage), fn);
}

/**
 * A `chat <model>` client span around one model call, with the GenAI request, response and usage attributes and the
 * conversation's identity from the baggage. A failure is recorded on the span and rethrown.
 */
export async function traceModelCall<T>(
  request: ModelCallRequest,
  call: () => Promise<T>,
  resultOf: (value: T) => ModelCallResult,
): Promise<T> {
  if (!tracingActive()) return call();
  const api = await import('@opentelemetry/api');
  const attributes: Attributes = {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': request.provider,
    'gen_ai.system': request.provider,
    'gen_ai.request.model': request.model,
    ...(request.maxTokens === undefined ? {} : { 'gen_ai.request.max_tokens': request.maxTokens }),
    ...(request.temperature === undefined ? {} : { 'gen_ai.request.temperature': request.temperature }),
  };
  const baggage = api.propagation.getBaggage(api.context.active());
  for (const key of Object.values(CONVERSATION_ATTRIBUTES)) {
    const value = baggage?.getEntry(key)?.value;
    if (value !== undefined) attributes[key] = key === CONVERSATION_ATTRIBUTES.turn ? Number(value) : value;
  }
  const tracer = api.trace.getTracer(TRACER);
  return tracer.startActiveSpan(
    `chat ${request.model}`,
    { kind: api.SpanKind.CLIENT, attributes },
    async (span: Span) => {
      try {
        const value = await call();
        const result = resultOf(value);
        span.setAttributes({
          'gen_ai.response.model': result.model,
          'gen_ai.response.finish_reasons': [result.finishReason],
          'gen_ai.usage.input_tokens': result.inputTokens,
          'gen_ai.usage.output_tokens': result.outputTokens,
        });
        return value;
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        span.setAttribute('error.type', typeof code === 'string' ? code : ((err as Error)?.name ?? 'Error'));
        span.recordException(err instanceof Error ? err : String(err));
        span.setStatus({ code: api.SpanStatusCode.ERROR, message: (err as Error)?.message });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}
