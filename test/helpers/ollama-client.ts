import type { OllamaClient } from '../../src/models/ollama-client';

/** What `/api/show` gives for a chat model: Gemma's turn markers around the messages. */
export const CHAT_TEMPLATE =
  '{{- range .Messages }}<start_of_turn>{{ .Role }}\n{{ .Content }}<end_of_turn>\n{{ end }}<start_of_turn>model\n';
/** What `/api/show` gives for a model imported without TEMPLATE, such as the base gemma3:270m. */
export const BASE_TEMPLATE = '{{ .Prompt }}';

/** Fakes for the client's calls; they may answer with just the fields a test needs. */
type Calls = { [K in keyof OllamaClient]?: (request: Parameters<OllamaClient[K]>[0]) => Promise<unknown> };

/** An Ollama client whose model has `template` (a chat model by default); a call not given fails the test. */
export function ollamaClient({
  template = CHAT_TEMPLATE,
  ...calls
}: Calls & { template?: string }): OllamaClient {
  const unexpected = (name: string) => () => Promise.reject(new Error(`unexpected ${name} call`));
  return {
    show: async () => ({ template }),
    chat: unexpected('chat'),
    generate: unexpected('generate'),
    ...calls,
  } as OllamaClient;
}
