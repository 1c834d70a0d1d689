/**
 * Money as the API gives it: exact decimal strings of USD ("9.6"), turned into integer
 * nano-dollars (bigint) for arithmetic, as the server keeps them, and back into text.
 * Plain TypeScript without the DOM: the Node tests import it too.
 */
export const NANOS_PER_USD = 1_000_000_000n;
const SCALE_DIGITS = 9;
const MONEY_PATTERN = /^(-)?(\d{1,12})(?:\.(\d{1,9}))?$/;

/** "9.6" → 9_600_000_000n; null when it is not an amount the API would take. */
export function parseMoney(input: string): bigint | null {
  const m = MONEY_PATTERN.exec(input.trim());
  if (!m) return null;
  const [, sign, whole, frac = ""] = m;
  const nanos = BigInt(whole) * NANOS_PER_USD + BigInt(frac.padEnd(SCALE_DIGITS, "0"));
  return sign ? -nanos : nanos;
}

/** Nanos as the API's Money string: "9.6", "-0.25", "10". */
export function toMoney(nanos: bigint): string {
  const negative = nanos < 0n;
  const abs = negative ? -nanos : nanos;
  const frac = (abs % NANOS_PER_USD).toString().padStart(SCALE_DIGITS, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${abs / NANOS_PER_USD}${frac ? `.${frac}` : ""}`;
}

/**
 * For people: "$9.60", "-$0.25", "$0.0025" — cents always shown, smaller fractions only when
 * they are there (token prices), digits grouped in thousands.
 */
export function formatUsd(amount: bigint | string | null | undefined): string {
  if (amount === null || amount === undefined) return "—";
  const nanos = typeof amount === "bigint" ? amount : parseMoney(amount);
  if (nanos === null) return String(amount);
  const negative = nanos < 0n;
  const abs = negative ? -nanos : nanos;
  const whole = (abs / NANOS_PER_USD).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const frac = (abs % NANOS_PER_USD).toString().padStart(SCALE_DIGITS, "0").replace(/0+$/, "").padEnd(2, "0");
  return `${negative ? "-" : ""}$${whole}.${frac}`;
}
