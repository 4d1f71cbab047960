import { llm } from '../src/generated/llm';
import { HttpError, ValidationError } from '../src/contracts/errors';
import { CLOUD_TEMPERATURE, MAX_MODEL_ID_CHARS, MAX_OUTPUT_TOKENS } from '../src/contracts/limits';
import type { LambdaConfig } from '../src/models/lambda-config';
import type { GenerateInput } from './providers/types';

/** The parts of a REST (v1) or HTTP API (v2) proxy event the handler reads; both shapes have them. */
export interface ProxyEventBody {
  body?: unknown;
  isBase64Encoded?: boolean;
  /** REST APIs keep the client's header-name case, HTTP APIs lower-case them. */
  headers?: Record<string, string | undefined> | null;
}

export interface ParsedRequest {
  requestId: string;
  input: GenerateInput;
}

const PROTOBUF = 'application/x-protobuf';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const ROLES: Partial<Record<llm.v1.Role, 'user' | 'assistant'>> = {
  [llm.v1.Role.ROLE_USER]: 'user',
  [llm.v1.Role.ROLE_ASSISTANT]: 'assistant',
};

/**
 * The body's bytes, which API Gateway delivers base64-encoded (`isBase64Encoded: true`) for a binary media type.
 *
 * A text body (`isBase64Encoded: false`) is refused with a 415 rather than decoded. A protobuf body is binary: it
 * arrives as text only when the API does not list `application/x-protobuf` as a binary media type (or the client
 * sent another Content-Type), and then API Gateway has already read the bytes as UTF-8 text, mangling every
 * sequence that is not valid UTF-8, so the original bytes are gone. Encoding the string back (as UTF-8 or latin1)
 * restores only requests whose bytes happen to be valid UTF-8, and any field of 128 bytes or more has a two-byte
 * length varint (a byte ≥ 0x80, then one < 0x80), which never is: requests would work or fail by their length.
 * A 415 that names the fix fails them all the same way.
 */
export function bodyBytes(event: ProxyEventBody | null | undefined): Uint8Array {
  if (!event) throw new ValidationError('The proxy event is empty');
  const contentType = header(event.headers, 'content-type');
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType && mediaType !== PROTOBUF) {
    throw new HttpError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `Content-Type must be ${PROTOBUF} (an encoded llm.v1.GenerateRequest), not ${contentType}`,
    );
  }
  const body = event.body ?? '';
  if (typeof body !== 'string') throw new ValidationError('Request body must be a string in the proxy event');
  if (body.length === 0)
    throw new ValidationError('Request body is empty; expected a protobuf llm.v1.GenerateRequest');
  if (!event.isBase64Encoded) {
    throw new HttpError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `The request body arrived as text (isBase64Encoded false), so its protobuf bytes may be corrupted: send ` +
        `Content-Type ${PROTOBUF} and configure the API Gateway binary media type ${PROTOBUF}, which delivers ` +
        `the body base64-encoded`,
    );
  }
  // Buffer.from(…, 'base64') silently skips bad characters, so check the alphabet and padding first.
  if (!BASE64.test(body))
    throw new ValidationError('Request body is flagged isBase64Encoded but is not valid base64');
  return Buffer.from(body, 'base64');
}

/** protobufjs also refuses strings that are not valid UTF-8, as proto3 requires. */
export function decodeRequest(bytes: Uint8Array): llm.v1.GenerateRequest {
  try {
    return llm.v1.GenerateRequest.decode(bytes);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ValidationError(`Request body is not a valid protobuf llm.v1.GenerateRequest: ${reason}`);
  }
}

/** A header of the proxy event by name, whatever its case (REST events keep the client's, HTTP APIs lower-case). */
export function header(headers: ProxyEventBody['headers'], name: string): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** Checks what protobuf cannot express (non-empty, known roles, sane ranges, size) and applies defaults. */
export function toGenerateInput(request: llm.v1.GenerateRequest, config: LambdaConfig): GenerateInput {
  if (request.messages.length === 0) throw new ValidationError('messages: at least one message is required');
  const messages = request.messages.map((m, i) => {
    const role = ROLES[m.role ?? llm.v1.Role.ROLE_UNSPECIFIED];
    if (!role) throw new ValidationError(`messages[${i}].role: must be ROLE_USER or ROLE_ASSISTANT`);
    const content = m.content ?? '';
    if (content.trim().length === 0) throw new ValidationError(`messages[${i}].content: must not be empty`);
    return { role, content };
  });
  const inputChars = messages.reduce((sum, m) => sum + m.content.length, request.system.length);
  if (inputChars > config.MAX_INPUT_CHARS) {
    throw new ValidationError(`input is ${inputChars} characters; the limit is ${config.MAX_INPUT_CHARS}`);
  }
  const temperature = optional(request.temperature);
  if (
    temperature !== undefined &&
    !(temperature >= CLOUD_TEMPERATURE.min && temperature <= CLOUD_TEMPERATURE.max)
  ) {
    throw new ValidationError(
      `temperature: must be between ${CLOUD_TEMPERATURE.min} and ${CLOUD_TEMPERATURE.max} (Bedrock Converse's range)`,
    );
  }
  if (request.maxTokens > MAX_OUTPUT_TOKENS) {
    throw new ValidationError(`max_tokens: must be at most ${MAX_OUTPUT_TOKENS}`);
  }
  if (request.model.length > MAX_MODEL_ID_CHARS) {
    throw new ValidationError(`model: must be at most ${MAX_MODEL_ID_CHARS} characters`);
  }
  const topP = optional(request.topP);
  if (topP !== undefined && !(topP > 0 && topP <= 1)) throw new ValidationError('top_p: must be in (0, 1]');
  return {
    messages,
    maxTokens: request.maxTokens || config.DEFAULT_MAX_TOKENS,
    ...(request.system ? { system: request.system } : {}),
    ...(temperature === undefined ? {} : { temperature }),
    ...(topP === undefined ? {} : { topP }),
    ...(request.model ? { model: request.model } : {}),
  };
}

function optional(value: number | null | undefined): number | undefined {
  return value === null || value === undefined ? undefined : value;
}
