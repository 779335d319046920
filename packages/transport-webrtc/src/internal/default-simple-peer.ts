import type { SimplePeerConstructor } from '../simple-peer-types';
// The prebuilt bundle simple-peer@9 ships: it carries its own stream, Buffer and process code,
// so neither browsers nor bundlers need Node polyfills. It has no type declarations; an ambient
// declaration would not reach the programs that compile this file from source (through the
// @rbn/source condition), so the untyped import is expected here and typed below.
// @ts-expect-error TS7016: no declaration file for simple-peer/simplepeer.min.js
import SimplePeerBundle from 'simple-peer/simplepeer.min.js';

/** simple-peer@9's prebuilt bundle, typed by the part of its v9 API this package uses. */
export const DefaultSimplePeer = SimplePeerBundle as SimplePeerConstructor;
