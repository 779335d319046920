# Run: python3 scripts/constants.py > src/internal/constants.ts && npx prettier --write src/internal/constants.ts
# Prints the constants of src/internal/constants.ts from 100-digit arithmetic (mpmath).
# Every double is printed by repr() (shortest round-trip, at most 17 significant digits,
# which every engine parses to the same bits).
from mpmath import mp, mpf, pi, log, atan, floor

mp.dps = 420

def split(value, bits):
    """value = hi + lo where hi keeps `bits` significant bits (so k * hi is exact for small k)."""
    m, e = mp.frexp(value)
    hi = mp.ldexp(floor(mp.ldexp(m, bits)), e - bits)
    return hi, value - hi

def d(x):
    return repr(float(x))

def dd(name, value):
    hi = float(value)
    lo = float(value - mpf(hi))
    print(f'export const {name}_HI = {hi!r};')
    print(f'export const {name}_LO = {lo!r};')

ln2 = log(2)
hi, rest = split(ln2, 32)
print(f'export const LN2_CW_HI = {d(hi)};')
print(f'export const LN2_CW_LO = {d(rest)};')
print(f'export const LN2_CW_LO2 = {d(rest - mpf(float(rest)))};')
dd('LN2_DD', ln2)
dd('INV_LN2', 1 / ln2)
dd('INV_LN10', 1 / log(10))
dd('LOG10_2', log(2) / log(10))
dd('PI', pi)
dd('HALF_PI', pi / 2)
hp = pi / 2
p1, r = split(hp, 33)
p2, r = split(r, 33)
p3, r = split(r, 33)
print(f'export const PIO2_1 = {d(p1)};')
print(f'export const PIO2_2 = {d(p2)};')
print(f'export const PIO2_3 = {d(p3)};')
print(f'export const PIO2_3T = {d(r)};')
print(f'export const INV_HALF_PI = {d(2 / pi)};')
print('export const ATAN_HI = [' + ', '.join(repr(float(atan(mpf(j) / 8))) for j in range(9)) + '] as const;')
print('export const ATAN_LO = [' + ', '.join(repr(float(atan(mpf(j) / 8) - mpf(float(atan(mpf(j) / 8))))) for j in range(9)) + '] as const;')
bits = 1344
print(f'export const TWO_OVER_PI_BITS = {bits};')
v = int(floor(mp.ldexp(2 / pi, bits)))
h = format(v, 'x')
print("export const TWO_OVER_PI_HEX =")
chunks = [h[i:i+80] for i in range(0, len(h), 80)]
print('  ' + ' +\n  '.join(f"'{c}'" for c in chunks) + ';')
