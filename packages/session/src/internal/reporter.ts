import { RbnError } from '@rbn/protocol';
import type { MessageType } from '@rbn/protocol';
import type { ErrorContext, ErrorSource } from '../types';
import type { Emitter } from './emitter';

/** Turns what went wrong into `error` events (the session's one way of reporting). */
export class Reporter {
  /** @param emitter - The session's emitter. */
  constructor(private readonly emitter: Emitter) {}

  /** Reports an error with its source and context. */
  error(
    source: ErrorSource,
    error: Error,
    peerId?: string,
    messageType?: MessageType,
    recoverable = true,
  ): void {
    const context: ErrorContext = { source, recoverable };
    if (peerId !== undefined) context.peerId = peerId;
    if (messageType !== undefined) context.messageType = messageType;
    this.emitter.emit('error', error, context);
  }

  /** Reports a peer's message that broke the rules (it was ignored). */
  peer(peerId: string, messageType: MessageType | undefined, text: string): void {
    const error = new RbnError('PEER_VIOLATION', `peer '${peerId}': ${text}; ignored`);
    this.error('peer', error, peerId, messageType);
  }

  /** Reports a session-level problem with an `RbnError` code. */
  session(code: string, text: string, peerId?: string, messageType?: MessageType): void {
    this.error('session', new RbnError(code, text), peerId, messageType);
  }
}
