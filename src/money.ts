/**
 * Money is integer nano-dollars (1e-9 USD) in bigint: exact, and fine enough for
 * per-token prices (e.g. USD 2.5 per million tokens = 2_500 nanos per token).
 */
export const NANOS_PER_USD = 1_000_000_000n;
const SCALE_DIGITS = 9;
const MONEY_PATTERN = /^(-)?(\d{1,12})(?:\.(\d{1,9}))?$/;

/** Parses a decimal USD string ("9.6", "-0.25", "10") into nanos; null when malformed. */
export function parseMoney(input: string): bigint | null {
  const m = MONEY_PATTERN.exec(input.trim());
  if (!m) return null;
  const [, sign, whole, frac = ""] = m;
  const nanos = BigInt(whole) * NANOS_PER_USD + BigInt(frac.padEnd(SCALE_DIGITS, "0"));
  return sign ? -nanos : nanos;
}

/** Formats nanos as a plain decimal string without trailing zeros: 9_600_000_000n → "9.6". */
export function formatMoney(nanos: bigint): string {
  const negative = nanos < 0n;
  const abs = negative ? -nanos : nanos;
  const whole = abs / NANOS_PER_USD;
  const frac = (abs % NANOS_PER_USD).toString().padStart(SCALE_DIGITS, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${frac ? `.${frac}` : ""}`;
}

/** Dollars as a number literal in code (e.g. usd("0.10")), parsed exactly. */
export function usd(amount: string): bigint {
  const nanos = parseMoney(amount);
  if (nanos === null) throw new Error(`not a money amount: ${amount}`);
  return nanos;
}
