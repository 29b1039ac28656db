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
 * barChart({title, labels, series: [{name, values}], digits}): a figure holding an SVG with one group of bars
 * per label; series get the classes series-0, series-1, ... (colours in ui.css).
 */
function barChart({ title, labels, series, digits = 3, id }) {
  // Thinner bars when there are many, so a chart of forty languages still fits a screen.
  const many = labels.length * series.length > 40;
  const barHeight = many ? 8 : 16, gap = many ? 4 : 8, labelWidth = 340, plotWidth = 330, valueWidth = 70;
  const groupHeight = series.length * barHeight + gap;
  const legendHeight = series.length > 1 ? 24 : 0;
  const height = legendHeight + labels.length * groupHeight + 4;
  const width = labelWidth + plotWidth + valueWidth;
  const max = Math.max(1e-12, ...series.flatMap(s => s.values.filter(v => Number.isFinite(v))));
  const description = labels.map((label, i) => `${label}: ${series.map(s => `${s.name} ${formatNumber(s.values[i], digits)}`).join(', ')}`).join('; ');

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
      bar.append(svg('title', {}, `${label}, ${s.name}: ${formatNumber(value, digits)}`));
      chart.append(bar, svg('text', { x: labelWidth + w + 4, y: y + barHeight - (many ? 1 : 5), class: many ? 'value small' : 'value' }, formatNumber(value, digits)));
    });
  });
  return el('figure', { id }, el('figcaption', {}, title), chart);
}
