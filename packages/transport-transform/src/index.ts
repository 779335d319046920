export { TransformingTransport } from './transforming-transport';
export type { CompressionMode, TransformingTransportConfig } from './config';
export type { ReassemblyStats } from './reassembler';
export type { TransformError, TransformErrorCode } from './transform-error';
