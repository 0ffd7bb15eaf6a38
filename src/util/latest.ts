/**
 * Sends values one at a time and only the newest: while one send is in
 * flight, later values wait and all but the last are dropped. For updates
 * where the last word must win (a terminal's size): two requests in flight
 * at once can reach the other end in either order.
 */
export function latestOnly<T>(send: (value: T) => Promise<void>, same: (a: T, b: T) => boolean) {
  let inFlight: Promise<void> | undefined;
  let wanted: { value: T } | undefined;
  let sent: { value: T } | undefined;

  const drain = async () => {
    while (wanted && !(sent && same(sent.value, wanted.value))) {
      const { value } = wanted;
      // A failed send counts as sent: retrying a size the other end refused would loop.
      await send(value).catch(() => undefined);
      sent = { value };
    }
  };

  /** Resolves once `value` (or a newer one) has been sent. */
  return (value: T): Promise<void> => {
    wanted = { value };
    if (!inFlight) inFlight = drain().finally(() => (inFlight = undefined));
    return inFlight;
  };
}
