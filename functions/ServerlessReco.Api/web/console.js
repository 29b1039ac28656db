'use strict';

const $ = id => document.getElementById(id);
const view = { models: null };

function facts(list, pairs) {
  list.replaceChildren(...pairs.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]));
}

function shortTime(iso) {
  return iso ? iso.replace('T', ' ').replace(/\.\d+/, '').replace(/(Z|\+00:00)$/, ' UTC') : 'n/a';
}

async function showHealth() {
  const h = await api('/api/health');
  facts($('health'), [
    ['Status', h.status],
    ['Served version', h.modelVersion || 'none'],
    ['Served version age', formatAge(h.modelAge)],
    ['Trained until', shortTime(h.trainedUntil)],
    ['Users / items in the model', `${h.counts.users} / ${h.counts.items}`],
    ['Catalogue items', String(h.counts.catalogueItems)],
    ['Storage reachable', h.storageReachable ? 'yes' : 'no'],
    ['Last model error', h.lastModelError || 'none'],
  ]);
}

async function showModels() {
  view.models = await api('/api/console/models');
  const rows = view.models.versions.map(v => el('tr', { 'data-version': v.version },
    el('th', { scope: 'row' }, v.version), el('td', {}, shortTime(v.createdAt)), el('td', {}, shortTime(v.trainedUntil)),
    el('td', {}, String(v.counts.users ?? '')), el('td', {}, String(v.counts.items ?? '')), el('td', {}, String(v.training.als.factors)),
    el('td', {}, v.evaluation ? `${v.evaluation.split}, k ${v.evaluation.k}` : 'no'),
    el('td', {}, versionState(v))));
  $('versions').tBodies[0].replaceChildren(...rows);
  $('version').replaceChildren(...view.models.versions.map(v => el('option', { value: v.version }, `${v.version}${v.serving ? ' (serving)' : ''}`)));
  const serving = view.models.versions.find(v => v.serving) || view.models.versions[0];
  if (serving) $('version').value = serving.version;
  showVersion();
}

/** Serving, published or the experiment's challenger with its share (named in current.json before it loads). */
function versionState(v) {
  const states = [];
  if (v.serving) states.push('serving');
  else if (v.version === (view.models.published || {}).version) states.push('published, loading');
  if (v.challengerIn) {
    const share = `${formatNumber(v.challengerIn.share * 100, 1)}% of shoppers`;
    states.push(v.servingAsChallenger ? `challenger in ${v.challengerIn.id}, ${share}` : `challenger in ${v.challengerIn.id}, ${share}, loading`);
  }
  return states.join('; ');
}

/** Offline figures of one version from its manifest: per method, per market, content quality, and the manifest's own metrics. */
function showVersion() {
  const version = view.models.versions.find(v => v.version === $('version').value);
  const charts = [];
  if (!version) {
    $('evaluation-summary').textContent = 'No model version in storage yet: run ./reco jobs train, then publish.';
  } else if (!version.evaluation) {
    $('evaluation-summary').textContent = `Version ${version.version} carries no offline evaluation: evaluate with the same training parameters before train to have one.`;
  } else {
    const e = version.evaluation;
    $('evaluation-summary').textContent = `Version ${version.version}: ${e.split}, ${e.testUsers} test shoppers, evaluated ${shortTime(e.evaluatedAt)}. Parameters: ${e.parameters.chosenBy}.`;
    const methods = e.methods.map(m => m.method);
    charts.push(barChart({ id: 'chart-ndcg', title: `NDCG@${e.k} per method`, labels: methods, series: [{ name: `NDCG@${e.k}`, values: e.methods.map(m => m.metrics.ndcg) }] }));
    charts.push(barChart({
      id: 'chart-beyond', title: 'Coverage and category diversity per method', labels: methods,
      series: [{ name: 'coverage', values: e.methods.map(m => m.metrics.coverage) }, { name: 'diversity', values: e.methods.map(m => m.metrics.diversity) }],
    }));
    const served = e.methods.find(m => m.method === 'served pipeline') || e.methods[0];
    const marketPopularity = e.methods.find(m => m.method === 'popularity (market)');
    if (served.metrics.markets && served.metrics.markets.length) {
      const markets = served.metrics.markets;
      const series = [{ name: served.method, values: markets.map(m => m.ndcg) }];
      if (marketPopularity && marketPopularity.metrics.markets) {
        const byMarket = new Map(marketPopularity.metrics.markets.map(m => [m.market, m.ndcg]));
        series.push({ name: marketPopularity.method, values: markets.map(m => byMarket.get(m.market) ?? NaN) });
      }
      charts.push(barChart({ id: 'chart-markets', title: `NDCG@${e.k} per market (shoppers evaluated)`, labels: markets.map(m => `${m.market} (${m.users})`), series }));
    }
    if (e.coldStart && e.coldStart.length)
      charts.push(barChart({ id: 'chart-cold-start', title: `New items ranked for their buyers: NDCG@${e.k}`, labels: e.coldStart.map(m => m.method), series: [{ name: 'NDCG', values: e.coldStart.map(m => m.metrics.ndcg) }] }));
    if (e.similar && e.similar.length)
      charts.push(barChart({ id: 'chart-similar', title: `Similar items: NDCG@${e.k}`, labels: e.similar.map(m => m.method), series: [{ name: 'NDCG', values: e.similar.map(m => m.metrics.ndcg) }] }));
  }
  $('metric-charts').replaceChildren(...charts);
  const metrics = version ? Object.entries(version.metrics) : [];
  facts($('manifest-metrics'), metrics.map(([name, value]) => [name, formatNumber(value, 4)]));
}

