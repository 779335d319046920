// The one simple-peer entry this package loads: the prebuilt bundle that simple-peer@9 ships
// (`simplepeer.min.js`), which carries its own stream, Buffer and process code, so neither
// browsers nor bundlers need Node polyfills. Its shape is declared in ../simple-peer-types.ts.
declare module 'simple-peer/simplepeer.min.js' {
  const SimplePeer: unknown;
  export default SimplePeer;
}
