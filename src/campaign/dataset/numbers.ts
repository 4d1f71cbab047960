/** `value` rounded to `digits` decimals: the manifest's figures, the same bytes on every run. */
export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
