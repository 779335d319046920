import qrcode from 'qrcode-generator';

/**
 * An invite row: the link in a read-only field that never overflows, a copy button and a QR
 * code of the link (for a phone across the table).
 * @param label - What the link is for, e.g. "Invite a player".
 * @param href - The link.
 * @param withQr - Whether to show a QR code of it.
 * @returns The element.
 */
export function inviteBox(label: string, href: string, withQr: boolean): HTMLElement {
  const wrap = document.createElement('div');
  wrap.className = 'links invite';
  const text = document.createElement('label');
  text.textContent = label;
  const row = document.createElement('div');
  row.className = 'invite-row';
  const input = document.createElement('input');
  input.type = 'text';
  input.readOnly = true;
  input.value = href;
  input.setAttribute('aria-label', label);
  input.addEventListener('focus', () => input.select());
  const copy = document.createElement('button');
  copy.type = 'button';
  copy.className = 'copy';
  copy.textContent = 'Copy';
  copy.addEventListener('click', () => {
    const done = (ok: boolean): void => {
      copy.textContent = ok ? 'Copied' : 'Select + copy';
      setTimeout(() => (copy.textContent = 'Copy'), 2000);
    };
    input.select();
    if (navigator.clipboard) {
      navigator.clipboard.writeText(href).then(
        () => done(true),
        () => done(false),
      );
    } else {
      done(false);
    }
  });
  row.append(input, copy);
  wrap.append(text, row);
  if (withQr) {
    // Behind a toggle so the panel stays one row high and the game keeps the screen.
    const qr = qrcode(0, 'M');
    qr.addData(href);
    qr.make();
    const img = document.createElement('img');
    img.className = 'qr';
    img.alt = `QR code of ${href}`;
    img.src = qr.createDataURL(4, 2);
    img.hidden = true;
    const toggle = document.createElement('button');
    toggle.type = 'button';
    toggle.className = 'qr-toggle';
    toggle.textContent = 'QR';
    toggle.setAttribute('aria-expanded', 'false');
    toggle.addEventListener('click', () => {
      img.hidden = !img.hidden;
      toggle.setAttribute('aria-expanded', String(!img.hidden));
      toggle.blur();
    });
    row.append(toggle);
    wrap.append(img);
  }
  return wrap;
}
