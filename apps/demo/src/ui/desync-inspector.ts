import type { DesyncReport, Session } from '@rbn/session';

/** Most reports the panel lists (newest first). */
const MAX_REPORTS = 4;
/** Most differing paths listed per report. */
const MAX_PATHS = 12;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * The desync inspector: a floating panel that opens when a desync is induced and shows each
 * peer's `desyncReport` (the tick, the differing paths of the arena's `describe` view, the
 * differing byte ranges) with a link to download the incident file (replay it with
 * `bisectIncident` from `@rbn/session`). One panel per page; styled inline so it stands apart
 * from the page's layout.
 */
export class DesyncInspector {
  static #shared: DesyncInspector | undefined;
  readonly root: HTMLElement;
  private readonly status: HTMLElement;
  private readonly list: HTMLElement;
  private readonly urls: string[] = [];

  /** The page's inspector (created on first use, appended to `document.body`). */
  static shared(): DesyncInspector {
    DesyncInspector.#shared ??= new DesyncInspector();
    return DesyncInspector.#shared;
  }

  private constructor() {
    const root = el('section', 'desync-inspector');
    root.setAttribute('role', 'dialog');
    root.setAttribute('aria-label', 'Desync inspector');
    Object.assign(root.style, {
      position: 'fixed',
      right: '12px',
      bottom: '12px',
      width: 'min(440px, calc(100vw - 24px))',
      maxHeight: '60vh',
      overflow: 'auto',
      padding: '10px 12px',
      background: '#14161c',
      color: '#e8e8e8',
      border: '1px solid #e05260',
      borderRadius: '8px',
      font: '12px/1.4 ui-monospace, monospace',
      zIndex: '1000',
    });
    root.hidden = true;
    const head = el('div');
    Object.assign(head.style, { display: 'flex', justifyContent: 'space-between', gap: '8px' });
    const title = el('strong', undefined, 'Desync inspector');
    const close = el('button', undefined, 'Close');
    close.type = 'button';
    close.addEventListener('click', () => (root.hidden = true));
    head.append(title, close);
    this.status = el('p', 'desync-inspector-status');
    this.list = el('div', 'desync-inspector-reports');
    root.append(head, this.status, this.list);
    document.body.append(root);
    this.root = root;
  }

  /** Shows `desyncReport`s of a peer's session in the panel. */
  watch(session: Session, label: string): void {
    session.on('desyncReport', (report) => this.show(label, report));
  }

  /** A desync was induced on `label`: opens the panel until the reports arrive. */
  waiting(label: string): void {
    this.status.textContent = `Desync induced on ${label}: waiting for the peers to find it and exchange their states…`;
    this.root.hidden = false;
  }

  /** Adds a peer's report to the panel (newest first) and opens it. */
  show(label: string, report: DesyncReport): void {
    this.status.textContent = `${label} found a desync at tick ${report.tick}.`;
    this.list.prepend(this.entry(label, report));
    while (this.list.children.length > MAX_REPORTS) {
      this.list.lastElementChild?.remove();
      const url = this.urls.shift();
      if (url) URL.revokeObjectURL(url);
    }
    this.root.hidden = false;
  }

  private entry(label: string, report: DesyncReport): HTMLElement {
    const box = el('article', 'desync-report');
    box.style.borderTop = '1px solid #333';
    box.append(el('p', undefined, `${label} vs ${report.peerId}, tick ${report.tick}:`));
    const paths = report.diff.paths;
    const list = el('ul', 'desync-paths');
    list.style.margin = '4px 0';
    if (paths === null) list.append(el('li', undefined, '(the game has no describe())'));
    else for (const p of paths.slice(0, MAX_PATHS)) list.append(el('li', 'desync-path', p.text));
    if (paths && paths.length > MAX_PATHS) {
      list.append(el('li', undefined, `… ${paths.length - MAX_PATHS} more`));
    }
    const ranges = report.diff.byteRanges.map((r) => `${r.start}–${r.end - 1}`).join(', ');
    const bytes = `bytes differ at ${ranges || 'nowhere'} (of ${report.localState.length} / ${report.remoteState.length})`;
    const url = URL.createObjectURL(
      new Blob([report.incident as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }),
    );
    this.urls.push(url);
    const link = el('a', 'desync-incident', 'Download incident file');
    link.href = url;
    link.download = `rbn-incident-${label}-tick-${report.tick}.rbni`;
    link.style.color = '#7fb8ff';
    box.append(list, el('p', undefined, bytes), link);
    return box;
  }
}
