export { DMath } from './dmath';
export type { DMathFunctions } from './dmath';
export { acos, asin, atan, atan2 } from './inverse-trig';
export { cos, sin, tan } from './trig';
export { cosh, sinh, tanh } from './hyperbolic';
export { exp, expm1, log, log10, log1p, log2 } from './exp-log';
export { pow } from './pow';
export { cbrt, hypot } from './roots';
export { RANDOM_STATE_BYTES, Random, createRandom, randomFromState } from './random';
