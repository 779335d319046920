import './style.css';
import { startLocalMode } from './local-mode';
import { startOnlineMode } from './online-mode';
import { TouchControls } from './ui/touch-controls';

const errors: string[] = [];
window.rbnDemo = { errors } as unknown as NonNullable<Window['rbnDemo']>;
const record = (text: string): void => {
  errors.push(text);
  if (errors.length > 50) errors.shift();
};
window.addEventListener('error', (event) => record(String(event.message)));
window.addEventListener('unhandledrejection', (event) => record(String(event.reason)));

const params = new URLSearchParams(location.search);
const app = document.getElementById('app');
const nav = document.getElementById('modes');
const online = params.has('room');
// The stylesheet lays the page out by mode (local: split views; online: one wide view).
document.body.dataset['mode'] = online ? 'online' : 'local';

if (nav) {
  const link = (href: string, text: string, active: boolean): HTMLAnchorElement => {
    const a = document.createElement('a');
    a.href = href;
    a.textContent = text;
    if (active) a.className = 'active';
    return a;
  };
  const room = Math.random().toString(36).slice(2, 8);
  nav.append(
    link('?', 'Local split-screen', !online),
    link(`?room=${room}`, 'Play online (new room)', online),
  );
}

if (app) {
  if (online) void startOnlineMode(app, params);
  else startLocalMode(app);
  // Shown on touch or narrow screens only (see style.css); they drive P1 / the online player.
  const touch = new TouchControls(online ? '' : 'P1');
  document.body.append(touch.root);
  window.addEventListener('pagehide', () => touch.releaseAll());
}
