/**
 * Money is an integer amount in minor units (cents): never a float. The limits below keep every total a safe
 * integer: 50 items × 1000 units × 10,000,000 = 5 × 10^11, far below Number.MAX_SAFE_INTEGER.
 */
export const MAX_UNIT_PRICE = 10_000_000;
export const MAX_QUANTITY = 1_000;
export const MAX_ITEMS = 50;

export interface PricedLine {
  quantity: number;
  unitPrice: number;
}

/**
 * The order total in minor units: the exact sum of `quantity × unitPrice`.
 *
 * @example computeTotal([{ quantity: 2, unitPrice: 1999 }, { quantity: 1, unitPrice: 1 }]) // 3999
 */
export function computeTotal(lines: readonly PricedLine[]): number {
  let total = 0;
  for (const line of lines) total += line.quantity * line.unitPrice;
  return total;
}
