/** What the resume countdown asks for on a frame. */
export type CountdownStep =
  | { readonly kind: 'wait' }
  | { readonly kind: 'announce'; readonly seconds: number }
  | { readonly kind: 'resume' };

const WAIT: CountdownStep = { kind: 'wait' };

/**
 * The host's resume countdown: started by `resume()`, advanced by `tick()`, announcing each
 * whole second left and then resuming.
 */
export class ResumeCountdown {
  #endsAt = 0;
  #announced = 0;
  #running = false;

  /** Whether a countdown runs. */
  get running(): boolean {
    return this.#running;
  }

  /** Starts a countdown of `seconds` (> 0). */
  start(now: number, seconds: number): void {
    this.#endsAt = now + seconds * 1000;
    this.#announced = seconds;
    this.#running = true;
  }

  /** Stops the countdown (the room ended). */
  cancel(): void {
    this.#running = false;
  }

  /** What the countdown asks for now. */
  advance(now: number): CountdownStep {
    if (!this.#running) return WAIT;
    const left = Math.ceil((this.#endsAt - now) / 1000);
    if (left <= 0) {
      this.#running = false;
      return { kind: 'resume' };
    }
    if (left < this.#announced) {
      this.#announced = left;
      return { kind: 'announce', seconds: left };
    }
    return WAIT;
  }
}
