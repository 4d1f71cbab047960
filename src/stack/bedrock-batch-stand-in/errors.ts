/**
 * The Bedrock control plane's errors as its REST-JSON protocol sends them: the HTTP status of the error shape in
 * the service model, the error's name in `x-amzn-ErrorType`, and `{"message": …}` as the body. The SDK builds its
 * typed exception (`ValidationException`, …) from the header.
 */

export type BedrockErrorName =
  | 'ValidationException'
  | 'ResourceNotFoundException'
  | 'ConflictException'
  | 'ThrottlingException'
  | 'ServiceQuotaExceededException'
  | 'AccessDeniedException'
  | 'InternalServerException'
  | 'SerializationException'
  | 'MissingAuthenticationTokenException'
  | 'UnknownOperationException';

/** Statuses from the `bedrock` service model's error shapes (and the protocol's own errors for the last three). */
export const BEDROCK_ERROR_STATUS: Record<BedrockErrorName, number> = {
  ValidationException: 400,
  ResourceNotFoundException: 404,
  ConflictException: 400,
  ThrottlingException: 429,
  ServiceQuotaExceededException: 400,
  AccessDeniedException: 403,
  InternalServerException: 500,
  SerializationException: 400,
  MissingAuthenticationTokenException: 403,
  UnknownOperationException: 404,
};

export class BedrockServiceError extends Error {
  override readonly name = 'BedrockServiceError';
  readonly statusCode: number;
  constructor(
    readonly errorType: BedrockErrorName,
    message: string,
  ) {
    super(message);
    this.statusCode = BEDROCK_ERROR_STATUS[errorType];
  }

  toJSON(): { message: string } {
    return { message: this.message };
  }
}

export function isBedrockServiceError(err: unknown): err is BedrockServiceError {
  return err instanceof BedrockServiceError;
}
