import { llm } from '../../src/generated/llm';

const { GenerateRequest, GenerateResponse, ErrorResponse, Role } = llm.v1;

describe('llm.v1 protobuf messages', () => {
  it('round-trips a GenerateRequest with unicode content and every field set', () => {
    const request = {
      requestId: 'req-1',
      messages: [
        { role: Role.ROLE_USER, content: 'Grüß dich — 你好, 👋 ¿qué tal?' },
        { role: Role.ROLE_ASSISTANT, content: 'Ça va 🙂' },
      ],
      system: 'Réponds brièvement.',
      maxTokens: 256,
      temperature: 0.25,
      topP: 0.9,
      model: 'anthropic.claude-3-haiku-20240307-v1:0',
    };
    const decoded = GenerateRequest.decode(GenerateRequest.encode(request).finish());
    expect(GenerateRequest.toObject(decoded)).toEqual(request);
  });

  it('tells an absent temperature from an explicit 0', () => {
    const absent = GenerateRequest.decode(GenerateRequest.encode({ messages: [] }).finish());
    const zero = GenerateRequest.decode(GenerateRequest.encode({ temperature: 0, topP: 0 }).finish());
    expect(absent.temperature ?? undefined).toBeUndefined();
    expect(absent.topP ?? undefined).toBeUndefined();
    expect(zero.temperature).toBe(0);
    expect(zero.topP).toBe(0);
  });

  it('round-trips a GenerateResponse with usage', () => {
    const response = {
      requestId: 'req-2',
      text: 'Machine learning ist… 機械学習 🤖',
      model: 'gemma3:270m',
      stopReason: 'max_tokens',
      usage: { inputTokens: 12, outputTokens: 150 },
      latencyMs: 4321,
    };
    const decoded = GenerateResponse.decode(GenerateResponse.encode(response).finish());
    expect(GenerateResponse.toObject(decoded)).toEqual(response);
  });

  it('round-trips an ErrorResponse, keeping retryable false and true apart, with the wait asked for', () => {
    for (const [retryable, retryAfterMs] of [
      [true, 3_000],
      [false, 0],
    ] as const) {
      const error = {
        code: 'THROTTLED',
        message: 'Slow down ⏳',
        retryable,
        requestId: 'req-3',
        retryAfterMs,
      };
      const decoded = ErrorResponse.decode(ErrorResponse.encode(error).finish());
      expect({ ...ErrorResponse.toObject(decoded, { defaults: true }) }).toEqual(error);
    }
  });

  it('encodes defaults as nothing, as proto3 requires', () => {
    expect(GenerateRequest.encode({ requestId: '', maxTokens: 0, messages: [] }).finish()).toHaveLength(0);
  });

  it('rejects truncated bytes', () => {
    const bytes = GenerateRequest.encode({
      messages: [{ role: Role.ROLE_USER, content: 'hello world' }],
    }).finish();
    expect(() => GenerateRequest.decode(bytes.subarray(0, bytes.length - 3))).toThrow();
  });
});
