/**
 * The one error base class of rbn. Every error the libraries throw for a programmer mistake is an
 * `RbnError` with a stable `code`, so callers can branch on `error.code` rather than on text.
 */
export class RbnError extends Error {
  /** A stable, machine-readable error code such as `'INVALID_CONFIG'`. */
  readonly code: string;

  /**
   * @param code - A stable, machine-readable error code.
   * @param message - A sentence that names the problem.
   * @param options - Standard error options (`cause`).
   */
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RbnError';
    this.code = code;
  }
}

/**
 * Thrown by {@link decodeMessage} (and only by it) when bytes are not a valid message or break
 * a limit. It says which message type was being read, at which byte offset, and why.
 */
export class DecodeError extends RbnError {
  /** The message type byte being decoded, or `undefined` when the input was empty. */
  readonly messageType: number | undefined;
  /** The byte offset at which decoding failed. */
  readonly offset: number;
  /** Why the bytes were rejected, for example `'input larger than maxInputBytes (64)'`. */
  readonly reason: string;

  /**
   * @param messageType - The type byte of the message being decoded, if known.
   * @param offset - Byte offset where decoding failed.
   * @param reason - Why the bytes were rejected.
   */
  constructor(messageType: number | undefined, offset: number, reason: string) {
    const typeText =
      messageType === undefined
        ? 'empty message'
        : `message type 0x${messageType.toString(16).padStart(2, '0')}`;
    super('DECODE_ERROR', `cannot decode ${typeText} at byte ${offset}: ${reason}`);
    this.name = 'DecodeError';
    this.messageType = messageType;
    this.offset = offset;
    this.reason = reason;
  }
}
