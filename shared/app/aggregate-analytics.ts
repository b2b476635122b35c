import type { ActivityRecord } from '../core/activity.js';
import { contributionOf, SUMMARY_TOPIC_NAME, type Window, windowOf } from '../core/analytics.js';
import { withCorrelationId } from '../core/correlation.js';
import type { AnalyticsStore, FaultSwitch, Log, Notifier } from '../core/ports.js';

export interface AnalyticsPorts {
  store: AnalyticsStore;
  notifier: Notifier;
  /** Test-only (see `fault-switch.ts`); off unless `ORDERFLOW_FAULT_CUSTOMER_ID` is set. */
  faults?: FaultSwitch;
  log: Pick<Log, 'info' | 'warn'>;
}

/**
 * One invocation of `aggregateAnalytics`: `count` counts each status change into its window (once per eventId, so
 * a retry, a bisected half or a replay never counts twice); `finish` closes, per region, the open window once a
 * record of a later window arrived, publishing its summary to `analytics/orders/summary`.
 */
export class AnalyticsRun {
  /** The windows this invocation counted into, per region. */
  readonly #seen = new Map<string, Map<string, Window>>();

  constructor(private readonly ports: AnalyticsPorts) {}

  readonly count = async (activity: ActivityRecord): Promise<void> => {
    this.ports.faults?.check(activity);
    const window = windowOf(activity.occurredAt);
    const counted = await this.ports.store.count(
      activity.region,
      window,
      activity.eventId,
      contributionOf(activity),
    );
    // Records of several orders share the invocation: the keys go on each line, not on the shared logger.
    const keys = {
      orderId: activity.orderId,
      ...withCorrelationId(activity.correlationId),
      eventId: activity.eventId,
    };
    this.ports.log.info(counted ? 'Counted' : 'Already counted', { ...keys, window: window.windowStart });
    const windows = this.#seen.get(activity.region) ?? new Map<string, Window>();
    windows.set(window.windowStart, window);
    this.#seen.set(activity.region, windows);
  };

  /**
   * Closes windows unless a record of the batch failed: Lambda then delivers the rest again from the failed record,
   * and a window must not be summarised before that record is counted.
   */
  async finish({ failed }: { failed: boolean }): Promise<void> {
    if (failed) return;
    for (const [region, windows] of this.#seen) {
      try {
        await this.#closeBefore(region, [...windows.values()]);
      } catch (error) {
        // The windows stay open: the next batch of this region closes them.
        this.ports.log.warn('Could not close the open window yet', { region, error });
      }
    }
  }

  /**
   * A record of a later window closes the region's open window and every earlier window of this batch: their
   * summaries go out (oldest first), then the latest window becomes the open one. A record older than the open
   * window is counted, but its window was summarised already.
   */
  async #closeBefore(region: string, windows: Window[]): Promise<void> {
    const open = await this.ports.store.openWindow(region);
    const latest = windows.reduce((a, b) => (b.windowStart > a.windowStart ? b : a));
    if (open !== undefined && latest.windowStart <= open.windowStart) return;
    const starts = new Set(windows.map((window) => window.windowStart));
    if (open !== undefined) starts.add(open.windowStart);
    // Windows before the open one were summarised when it opened: a late record does not summarise them again.
    const toClose = [...starts].filter(
      (start) => start < latest.windowStart && (open === undefined || start >= open.windowStart),
    );
    for (const windowStart of toClose.sort()) {
      const summary = await this.ports.store.figures(region, windowStart);
      if (summary !== undefined) await this.ports.notifier.publish(SUMMARY_TOPIC_NAME, summary);
    }
    await this.ports.store.moveOpenWindow(region, open, latest);
  }
}
