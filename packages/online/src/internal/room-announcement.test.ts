import { describe, expect, it } from 'vitest';
import { readRoomAnnouncement, roomAnnouncement } from './room-announcement';

describe('room announcements', () => {
  it('reads back what the host sends', () => {
    expect(readRoomAnnouncement(roomAnnouncement('0123abcd'))).toEqual({
      roomId: '0123abcd',
      host: undefined,
    });
  });

  it('reads back the session host a group host names after a host migration', () => {
    expect(readRoomAnnouncement(roomAnnouncement('0123abcd', 'peer-2'))).toEqual({
      roomId: '0123abcd',
      host: 'peer-2',
    });
  });

  it.each([
    ['null', null],
    ['a string', 'room'],
    ['an array', ['room', 'x']],
    ['a WebRTC signal', { type: 'offer', sdp: 'v=0' }],
    ['another tag', { rbn: 'other', roomId: 'x' }],
    ['a numeric room id', { rbn: 'room', roomId: 7 }],
    ['an empty room id', { rbn: 'room', roomId: '' }],
    ['an oversized room id', { rbn: 'room', roomId: 'x'.repeat(129) }],
    ['a numeric host', { rbn: 'room', roomId: 'x', host: 3 }],
    ['an empty host', { rbn: 'room', roomId: 'x', host: '' }],
    ['an oversized host', { rbn: 'room', roomId: 'x', host: 'p'.repeat(129) }],
  ])('ignores %s', (_label, value) => {
    expect(readRoomAnnouncement(value)).toBeUndefined();
  });
});
