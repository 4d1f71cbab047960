/**
 * A model server's finish reason in Bedrock's vocabulary, so callers see one set of stop reasons whichever provider
 * answered. Ollama's `done_reason` and the OpenAI API's `finish_reason` use the same words.
 */
const STOP_REASONS: Record<string, string> = { stop: 'end_turn', length: 'max_tokens' };

export function bedrockStopReason(reason: string | undefined): string {
  return (reason && STOP_REASONS[reason]) || reason || 'end_turn';
}
