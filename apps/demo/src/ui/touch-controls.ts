/** The key a direction or the dash button stands for: the first player's keys (W A S D, Space). */
const KEYS = { up: 'KeyW', down: 'KeyS', left: 'KeyA', right: 'KeyD', dash: 'Space' } as const;

/** How far from the stick's centre (as a share of its radius) a direction counts. */
const DEAD_ZONE = 0.3;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  return node;
}

/**
 * On-screen controls for touch screens: a stick (drag from its centre to move, eight
 * directions) and a dash button, driven by pointer events. They press the keys of the first
 * player's keyboard layout (W A S D and Space) as `keydown`/`keyup` events on the window, so
 * whatever reads the keyboard (local mode's P1, the online player) gets the same input bits as
 * from a keyboard, without knowing about touch. CSS shows them on touch (coarse-pointer) or
 * narrow screens only.
 */
export class TouchControls {
  /** The element to put in the page. */
  readonly root: HTMLElement;
  private readonly stick: HTMLElement;
  private readonly knob: HTMLElement;
  private readonly held = new Set<string>();
  private stickPointer: number | undefined;
  private dashPointer: number | undefined;

  /**
   * @param caption - Shown on the stick, e.g. "P1" when it drives one of several players.
   * @param target - Where the key events go. @default window
   */
  constructor(
    caption = '',
    private readonly target: EventTarget = window,
  ) {
    this.root = el('div', 'touch-controls');
    this.root.setAttribute('aria-label', 'Touch controls');
    this.stick = el('div', 'touch-stick');
    this.stick.setAttribute('aria-label', 'Move');
    this.knob = el('div', 'touch-knob');
    this.stick.append(this.knob);
    if (caption !== '') {
      const label = el('span', 'touch-caption');
      label.textContent = caption;
      this.stick.append(label);
    }
    const dash = el('button', 'touch-dash');
    dash.type = 'button';
    dash.textContent = 'Dash';
    this.root.append(this.stick, dash);

    this.stick.addEventListener('pointerdown', (event) => {
      if (this.stickPointer !== undefined) return;
      this.stickPointer = event.pointerId;
      this.capture(this.stick, event);
      this.steer(event);
    });
    this.stick.addEventListener('pointermove', (event) => {
      if (event.pointerId === this.stickPointer) this.steer(event);
    });
    const releaseStick = (event: PointerEvent): void => {
      if (event.pointerId !== this.stickPointer) return;
      this.stickPointer = undefined;
      this.knob.style.transform = '';
      this.setDirection(0, 0);
    };
    this.stick.addEventListener('pointerup', releaseStick);
    this.stick.addEventListener('pointercancel', releaseStick);

    dash.addEventListener('pointerdown', (event) => {
      if (this.dashPointer !== undefined) return;
      this.dashPointer = event.pointerId;
      this.capture(dash, event);
      dash.classList.add('pressed');
      this.press(KEYS.dash, true);
    });
    const releaseDash = (event: PointerEvent): void => {
      if (event.pointerId !== this.dashPointer) return;
      this.dashPointer = undefined;
      dash.classList.remove('pressed');
      this.press(KEYS.dash, false);
    };
    dash.addEventListener('pointerup', releaseDash);
    dash.addEventListener('pointercancel', releaseDash);
    // A long press must not open a context menu or select text.
    this.root.addEventListener('contextmenu', (event) => event.preventDefault());
  }

  /** Releases every key it holds (e.g. before the page leaves). */
  releaseAll(): void {
    for (const code of [...this.held]) this.press(code, false);
    this.stickPointer = undefined;
    this.dashPointer = undefined;
  }

  private capture(element: HTMLElement, event: PointerEvent): void {
    event.preventDefault();
    // The keyboard ignores keys while a text field has the focus (the invite link, a name).
    const focus = document.activeElement;
    if (focus instanceof HTMLElement && focus !== element) focus.blur();
    try {
      element.setPointerCapture(event.pointerId);
    } catch {
      // A synthetic pointer (automation) cannot be captured; the events still arrive.
    }
  }

  /** Turns the pointer's offset from the stick's centre into a direction and moves the knob. */
  private steer(event: PointerEvent): void {
    const box = this.stick.getBoundingClientRect();
    const radius = Math.max(1, box.width / 2);
    let dx = (event.clientX - (box.left + box.width / 2)) / radius;
    let dy = (event.clientY - (box.top + box.height / 2)) / radius;
    const length = Math.hypot(dx, dy);
    if (length > 1) {
      dx /= length;
      dy /= length;
    }
    this.knob.style.transform = `translate(${dx * 50}%, ${dy * 50}%)`;
    this.setDirection(
      Math.abs(dx) > DEAD_ZONE ? Math.sign(dx) : 0,
      Math.abs(dy) > DEAD_ZONE ? Math.sign(dy) : 0,
    );
  }

  private setDirection(x: number, y: number): void {
    this.press(KEYS.left, x < 0);
    this.press(KEYS.right, x > 0);
    this.press(KEYS.up, y < 0);
    this.press(KEYS.down, y > 0);
  }

  /** Sends `keydown` or `keyup` for `code` when its state changes. */
  private press(code: string, down: boolean): void {
    if (down === this.held.has(code)) return;
    if (down) this.held.add(code);
    else this.held.delete(code);
    this.target.dispatchEvent(
      new KeyboardEvent(down ? 'keydown' : 'keyup', { code, bubbles: true, cancelable: true }),
    );
  }
}
