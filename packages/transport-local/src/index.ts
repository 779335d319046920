export { LocalTransport } from './local-transport';
export type { LocalTransportConfig, LinkStats } from './local-transport';
export { createLocalTransportGroup } from './create-local-transport-group';
export { PERFECT_CONDITIONS } from './network-conditions';
export type { NetworkConditions } from './network-conditions';
