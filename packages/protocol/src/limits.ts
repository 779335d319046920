/**
 * Bounds the decoder enforces on untrusted bytes (and the encoder on outgoing messages), so a
 * peer can neither crash a session nor make it allocate without bound.
 */
export type ProtocolLimits = {
  /** Largest single input, in bytes. @default 64 */
  maxInputBytes: number;
  /**
   * Most inputs (ticks) in one run. Per run, not per message: a message holds up to
   * `maxPlayersPerMessage` runs, so up to `maxPlayersPerMessage × maxInputsPerRun` inputs.
   * @default 256
   */
  maxInputsPerRun: number;
  /** Most runs/acks (players) in one message. @default 64 */
  maxPlayersPerMessage: number;
  /** Largest serialized game state, in bytes. @default 16 MiB */
  maxStateBytes: number;
  /** Longest string (player id, peer id, room id, reason text), in UTF-8 bytes. @default 256 */
  maxStringBytes: number;
  /** Most config entries in a JoinAccept. @default 64 */
  maxConfigEntries: number;
  /** Largest DropPlayer metadata, in bytes. @default 4096 */
  maxMetadataBytes: number;
  /**
   * Largest player metadata (`JoinRequestMessage.metadata`, `WirePlayer.metadata`), in bytes.
   * @default 256
   */
  maxPlayerMetadataBytes: number;
};

/** The limits used when none are given. */
export const DEFAULT_LIMITS: Readonly<ProtocolLimits> = Object.freeze({
  maxInputBytes: 64,
  maxInputsPerRun: 256,
  maxPlayersPerMessage: 64,
  maxStateBytes: 16 * 1024 * 1024,
  maxStringBytes: 256,
  maxConfigEntries: 64,
  maxMetadataBytes: 4096,
  maxPlayerMetadataBytes: 256,
});
