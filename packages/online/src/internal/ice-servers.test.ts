import { describe, expect, it } from 'vitest';
import { DEFAULT_STUN_SERVER, mergeIceServers } from './ice-servers';

const turn = {
  urls: ['turn:turn.example.com:3478?transport=udp'],
  username: '1767225600:peer-1',
  credential: 'c2VjcmV0',
};

describe('mergeIceServers', () => {
  it('keeps the default STUN server when the signaling server has no TURN to offer', () => {
    expect(mergeIceServers([])).toEqual({ iceServers: [DEFAULT_STUN_SERVER] });
  });

  it("adds the server's TURN entries after the default STUN server, never instead of it", () => {
    expect(mergeIceServers([turn]).iceServers).toEqual([DEFAULT_STUN_SERVER, turn]);
  });

  it("adds them to the caller's own servers and keeps the caller's other settings", () => {
    const own = { urls: 'stun:stun.example.org:3478' };
    const merged = mergeIceServers([turn], { iceServers: [own], iceTransportPolicy: 'relay' });
    expect(merged).toEqual({ iceServers: [own, turn], iceTransportPolicy: 'relay' });
  });

  it('uses no STUN server when the caller asks for none (iceServers: [])', () => {
    expect(mergeIceServers([turn], { iceServers: [] }).iceServers).toEqual([turn]);
  });

  it('changes neither argument', () => {
    const fromServer = [turn];
    const base = { iceServers: [{ urls: 'stun:a' }] };
    const merged = mergeIceServers(fromServer, base);
    merged.iceServers?.push({ urls: 'stun:b' });
    expect(fromServer).toEqual([turn]);
    expect(base).toEqual({ iceServers: [{ urls: 'stun:a' }] });
  });
});