function percent(rate) {
  return `${formatNumber(rate.value * 100, 2)}% (${formatNumber(rate.low * 100, 2)} to ${formatNumber(rate.high * 100, 2)})`;
}

/** The latest online report: rates per arm with their intervals, the arms' differences, and per market rows. */
async function showOnline() {
  const report = (await api('/api/console/online')).report;
  $('online-simulated').hidden = !(report && report.simulated);
  if (!report) {
    $('online-summary').textContent = 'No online report yet: run ./reco jobs online-report once shoppers (or a replay) have seen recommendations.';
    $('online-charts').replaceChildren();
    facts($('online-differences'), []);
    $('online-markets').tBodies[0].replaceChildren();
    return;
  }
  const experiments = [...new Set(report.rows.map(r => r.experiment).filter(e => e))];
  $('online-summary').textContent = `Report of ${shortTime(report.generatedAt)}: experiment ${experiments.length ? experiments.join(', ') : 'none'}, `
    + `${report.impressions} impressions, ${report.attributedEvents} attributed events, attribution window ${report.windowHours} h.`;
  // Every strategy and market together: one bar group per arm (and experiment, when the report spans several).
  const arms = report.rows.filter(r => r.strategy === '*' && r.market === '*');
  const label = r => experiments.length > 1 || !r.experiment ? `${r.experiment || 'no experiment'} ${r.arm}` : r.arm;
  const series = (name, pick) => ({ name, values: arms.map(r => pick(r).value), low: arms.map(r => pick(r).low), high: arms.map(r => pick(r).high) });
  $('online-charts').replaceChildren(...(arms.length ? [barChart({
    id: 'chart-online', title: 'Click-through and purchase rate per arm, with 95% intervals', digits: 4, labels: arms.map(label),
    series: [series('click-through', r => r.clickThrough), series('purchase rate', r => r.purchase)],
  })] : []));
  facts($('online-differences'), report.differences.filter(d => d.strategy === '*' && d.market === '*').map(d => [
    `${d.experiment}: ${d.metric}, challenger minus control`,
    `${d.difference >= 0 ? '+' : ''}${formatNumber(d.difference * 100, 2)} points (${formatNumber(d.control * 100, 2)}% to ${formatNumber(d.challenger * 100, 2)}%), p = ${formatNumber(d.pValue, 3)}`,
  ]));
  $('online-markets').tBodies[0].replaceChildren(...report.rows.filter(r => r.strategy === '*' && r.market !== '*').map(r => el('tr', { 'data-market': r.market, 'data-arm': r.arm },
    el('td', {}, r.experiment || 'none'), el('td', {}, r.arm), el('td', {}, r.market), el('td', {}, String(r.impressions)),
    el('td', {}, percent(r.clickThrough)), el('td', {}, percent(r.purchase)), el('td', {}, formatNumber(r.revenue, 2)))));
}

