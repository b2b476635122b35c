/**
 * The dashboard page: hears the pipeline over MQTT over WebSocket (as a browser client of AWS IoT Core would), polls
 * the local cloud's `/_local/pipeline` figures, and places, pays and cancels orders through the HTTP API with a
 * token of the local issuer. The local cloud bundles this file for the browser when the page is first asked for.
 */
import mqtt from 'mqtt';
import {
  type AnalyticsWindow,
  Board,
  type BoardOrder,
  chartBars,
  currentStatus,
  DASHBOARD_TOPICS,
  formatAmount,
  minuteLabel,
} from './board.js';

/** What `config.json` tells the page (the local cloud's addresses). */
interface DashboardConfig {
  mqttWs: string;
  pipelinePath: string;
  tokenPath: string;
}

interface PipelineStatus {
  at: string;
  queues: Array<{ name: string; role: string; visible: number; inFlight: number }>;
  stream: { name: string; records: number };
  counters: { httpAccepted: number; published: number; notifications: number };
}

const PIPELINE_REFRESH_MS = 1500;
const SVG = 'http://www.w3.org/2000/svg';

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

function make<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const made = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) made.setAttribute(name, value);
  if (text !== undefined) made.textContent = text;
  return made;
}

function makeSvg(tag: string, attributes: Record<string, string | number>): SVGElement {
  const made = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) made.setAttribute(name, String(value));
  return made;
}

const board = new Board();
/** Totals of the orders this page placed or read (a status message carries none; paying needs it). */
const totals = new Map<string, { total: number; currency: string }>();
const tokens = new Map<string, { token: string; until: number }>();
let config: DashboardConfig;

function actingCustomer(): string {
  return element<HTMLInputElement>('customer').value.trim();
}

function tell(text: string, kind: 'ok' | 'error'): void {
  const message = element('message');
  message.textContent = text;
  message.dataset.kind = kind;
  message.hidden = false;
}

/** A token of the local issuer for `sub`, asked of the local cloud once and reused until shortly before it ends. */
async function tokenFor(sub: string): Promise<string> {
  const known = tokens.get(sub);
  if (known !== undefined && known.until > Date.now()) return known.token;
  const response = await fetch(config.tokenPath, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub }),
  });
  const body = (await response.json()) as { token?: string; expiresIn?: number; detail?: string };
  if (!response.ok || body.token === undefined)
    throw new Error(body.detail ?? `no token (${response.status})`);
  tokens.set(sub, { token: body.token, until: Date.now() + ((body.expiresIn ?? 3600) - 60) * 1000 });
  return body.token;
}

interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** Calls the HTTP API as the acting customer; a problem answer (4xx/5xx) is thrown with its detail. */
async function callApi(method: 'GET' | 'POST', path: string, body?: unknown): Promise<ApiAnswer> {
  const token = await tokenFor(actingCustomer());
  const response = await fetch(path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const answer: ApiAnswer = {
    status: response.status,
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
  if (response.status >= 400) {
    const { title, detail, message } = answer.body;
    throw new Error(`${response.status} ${String(title ?? message ?? '')}: ${String(detail ?? '')}`.trim());
  }
  return answer;
}

function remember(order: Record<string, unknown>): void {
  const { orderId, total, currency } = order;
  if (typeof orderId === 'string' && typeof total === 'number' && typeof currency === 'string') {
    totals.set(orderId, { total, currency });
  }
}

async function placeOrder(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const value = (id: string) => element<HTMLInputElement>(id).value.trim();
  const placed = await callApi('POST', '/orders', {
    customerId: actingCustomer(),
    currency: value('currency'),
    region: value('region'),
    items: [
      { sku: value('sku'), quantity: Number(value('quantity')), unitPrice: Number(value('unit-price')) },
    ],
  });
  remember(placed.body);
  tell(`Placed ${String(placed.body.orderId)} (${placed.status}).`, 'ok');
}

async function pay(orderId: string): Promise<void> {
  let known = totals.get(orderId);
  if (known === undefined) {
    remember((await callApi('GET', `/orders/${encodeURIComponent(orderId)}`)).body);
    known = totals.get(orderId);
  }
  const answer = await callApi('POST', `/orders/${encodeURIComponent(orderId)}/pay`, {
    amount: known?.total,
  });
  tell(`Paid ${orderId} (${answer.status}).`, 'ok');
}

async function cancel(orderId: string): Promise<void> {
  const answer = await callApi('POST', `/orders/${encodeURIComponent(orderId)}/cancel`, {
    reason: 'cancelled on the dashboard',
  });
  tell(`Cancelled ${orderId} (${answer.status}).`, 'ok');
}

/** Runs a button's or the form's action, telling its outcome (the last one's only) or its error. */
function act(action: () => Promise<void>): void {
  const message = element('message');
  message.hidden = true;
  message.textContent = '';
  action().catch((error: unknown) => tell(error instanceof Error ? error.message : String(error), 'error'));
}

function orderCard(order: BoardOrder): HTMLLIElement {
  const status = currentStatus(order) ?? '';
  const card = make('li', { class: 'order', 'data-order-id': order.orderId, 'data-status': status });
  const head = make('div', { class: 'order-head' });
  head.append(
    make('span', { class: 'order-id' }, order.orderId),
    make('span', { class: 'muted' }, order.customerId),
    make('span', { class: 'status' }, status),
  );
  const known = totals.get(order.orderId);
  if (known !== undefined) head.append(make('span', {}, formatAmount(known.total, known.currency)));
  if (order.customerId === actingCustomer() && (status === 'PLACED' || status === 'PAID')) {
    const actions = make('span', { class: 'actions' });
    if (status === 'PLACED') {
      const payButton = make('button', { type: 'button', class: 'secondary', 'data-action': 'pay' }, 'Pay');
      payButton.addEventListener('click', () => act(() => pay(order.orderId)));
      actions.append(payButton);
    }
    const cancelButton = make(
      'button',
      { type: 'button', class: 'danger', 'data-action': 'cancel' },
      'Cancel',
    );
    cancelButton.addEventListener('click', () => act(() => cancel(order.orderId)));
    actions.append(cancelButton);
    head.append(actions);
  }
  const steps = make('div', { class: 'steps' });
  for (const step of order.steps) {
    steps.append(
      make(
        'span',
        { class: 'step', 'data-seq': String(step.seq), title: step.occurredAt },
        `${step.seq} ${step.status} ${step.occurredAt.slice(11, 19)}`,
      ),
    );
  }
  card.append(head, steps);
  return card;
}

function drawOrders(): void {
  const orders = board.orders();
  element('no-orders').hidden = orders.length > 0;
  element('order-list').replaceChildren(...orders.map(orderCard));
}

function regionChart(region: string, windows: AnalyticsWindow[]): HTMLElement {
  const box = { width: 360, height: 120, labels: 16, slots: 10 };
  const bars = chartBars(windows, box);
  const chart = make('figure', { class: 'chart', 'data-region': region });
  const last = windows.at(-1);
  chart.append(
    make(
      'h3',
      {},
      `${region}${last === undefined ? '' : ` — last window ${minuteLabel(last.windowStart)}: ${last.placed} placed, ${last.paid} paid, ${last.fulfilled} fulfilled, ${last.cancelled} cancelled, revenue ${formatAmount(last.revenue)}`}`,
    ),
  );
  const svg = makeSvg('svg', {
    viewBox: `0 0 ${box.width} ${box.height}`,
    role: 'img',
    'aria-label': `orders placed and revenue per minute in ${region}`,
  });
  for (const bar of bars) {
    const rect = makeSvg('rect', {
      class: 'bar',
      x: bar.x,
      y: bar.barY,
      width: bar.width,
      height: bar.barHeight,
      'data-window-start': bar.windowStart,
      'data-placed': bar.placed,
      'data-revenue': bar.revenue,
    });
    const title = makeSvg('title', {});
    title.textContent = `${bar.label}: ${bar.placed} placed, revenue ${formatAmount(bar.revenue)}`;
    rect.append(title);
    const label = makeSvg('text', { x: bar.x + bar.width / 2, y: box.height - 4, 'text-anchor': 'middle' });
    label.textContent = bar.label;
    const count = makeSvg('text', {
      x: bar.x + bar.width / 2,
      y: Math.max(bar.barY - 3, 10),
      'text-anchor': 'middle',
    });
    count.textContent = String(bar.placed);
    svg.append(rect, label, count);
  }
  if (bars.length > 0) {
    const points = bars.map((bar) => `${bar.x + bar.width / 2},${bar.revenueY}`).join(' ');
    svg.append(makeSvg('polyline', { class: 'revenue', points }));
    for (const bar of bars) {
      svg.append(makeSvg('circle', { class: 'point', cx: bar.x + bar.width / 2, cy: bar.revenueY, r: 3 }));
    }
  }
  chart.append(svg);
  return chart;
}

function drawAnalytics(): void {
  const regions = board.windows();
  element('no-windows').hidden = regions.length > 0;
  element('charts').replaceChildren(...regions.map(({ region, windows }) => regionChart(region, windows)));
}

function drawReviews(): void {
  const reviews = board.reviews();
  element('no-reviews').hidden = reviews.length > 0;
  element('review-list').replaceChildren(
    ...reviews.map((review) =>
      make(
        'li',
        { 'data-order-id': review.orderId },
        `${review.openedAt.slice(11, 19)} ${review.orderId} — ${review.customerId}, ${formatAmount(review.total, review.currency)}, ${review.region}`,
      ),
    ),
  );
}

function drawPipeline(status: PipelineStatus): void {
  const counters: Array<[string, number, string]> = [
    ['HTTP accepted', status.counters.httpAccepted, 'httpAccepted'],
    ['published (SNS)', status.counters.published, 'published'],
    [`stream records (${status.stream.name})`, status.stream.records, 'streamRecords'],
    ['notifications (MQTT)', status.counters.notifications, 'notifications'],
  ];
  element('counters').replaceChildren(
    ...counters.map(([name, value, key]) => {
      const item = make('div', { 'data-counter': key });
      item.append(make('dt', {}, name), make('dd', {}, String(value)));
      return item;
    }),
  );
  const rows = status.queues.map((queue) => {
    const holding = queue.role !== 'queue' && queue.visible + queue.inFlight > 0;
    const row = make('tr', {
      'data-queue': queue.name,
      'data-role': queue.role,
      'data-holding': String(holding),
    });
    row.append(
      make('td', {}, queue.name),
      make('td', {}, queue.role),
      make('td', { class: 'number', 'data-figure': 'visible' }, String(queue.visible)),
      make('td', { class: 'number', 'data-figure': 'inFlight' }, String(queue.inFlight)),
    );
    return row;
  });
  element<HTMLTableElement>('queues').tBodies[0]?.replaceChildren(...rows);
}

async function refreshPipeline(): Promise<void> {
  try {
    const response = await fetch(config.pipelinePath, { cache: 'no-store' });
    if (response.ok) drawPipeline((await response.json()) as PipelineStatus);
  } catch {
    // the local cloud stopped: the next refresh tries again
  } finally {
    setTimeout(() => void refreshPipeline(), PIPELINE_REFRESH_MS);
  }
}

function connect(): void {
  element('mqtt-url').textContent = config.mqttWs;
  const connection = element('connection');
  const show = (state: string, text: string) => {
    connection.dataset.state = state;
    connection.textContent = text;
  };
  const client = mqtt.connect(config.mqttWs, {
    protocolVersion: 4,
    clientId: `dashboard-${Math.random().toString(16).slice(2, 10)}`,
    reconnectPeriod: 2000,
  });
  client.on('connect', () => {
    client.subscribe([...DASHBOARD_TOPICS], { qos: 1 }, (error) => {
      if (error) show('offline', `MQTT: subscribe failed (${error.message})`);
      else show('connected', 'MQTT: connected');
    });
  });
  client.on('offline', () => show('offline', 'MQTT: offline, reconnecting…'));
  const draw = { orders: drawOrders, analytics: drawAnalytics, reviews: drawReviews };
  client.on('message', (topic, payload) => {
    const heard = board.hear(topic, new TextDecoder().decode(payload));
    if (heard !== undefined) draw[heard]();
  });
}

async function start(): Promise<void> {
  config = (await (await fetch('config.json')).json()) as DashboardConfig;
  element<HTMLFormElement>('order-form').addEventListener('submit', (event) =>
    act(() => placeOrder(event as SubmitEvent)),
  );
  element<HTMLInputElement>('customer').addEventListener('change', drawOrders);
  connect();
  void refreshPipeline();
}

void start();
