import { describe, expect, it } from 'vitest';
import { candidateUfrag, sdpUfrag } from './sdp';

describe('ICE username fragments', () => {
  it('reads the fragment of a description and of a candidate', () => {
    expect(sdpUfrag('v=0\r\nm=application 9\r\na=ice-ufrag:Ab+c\r\na=ice-pwd:x\r\n')).toBe('Ab+c');
    expect(sdpUfrag('v=0\r\n')).toBeUndefined();
    expect(sdpUfrag(undefined)).toBeUndefined();
    expect(
      candidateUfrag({ candidate: 'candidate:1 1 udp 1 ::1 9 typ host', usernameFragment: 'u1' }),
    ).toBe('u1');
    expect(
      candidateUfrag({
        candidate: 'candidate:1 1 udp 1 ::1 9 typ host generation 0 ufrag ltnc network-id 2',
      }),
    ).toBe('ltnc');
    expect(candidateUfrag({ candidate: 'candidate:1 1 udp 1 ::1 9 typ host' })).toBeUndefined();
  });
});
