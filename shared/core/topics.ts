/**
 * The status topic of an order, or why there is none: each level must be a non-empty MQTT topic level without
 * `/`, `+` or `#` (a customerId like `a/b` would publish to another customer's topic).
 *
 * @example
 * statusTopicFor('cust-42', 'o-1') // { topic: 'orders/cust-42/o-1/status' }
 * statusTopicFor('a/b', 'o-1')     // { problem: "customerId 'a/b' cannot be a topic level: ..." }
 */
export function statusTopicFor(customerId: string, orderId: string): { topic: string } | { problem: string } {
  for (const [name, level] of [
    ['customerId', customerId],
    ['orderId', orderId],
  ] as const) {
    if (level === '' || /[/+#]/.test(level) || level.includes(String.fromCharCode(0))) {
      return { problem: `${name} '${level}' cannot be a topic level: it is empty or holds /, + or #` };
    }
  }
  return { topic: `orders/${customerId}/${orderId}/status` };
}
