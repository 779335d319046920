export { TransformingTransport } from './transforming-transport';
export type {
  CompressionMode,
  ReassemblyStats,
  TransformError,
  TransformErrorCode,
  TransformingTransportConfig,
} from './transforming-transport';
