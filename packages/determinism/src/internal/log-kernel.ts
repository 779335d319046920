import { LN2_DD_HI, LN2_DD_LO } from './constants';
import { dd, frexp1, twoProd, twoSum } from './float';

const SQRT2 = 1.4142135623730951;
/** 2/3 as a double-double: 2/3 − fl(2/3) is exactly 1/(3·2^53). */
const TWO_THIRDS = 2 / 3;
const TWO_THIRDS_LO = 1 / 27021597764222976;

/** 2/(2n+1) for n = 1…11: the odd terms of 2·atanh(s) = log((1+s)/(1−s)) after the first. */
const LOG_TAIL = [
  2 / 3,
  2 / 5,
  2 / 7,
  2 / 9,
  2 / 11,
  2 / 13,
  2 / 15,
  2 / 17,
  2 / 19,
  2 / 21,
  2 / 23,
];

/**
 * The logarithm of a positive finite `x` as `e·ln2 + (hi + lo)`: returns `e` and writes the
 * double-double `log(m)` (m = x / 2^e in [√½, √2)) to `dd`, accurate to about 2^-70 relative.
 * With f = m − 1 (exact) and s = f / (2 + f), log(m) = 2·atanh(s) = 2s + 2s³/3 + 2s⁵/5 + …;
 * `s` and the tail are carried as double-doubles.
 */
export function logParts(x: number): number {
  let e = frexp1(x);
  let m = dd.hi;
  if (m > SQRT2) {
    m *= 0.5;
    e += 1;
  }
  const f = m - 1;
  twoSum(2, f);
  const dh = dd.hi;
  const dl = dd.lo;
  const s = f / dh;
  twoProd(s, dh);
  const sLo = (f - dd.hi - dd.lo - s * dl) / dh;
  // The tail s³·(2/3 + z·q(z)), z = s², as a double-double too: it is up to 1% of the value,
  // and pow needs log to about 2^-70.
  twoProd(s, s);
  const zh = dd.hi;
  const zl = dd.lo;
  twoProd(zh, s);
  const ch = dd.hi;
  const cl = dd.lo + zl * s + 3 * zh * sLo;
  let q = 0;
  for (let i = LOG_TAIL.length - 1; i >= 1; i--) q = q * zh + (LOG_TAIL[i] ?? 0);
  twoProd(zh, q);
  const pl = dd.lo;
  twoSum(TWO_THIRDS, dd.hi);
  const qh = dd.hi;
  const ql = dd.lo + pl + TWO_THIRDS_LO;
  twoProd(ch, qh);
  const th = dd.hi;
  const tl = dd.lo + ch * ql + cl * qh;
  twoSum(2 * s, th);
  const hi = dd.hi;
  const lo = dd.lo + 2 * sLo + tl;
  dd.hi = hi + lo;
  dd.lo = hi - dd.hi + lo;
  return e;
}

/** log(x) as a double-double `dd` (for pow): e·ln2 + log(m), exact sum of the big parts. */
export function logDD(x: number): void {
  const e = logParts(x);
  const mh = dd.hi;
  const ml = dd.lo;
  twoProd(e, LN2_DD_HI);
  const ah = dd.hi;
  const al = dd.lo;
  twoSum(ah, mh);
  const lo = dd.lo + al + e * LN2_DD_LO + ml;
  const hi = dd.hi;
  dd.hi = hi + lo;
  dd.lo = hi - dd.hi + lo;
}
