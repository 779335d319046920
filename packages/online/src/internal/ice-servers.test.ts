import { DEFAULT_STUN_SERVER } from '@rbn/transport-webrtc';
import { describe, expect, it } from 'vitest';
import { iceOptions } from './ice-servers';

const turn = {
  urls: ['turn:turn.example.com:3478?transport=udp'],
  username: '1767225600:peer-1',
  credential: 'c2VjcmV0',
};

describe('iceOptions', () => {
  it('keeps the default STUN server when the signaling server has no TURN to offer', () => {
    expect(iceOptions([])).toEqual({ rtcConfiguration: { iceServers: [DEFAULT_STUN_SERVER] } });
  });

  it("adds the server's TURN entries after the default STUN server, never instead of it", () => {
    expect(iceOptions([turn]).rtcConfiguration?.iceServers).toEqual([DEFAULT_STUN_SERVER, turn]);
  });

  it("adds them to the caller's own servers and keeps the caller's other settings", () => {
    const own = { urls: 'stun:stun.example.org:3478' };
    const merged = iceOptions([turn], { iceServers: [own], iceTransportPolicy: 'relay' });
    expect(merged).toEqual({
      rtcConfiguration: { iceServers: [own, turn], iceTransportPolicy: 'relay' },
      defaultStunServer: null,
    });
  });

  it('uses no STUN server when the caller asks for none (iceServers: [])', () => {
    // The transport must not add one either: defaultStunServer null.
    expect(iceOptions([turn], { iceServers: [] })).toEqual({
      rtcConfiguration: { iceServers: [turn] },
      defaultStunServer: null,
    });
  });

  it('changes neither argument', () => {
    const fromServer = [turn];
    const base = { iceServers: [{ urls: 'stun:a' }] };
    const merged = iceOptions(fromServer, base);
    merged.rtcConfiguration?.iceServers?.push({ urls: 'stun:b' });
    expect(fromServer).toEqual([turn]);
    expect(base).toEqual({ iceServers: [{ urls: 'stun:a' }] });
  });
});
