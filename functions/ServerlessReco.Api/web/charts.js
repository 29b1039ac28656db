// Charts drawn as SVG by the page itself: horizontal bars, one or more series per label. Every value is also
// written next to its bar and listed in the chart's description, so the numbers are readable without the picture.
'use strict';

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * barChart({title, labels, series: [{name, values, low, high}], digits}): a figure holding an SVG with one group of
 * bars per label; series get the classes series-0, series-1, ... (colours in ui.css). A series with low and high
 * (arrays like values) draws each bar's interval as a whisker: a rate without its uncertainty invites reading noise.
 */
function barChart({ title, labels, series, digits = 3, id }) {
  // Thinner bars when there are many, so a chart of forty languages still fits a screen.
  const many = labels.length * series.length > 40;
  const barHeight = many ? 8 : 16, gap = many ? 4 : 8, labelWidth = 340, plotWidth = 330, valueWidth = 70;
  const groupHeight = series.length * barHeight + gap;
  const legendHeight = series.length > 1 ? 24 : 0;
  const height = legendHeight + labels.length * groupHeight + 4;
  const width = labelWidth + plotWidth + valueWidth;
  const max = Math.max(1e-12, ...series.flatMap(s => [...s.values, ...(s.high || [])].filter(v => Number.isFinite(v))));
  const interval = (s, i) => s.low && s.high ? ` (95% interval ${formatNumber(s.low[i], digits)} to ${formatNumber(s.high[i], digits)})` : '';
  const description = labels.map((label, i) => `${label}: ${series.map(s => `${s.name} ${formatNumber(s.values[i], digits)}${interval(s, i)}`).join(', ')}`).join('; ');

  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-labelledby': `${id}-title ${id}-desc`, class: 'chart' });
  chart.append(svg('title', { id: `${id}-title` }, title), svg('desc', { id: `${id}-desc` }, description));
  if (series.length > 1) {
    series.forEach((s, j) => {
      const x = j === 0 ? 0 : labelWidth + (j - 1) * 230;
      chart.append(svg('rect', { x, y: 4, width: 12, height: 12, class: `series-${j}` }), svg('text', { x: x + 18, y: 14, class: 'legend' }, s.name));
    });
  }
  labels.forEach((label, i) => {
    const top = legendHeight + i * groupHeight;
    // A label longer than its column is cut; the whole of it is the text's tooltip and in the description.
    const shown = label.length > 48 ? `${label.slice(0, 47)}…` : label;
    const text = svg('text', { x: labelWidth - 8, y: top + (series.length * barHeight) / 2 + 4, 'text-anchor': 'end', class: 'label' }, shown);
    if (shown !== label) text.append(svg('title', {}, label));
    chart.append(text);
    series.forEach((s, j) => {
      const value = s.values[i];
      const y = top + j * barHeight;
      const w = Number.isFinite(value) ? Math.max(1, (value / max) * plotWidth) : 0;
      const bar = svg('rect', { x: labelWidth, y, width: w, height: barHeight - (many ? 1 : 3), class: `bar series-${j}`, 'data-value': value });
      bar.append(svg('title', {}, `${label}, ${s.name}: ${formatNumber(value, digits)}${interval(s, i)}`));
      chart.append(bar);
      let end = w;
      if (s.low && s.high && Number.isFinite(s.low[i]) && Number.isFinite(s.high[i])) {
        const middle = y + (barHeight - (many ? 1 : 3)) / 2, from = labelWidth + (s.low[i] / max) * plotWidth, to = labelWidth + (s.high[i] / max) * plotWidth;
        chart.append(svg('line', { x1: from, x2: to, y1: middle, y2: middle, class: 'interval', 'data-low': s.low[i], 'data-high': s.high[i] }),
          svg('line', { x1: from, x2: from, y1: middle - 4, y2: middle + 4, class: 'interval' }), svg('line', { x1: to, x2: to, y1: middle - 4, y2: middle + 4, class: 'interval' }));
        // The value goes past the whisker, where it cannot overlap it.
        end = Math.max(w, to - labelWidth);
      }
      chart.append(svg('text', { x: labelWidth + end + 4, y: y + barHeight - (many ? 1 : 5), class: many ? 'value small' : 'value' }, formatNumber(value, digits)));
    });
  });
  return el('figure', { id }, el('figcaption', {}, title), chart);
}
