import { RbnError } from '@rbn/protocol';
import type { MessageType } from '@rbn/protocol';
import type { ErrorContext, ErrorSource } from '../types';
import type { Emitter } from './emitter';

/** Turns what went wrong into `error` events (the session's one way of reporting). */
export class Reporter {
  readonly #lastAt = new Map<string, number>();

  /** @param emitter - The session's emitter. */
  constructor(private readonly emitter: Emitter) {}

  /**
   * Reports a peer violation at most once per second per peer and message type (a peer that
   * breaks a rule on every message yields one event a second, not thousands).
   */
  peerThrottled(peerId: string, messageType: MessageType, text: string, now: number): void {
    const key = `${messageType}:${peerId}`;
    const last = this.#lastAt.get(key);
    if (last !== undefined && now - last < 1000) return;
    if (this.#lastAt.size >= 1024) this.#lastAt.clear(); // bounded whatever the peer ids
    this.#lastAt.set(key, now);
    this.peer(peerId, messageType, text);
  }

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
