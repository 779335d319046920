/**
 * Online mode: meet through the signaling server, connect over WebRTC and play.
 * @param root - Where to build the page.
 * @param _params - The page's query parameters (`room`, `next`, `spectate`).
 */
export function startOnlineMode(root: HTMLElement, _params: URLSearchParams): Promise<void> {
  root.textContent = 'Online mode is not available in this build yet.';
  return Promise.resolve();
}
