/** A button on a toast. */
export interface ToastAction {
  /** The button text, e.g. "Rejoin". */
  label: string;
  /** What it does. */
  run: () => void;
}

const TOAST_MS = 6000;
const MAX_TOASTS = 5;

/**
 * Short messages about the room ("Ada joined", "Bob left"), stacked in a corner, each gone
 * after a few seconds unless it carries an action (those stay until used or dismissed).
 */
export class Toasts {
  /** The stack element to put in the page. */
  readonly root: HTMLElement;

  constructor() {
    this.root = document.createElement('div');
    this.root.className = 'toasts';
    this.root.setAttribute('role', 'status');
    this.root.setAttribute('aria-live', 'polite');
  }

  /**
   * Shows a toast.
   * @param text - The message.
   * @param kind - Its tone: `info` (joined, back), `warn` (left, away), `error` (the room closed).
   * @param actions - Buttons; a toast with actions stays until one is used or it is dismissed.
   */
  show(text: string, kind: 'info' | 'warn' | 'error' = 'info', actions: ToastAction[] = []): void {
    const toast = document.createElement('div');
    toast.className = `toast toast-${kind}`;
    const message = document.createElement('span');
    message.textContent = text;
    toast.append(message);
    for (const action of actions) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = action.label;
      button.addEventListener('click', () => action.run());
      toast.append(button);
    }
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'toast-close';
    close.setAttribute('aria-label', 'Dismiss');
    close.textContent = '×';
    close.addEventListener('click', () => toast.remove());
    toast.append(close);
    this.root.append(toast);
    while (this.root.childElementCount > MAX_TOASTS) this.root.firstElementChild?.remove();
    if (actions.length === 0) setTimeout(() => toast.remove(), TOAST_MS);
  }

  /** @returns The texts of the toasts on screen, oldest first (for automation and tests). */
  texts(): string[] {
    return [...this.root.querySelectorAll('.toast > span')].map((s) => s.textContent ?? '');
  }
}
