const view = new DataView(new ArrayBuffer(8));

/** The distance between two doubles in units in the last place (0 for two NaNs). */
export function ulpDistance(a: number, b: number): number {
  if (Object.is(a, b) || (a !== a && b !== b)) return 0;
  if (a !== a || b !== b) return Infinity;
  const order = (x: number): bigint => {
    view.setFloat64(0, x);
    const bits = view.getBigInt64(0);
    return bits < BigInt(0) ? -(bits & BigInt('0x7fffffffffffffff')) : bits;
  };
  const d = order(a) - order(b);
  return Number(d < BigInt(0) ? -d : d);
}
