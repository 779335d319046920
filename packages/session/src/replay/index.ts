/**
 * Replays: the blob format ({@link REPLAY_FORMAT_VERSION}), the recorder a session feeds with
 * confirmed inputs, the bounded decoder of untrusted blobs, and playback through the engine.
 */
export { ReplayRecorder } from './recorder';
export type { ReplayRecorderOptions, ReplayFinish } from './recorder';
export { decodeReplay } from './decode';
export { playReplay } from './play';
export type { ReplayResult, PlayReplayOptions } from './play';
export { REPLAY_FORMAT_VERSION, DEFAULT_REPLAY_LIMITS } from './format';
export type { Replay, ReplayEvent, ReplayInputRun, ReplayPlayer, ReplayLimits } from './format';
