import { RbnError } from '@rbn/protocol';
import type { RejoinMessage, TransportAdapter } from '@rbn/protocol';
import type { Reporter } from './internal/reporter';
import type { LinkTable } from './links';
import type { JoinAsk } from './room-entry';

/**
 * How many times a joiner asks a host whose link dropped before it answered, the first ask
 * included (a slow machine's link may time out in the middle of the join).
 */
export const JOIN_ATTEMPTS = 3;

type Asked = {
  readonly hostPeerId: string;
  /** A fresh session taking its slot back: that slot (see `Session.rejoinRoom`), else `null`. */
  readonly rejoinSlot: number | null;
  readonly startedAt: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
};

/**
 * Joiner: the one join in flight, from `joinRoom()` to its promise settling. `asking` until
 * the host answers; `awaitingStart` when the host admitted us into a running game and its
 * state is on the way.
 */
export class JoinAttempt {
  #state: { readonly kind: 'idle' } | (Asked & { readonly kind: 'asking' | 'awaitingStart' }) = {
    kind: 'idle',
  };
  /** The request of the attempt in flight and how to fail it, or `null`. */
  #ask: { readonly ask: JoinAsk; readonly fail: (error: Error) => void } | null = null;
  /** How many times the attempt in flight asked the host. */
  #attempts = 0;

  /**
   * @param transport - Connects to the host.
   * @param links - Sends the request.
   * @param report - Reports a request that could not be sent.
   */
  constructor(
    private readonly transport: TransportAdapter,
    private readonly links: LinkTable,
    private readonly report: Reporter,
  ) {}

  /** The host we asked and whose answer we wait for, or `null`. */
  get askingHost(): string | null {
    return this.#state.kind === 'asking' ? this.#state.hostPeerId : null;
  }

  /** The slot a fresh session takes back (see `Session.rejoinRoom`), or `null`. */
  get rejoinSlot(): number | null {
    return this.#state.kind === 'idle' ? null : this.#state.rejoinSlot;
  }

  /** Whether the host admitted us into a running game and its state is on the way. */
  get awaitingStart(): boolean {
    return this.#state.kind === 'awaitingStart';
  }

  /**
   * Connects to the host and asks to join.
   * @param ask - The request to send once connected, the host, and a fresh session's proof
   *   (sent right after the request).
   * @param now - The clock, for the join timeout.
   * @param fail - Ends the attempt when the connection fails.
   * @returns The promise `joinRoom()` returns.
   */
  begin(ask: JoinAsk, now: number, fail: (error: Error) => void): Promise<void> {
    const { hostPeerId, proof } = ask;
    return new Promise<void>((resolve, reject) => {
      const rejoinSlot = proof?.slot ?? null;
      this.#state = { kind: 'asking', hostPeerId, rejoinSlot, startedAt: now, resolve, reject };
      this.#ask = { ask, fail };
      this.#attempts = 1;
      this.#connectAndAsk();
    });
  }

  /**
   * The link to the host we ask dropped before it answered (a slow machine's link can time out
   * in the middle of the join): connect again and ask again, at most {@link JOIN_ATTEMPTS} asks
   * in all and within the join timeout. The host forgot us with the link, or answers the same
   * request again (see `Admissions.onJoinRequest`).
   * @returns Whether it asks again (else the join fails).
   */
  hostLinkLost(): boolean {
    if (this.#state.kind !== 'asking' || this.#ask === null) return false;
    return this.#askAgain();
  }

  /**
   * The link to the host dropped after it admitted us into a running game, with the start
   * state on the way: ask again as a fresh session of our player, with the rejoin token the
   * host gave us before the state (see `Reconnect.handOut`), within {@link JOIN_ATTEMPTS} asks
   * and the join timeout. The host, which keeps our slot for us, sends the room and the state
   * again.
   * @param proof - Our token, for our slot.
   * @returns Whether it asks again (else the join fails).
   */
  startLost(proof: RejoinMessage): boolean {
    const state = this.#state;
    const asked = this.#ask;
    if (state.kind !== 'awaitingStart' || asked === null) return false;
    if (this.#attempts >= JOIN_ATTEMPTS) return false;
    this.#state = { ...state, kind: 'asking', rejoinSlot: proof.slot };
    this.#ask = { ask: { ...asked.ask, proof }, fail: asked.fail };
    return this.#askAgain();
  }

  /** One more ask, unless {@link JOIN_ATTEMPTS} were made: connects and sends it next. */
  #askAgain(): boolean {
    if (this.#attempts >= JOIN_ATTEMPTS) return false;
    this.#attempts++;
    const attempt = this.#attempts;
    // After the transport's own disconnect handling, not inside it.
    void Promise.resolve().then(() => {
      if (this.#attempts === attempt) this.#connectAndAsk();
    });
    return true;
  }

  /** Connects to the host (again) and sends the request, unless the attempt ended or moved on. */
  #connectAndAsk(): void {
    const asked = this.#ask;
    if (asked === null) return;
    const { ask, fail } = asked;
    const { request, hostPeerId, proof } = ask;
    const attempt = this.#attempts;
    const current = (): boolean =>
      this.#ask === asked && this.#attempts === attempt && this.askingHost === hostPeerId;
    this.transport.connect(hostPeerId).then(
      () => {
        if (!current()) return;
        try {
          this.links.ensure(hostPeerId);
          this.links.sendTo(hostPeerId, request);
          // A fresh session taking its slot back proves it right after asking.
          if (proof) this.links.sendTo(hostPeerId, proof);
        } catch (error) {
          this.report.error('session', error instanceof Error ? error : new Error(String(error)));
        }
      },
      (error: unknown) => {
        if (!current()) return;
        const err = error instanceof Error ? error : new Error(String(error));
        const text = `joinRoom: cannot connect to host '${hostPeerId}': ${err.message}`;
        fail(new RbnError('CONNECT_FAILED', text, { cause: err }));
      },
    );
  }

  /** Whether the attempt ran longer than `timeoutMs`. */
  timedOut(now: number, timeoutMs: number): boolean {
    return this.#state.kind !== 'idle' && now - this.#state.startedAt > timeoutMs;
  }

  /** The error to fail the attempt with when it ran longer than `timeoutMs`, else `null`. */
  timeoutError(now: number, timeoutMs: number): RbnError | null {
    if (!this.timedOut(now, timeoutMs)) return null;
    const text = `joinRoom: no answer from the host within ${timeoutMs} ms`;
    return new RbnError('JOIN_TIMEOUT', text);
  }

  /** The host admitted us into a running game: the join completes with its state. */
  waitForStart(): void {
    if (this.#state.kind === 'asking') this.#state = { ...this.#state, kind: 'awaitingStart' };
  }

  /** The join succeeded: resolves `joinRoom()`'s promise. */
  succeed(): void {
    const state = this.#state;
    this.#state = { kind: 'idle' };
    this.#ask = null;
    if (state.kind !== 'idle') state.resolve();
  }

  /**
   * Ends the attempt.
   * @returns The host and the rejecter of `joinRoom()`'s promise, or `null` when none runs.
   */
  take(): { hostPeerId: string; reject: (error: Error) => void } | null {
    const state = this.#state;
    this.#state = { kind: 'idle' };
    this.#ask = null;
    return state.kind === 'idle' ? null : state;
  }
}
