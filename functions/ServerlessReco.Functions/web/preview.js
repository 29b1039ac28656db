'use strict';

const state = { setup: null, token: null, tokenUser: null, recommended: [] };
const $ = id => document.getElementById(id);

function currentQuery() {
  return `market=${encodeURIComponent($('market').value)}&locale=${encodeURIComponent($('locale').value)}&count=10`;
}

/** The languages a market's storefront speaks, then the catalogue's source language (English for Online Retail). */
function fillLocales() {
  const market = state.setup.markets.find(m => m.code === $('market').value);
  const previous = $('locale').value;
  const languages = [...new Set([...market.languages, 'en'])];
  $('locale').replaceChildren(...languages.map(l => el('option', { value: l }, l)));
  if (languages.includes(previous) && previous !== 'en') $('locale').value = previous;
}

function itemRow(item, withReason) {
  const title = el('span', { class: 'title', lang: item.title.language }, item.title.text);
  const meta = el('span', { class: 'meta' },
    `${item.itemId} · ${item.category || 'no category'} · score ${formatNumber(item.score)}`,
    withReason ? ` · ${item.reason.kind}${item.reason.itemId ? ` (${item.reason.itemId})` : ''}` : '',
    item.title.translated ? ` · translated (${item.title.language})` : ' · source text');
  return el('li', { 'data-item': item.itemId },
    el('button', { type: 'button', class: 'item', onclick: () => showSimilar(item) }, title, meta));
}

function offerItems() {
  const seen = new Map();
  for (const list of ['recs', 'similar', 'popular'])
    for (const row of $(list).querySelectorAll('li')) seen.set(row.dataset.item, row.querySelector('.title').textContent);
  const selected = $('event-item').value;
  $('event-item').replaceChildren(...[...seen].map(([id, title]) => el('option', { value: id }, `${title} (${id})`)));
  if (seen.has(selected)) $('event-item').value = selected;
}

async function tokenFor(userId) {
  if (state.tokenUser !== userId) {
    const minted = await api('/api/console/shopper-tokens', { method: 'POST', body: { userId } });
    state.token = minted.token;
    state.tokenUser = userId;
  }
  return state.token;
}

async function showRecommendations() {
  const userId = $('shopper').value.trim();
  if (!userId) return;
  const token = await tokenFor(userId);
  const answer = await api(`/api/recommendations/${encodeURIComponent(userId)}?${currentQuery()}`, { token });
  state.recommended = answer.items.map(i => i.itemId);
  $('recs-summary').textContent = `Strategy ${answer.strategy}, model ${answer.modelVersion}, ${answer.market} in ${answer.locale}: ${answer.items.length} items` +
    (answer.freshEventsUnavailable ? ' (recent events unavailable: from the model alone)' : '');
  $('recs').replaceChildren(...answer.items.map(i => itemRow(i, true)));
  return answer;
}

async function showPopular() {
  const answer = await api(`/api/popular?${currentQuery()}`);
  $('popular-summary').textContent = `Best sellers in ${answer.market} (${answer.locale}), model ${answer.modelVersion}`;
  $('popular').replaceChildren(...answer.items.map(i => itemRow(i, false)));
}

async function showSimilar(item) {
  await run(async () => {
    const answer = await api(`/api/items/${encodeURIComponent(item.itemId)}/similar?${currentQuery()}`);
    $('similar-summary').textContent = `Similar to ${item.title.text} (${item.itemId})`;
    $('similar').replaceChildren(...answer.items.map(i => itemRow(i, false)));
    $('event-item').value = item.itemId;
    offerItems();
    $('event-item').value = item.itemId;
  });
}

/** Everything that depends on market and language, without reloading the page. */
async function refresh() {
  await run(async () => {
    await Promise.all([showPopular(), $('shopper').value.trim() ? showRecommendations() : Promise.resolve()]);
    $('similar').replaceChildren();
    $('similar-summary').textContent = 'Pick an item above or below to see items like it.';
    offerItems();
  });
}

async function simulate() {
  await run(async () => {
    const userId = $('shopper').value.trim();
    const itemId = $('event-item').value;
    if (!userId || !itemId) throw new ApiError(400, { title: 'Nothing to send', detail: 'Choose a shopper and show their recommendations first.' });
    const before = state.recommended;
    const report = await api('/api/events', {
      method: 'POST',
      body: [{
        eventId: `preview-${crypto.randomUUID()}`, userId, itemId, type: $('event-type').value, quantity: 1,
        market: $('market').value, locale: $('locale').value, timestamp: new Date().toISOString(),
      }],
    });
    if (report.accepted !== 1) throw new ApiError(400, { title: 'Event not accepted', errors: report.results[0].errors || {} });
    const answer = await showRecommendations();
    const fresh = state.recommended.filter(id => !before.includes(id));
    $('changes').textContent = `Sent ${$('event-type').value} of ${itemId}. Now ${answer.strategy}: ` +
      (fresh.length ? `${fresh.length} new item${fresh.length === 1 ? '' : 's'} (${fresh.join(', ')})` : 'same items, new order or scores') + '.';
    offerItems();
  });
}

async function run(work) {
  clearError($('error'));
  try {
    await work();
  } catch (e) {
    showError($('error'), e);
  }
}

async function start() {
  bindKeyField();
  await run(async () => {
    state.setup = await api('/api/console/storefront');
    $('market').replaceChildren(...state.setup.markets.map(m => el('option', { value: m.code }, `${m.code}${m.inModel ? '' : ' (no sales yet)'}`)));
    $('demo-shoppers').replaceChildren(...state.setup.shoppers.map(s => el('option', { value: s.userId }, `${s.userId} (${s.market})`)));
    const first = state.setup.shoppers[0];
    $('market').value = first ? first.market : state.setup.markets[0].code;
    if (first) $('shopper').value = first.userId;
    fillLocales();
  });
  if (!state.setup) return;
  $('market').addEventListener('change', () => { fillLocales(); refresh(); });
  $('locale').addEventListener('change', refresh);
  $('shopper').addEventListener('change', () => {
    const demo = state.setup.shoppers.find(s => s.userId === $('shopper').value.trim());
    if (demo && demo.market !== $('market').value) { $('market').value = demo.market; fillLocales(); }
  });
  $('shopper-form').addEventListener('submit', e => { e.preventDefault(); refresh(); });
  $('simulate-form').addEventListener('submit', e => { e.preventDefault(); simulate(); });
  await refresh();
}

start();
