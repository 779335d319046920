import type { GroupFull, GroupFullChoice } from '@rbn/online';

/**
 * The choice a visitor to a full `?next=N` link gets instead of silently hosting a new game:
 * watch the game in progress, or start a new one (the next visitor of the link joins it).
 * @param root - Where to show it (replaced by the choice until a button is pressed).
 * @param full - The game in progress, as the signaling server described it.
 * @returns What the visitor chose, for `joinOnline`'s `onGroupFull`.
 */
export function askGroupFull(root: HTMLElement, full: GroupFull): Promise<GroupFullChoice> {
  const box = document.createElement('section');
  box.className = 'group-full';
  const title = document.createElement('h2');
  title.textContent = 'This game is already full and playing';
  const detail = document.createElement('p');
  const players = full.peers.length;
  detail.textContent =
    `${players} player${players === 1 ? ' is' : 's are'} playing the game at this link ` +
    `(it is for ${full.groupSize}). Watch it, or start a new game that the next visitor of ` +
    'this link joins.';
  const actions = document.createElement('div');
  actions.className = 'actions';
  box.append(title, detail, actions);
  root.replaceChildren(box);
  return new Promise((resolve) => {
    const option = (label: string, name: string, choice: GroupFullChoice): void => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'action';
      button.name = name;
      button.textContent = label;
      button.addEventListener('click', () => {
        for (const b of actions.querySelectorAll('button')) b.disabled = true;
        detail.textContent =
          choice === 'spectate' ? 'Joining as a spectator…' : 'Starting a new game…';
        resolve(choice);
      });
      actions.append(button);
    };
    option('Watch this game', 'watch', 'spectate');
    option('Start a new game', 'new-game', 'new-group');
  });
}