async function showIngestion() {
  const data = await api('/api/console/ingestion');
  const total = data.minutes.reduce((t, m) => ({ a: t.a + m.accepted, d: t.d + m.duplicates, r: t.r + m.rejected }), { a: 0, d: 0, r: 0 });
  $('ingestion-summary').textContent = `Since this instance started (${shortTime(data.countedSince)}): ${total.a} accepted, ${total.d} duplicates, ${total.r} rejected.`;
  const charts = [];
  if (data.minutes.length) {
    // Up to a day of minutes: by hour once there are more than a chart can show legibly.
    const byHour = data.minutes.length > 30;
    const buckets = new Map();
    for (const m of data.minutes) {
      const label = byHour ? `${shortTime(m.at).slice(0, 13)}:00 UTC` : `${shortTime(m.at).slice(11, 16)} UTC`;
      const b = buckets.get(label) || { accepted: 0, duplicates: 0, rejected: 0 };
      b.accepted += m.accepted; b.duplicates += m.duplicates; b.rejected += m.rejected;
      buckets.set(label, b);
    }
    const rows = [...buckets.values()];
    charts.push(barChart({
      id: 'chart-minutes', title: `Events per ${byHour ? 'hour' : 'minute'} (this instance)`, digits: 0, labels: [...buckets.keys()],
      series: [{ name: 'accepted', values: rows.map(b => b.accepted) }, { name: 'duplicates', values: rows.map(b => b.duplicates) }, { name: 'rejected', values: rows.map(b => b.rejected) }],
    }));
    const fields = [...new Set(data.minutes.flatMap(m => Object.keys(m.rejectedByField)))].sort();
    if (fields.length)
      charts.push(barChart({
        id: 'chart-reasons', title: 'Rejected events by field at fault (this instance)', digits: 0, labels: fields,
        series: [{ name: 'rejected', values: fields.map(f => data.minutes.reduce((t, m) => t + (m.rejectedByField[f] || 0), 0)) }],
      }));
  }
  charts.push(barChart({
    id: 'chart-dead-letters', title: 'Dead letters per day received (all instances)', digits: 0,
    labels: data.deadLettersPerDay.map(d => d.day), series: [{ name: 'dead letters', values: data.deadLettersPerDay.map(d => d.count) }],
  }));
  $('ingestion-charts').replaceChildren(...charts);
  $('dead-letters').replaceChildren(...(data.recentDeadLetters.length ? data.recentDeadLetters.map(letter => el('li', {},
    el('p', {}, el('strong', {}, shortTime(letter.receivedAt)), ` from ${letter.source.kind}${letter.source.partition ? ` partition ${letter.source.partition}` : ''}`),
    el('ul', {}, Object.entries(letter.reasons).map(([field, messages]) => el('li', {}, el('code', {}, field), `: ${messages.join(' ')}`))),
    el('pre', {}, el('code', {}, letter.rawEncoding === 'base64' ? `(base64) ${letter.raw}` : letter.raw)))) : [el('li', { class: 'empty' }, 'No dead letters in the last two weeks.')]));
}

async function showCatalog() {
  const c = await api('/api/console/catalog');
  facts($('catalog'), [
    ['Items', String(c.items)], ['In stock', String(c.inStock)], ['Known to the served model', String(c.inModel)],
    ['Loaded', shortTime(c.loadedAt)], ['Items missing a translation', String(c.withoutTranslations)],
  ]);
  $('catalog-charts').replaceChildren(barChart({
    id: 'chart-languages', title: 'Titles per language', digits: 0, labels: c.languages.map(l => l.language),
    series: [{ name: 'with a title (source or translated)', values: c.languages.map(l => l.items) }, { name: 'missing a translation', values: c.languages.map(l => l.missing) }],
  }));
  $('untranslated').textContent = c.examplesWithoutTranslations.length ? `Without every translation, e.g.: ${c.examplesWithoutTranslations.join(', ')}` : 'Every item has a title in each language of its markets.';
}

async function start() {
  bindKeyField();
  $('version').addEventListener('change', showVersion);
  clearError($('error'));
  const results = await Promise.allSettled([showHealth(), showModels(), showOnline(), showIngestion(), showCatalog()]);
  const failed = results.find(r => r.status === 'rejected');
  if (failed) showError($('error'), failed.reason);
}

start();
