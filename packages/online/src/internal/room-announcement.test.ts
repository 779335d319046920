import { describe, expect, it } from 'vitest';
import { readRoomAnnouncement, roomAnnouncement } from './room-announcement';

describe('room announcements', () => {
  it('reads back what the host sends', () => {
    expect(readRoomAnnouncement(roomAnnouncement('0123abcd'))).toBe('0123abcd');
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
  ])('ignores %s', (_label, value) => {
    expect(readRoomAnnouncement(value)).toBeUndefined();
  });
});
