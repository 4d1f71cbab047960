/** What the handler asks of a model, independent of the vendor behind it. */
export interface GenerateInput {
  messages: { role: 'user' | 'assistant'; content: string }[];
  system?: string;
  maxTokens: number;
  temperature?: number;
  topP?: number;
  /** Overrides the provider's configured model. */
  model?: string;
}

export interface GenerateOutput {
  text: string;
  model: string;
  /** Bedrock's vocabulary (`end_turn`, `max_tokens`, ...), whichever provider answered. */
  stopReason: string;
  inputTokens: number;
  outputTokens: number;
}

export interface GenerateOptions {
  /** Aborted when the invocation's deadline is near; providers that can stop waiting do, with a 504. */
  signal?: AbortSignal;
  /** Epoch ms by which the call must be done (when `signal` fires); providers cap their per-attempt timeouts to it. */
  deadline?: number;
  /** The request's id: a provider that can send it on to its model server does (Ollama: `X-Request-Id`). */
  requestId?: string;
}

/** A model backend. Failures are thrown as `UpstreamError` with the status and retryability the caller should see. */
export interface ModelProvider {
  readonly name: string;
  generate(input: GenerateInput, options?: GenerateOptions): Promise<GenerateOutput>;
}
