/**
 * The chart of `npm run bench`: a hand-written SVG with two panels, tokens/s
 * per scenario and the p50/p90/p99 latencies per scenario (log scale).
 */

export interface ChartRow {
  readonly label: string;
  readonly tokensPerSecond: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

const escapeXml = (text: string): string => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
const fmt = (value: number): string =>
  value >= 100 || value === 0 ? Math.round(value).toLocaleString('en-US') : value >= 10 ? value.toFixed(1) : value.toFixed(2);

export function renderChart(rows: readonly ChartRow[], title: string): string {
  const width = 960;
  const panelHeight = 260;
  const left = 70;
  const right = 20;
  const top = 50;
  const gap = 90;
  const plotWidth = width - left - right;
  const slot = plotWidth / Math.max(1, rows.length);
  const height = top + 2 * panelHeight + gap + 70;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="${width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(title)}</text>`);

  // Panel 1: tokens/s, linear.
  const maxTps = Math.max(1, ...rows.map((row) => row.tokensPerSecond));
  const niceMax = niceCeil(maxTps);
  const y1 = (value: number): number => top + panelHeight - (value / niceMax) * panelHeight;
  out.push(`<text x="${left}" y="${top - 10}" font-weight="bold">tokens/s (higher is better)</text>`);
  for (let i = 0; i <= 5; i++) {
    const value = (niceMax * i) / 5;
    out.push(`<line x1="${left}" x2="${width - right}" y1="${y1(value)}" y2="${y1(value)}" stroke="#ddd"/>`);
    out.push(`<text x="${left - 6}" y="${y1(value) + 4}" text-anchor="end">${fmt(value)}</text>`);
  }
  rows.forEach((row, i) => {
    const x = left + i * slot + slot * 0.2;
    const w = slot * 0.6;
    const y = y1(row.tokensPerSecond);
    out.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${(top + panelHeight - y).toFixed(1)}" fill="#4878a8"/>`);
    out.push(`<text x="${(x + w / 2).toFixed(1)}" y="${(y - 4).toFixed(1)}" text-anchor="middle">${fmt(row.tokensPerSecond)}</text>`);
    out.push(`<text x="${(left + i * slot + slot / 2).toFixed(1)}" y="${top + panelHeight + 16}" text-anchor="middle">${escapeXml(row.label)}</text>`);
  });

  // Panel 2: latency percentiles, log scale.
  const top2 = top + panelHeight + gap;
  const values = rows.flatMap((row) => [row.p50, row.p90, row.p99]).filter((value) => value > 0);
  const lo = Math.floor(Math.log10(Math.max(0.1, Math.min(1, ...values))));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(1, ...values))));
  const y2 = (value: number): number => top2 + panelHeight - ((Math.log10(Math.max(value, 10 ** lo)) - lo) / (hi - lo)) * panelHeight;
  out.push(`<text x="${left}" y="${top2 - 10}" font-weight="bold">latency, ms (log scale, lower is better): p50, p90, p99</text>`);
  for (let e = lo; e <= hi; e++) {
    const value = 10 ** e;
    out.push(`<line x1="${left}" x2="${width - right}" y1="${y2(value)}" y2="${y2(value)}" stroke="#ddd"/>`);
    out.push(`<text x="${left - 6}" y="${y2(value) + 4}" text-anchor="end">${value >= 1 ? value : value.toFixed(1)}</text>`);
  }
  const colors = ['#7fb3d5', '#2e86c1', '#1b4f72'];
  rows.forEach((row, i) => {
    const w = (slot * 0.7) / 3;
    [row.p50, row.p90, row.p99].forEach((value, k) => {
      const x = left + i * slot + slot * 0.15 + k * w;
      const y = y2(value);
      out.push(
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(w - 1).toFixed(1)}" height="${(top2 + panelHeight - y).toFixed(1)}" fill="${colors[k]}"><title>${escapeXml(row.label)} p${[50, 90, 99][k]}: ${fmt(value)} ms</title></rect>`,
      );
    });
    out.push(`<text x="${(left + i * slot + slot / 2).toFixed(1)}" y="${(y2(row.p99) - 4).toFixed(1)}" text-anchor="middle">${fmt(row.p99)}</text>`);
    out.push(`<text x="${(left + i * slot + slot / 2).toFixed(1)}" y="${top2 + panelHeight + 16}" text-anchor="middle">${escapeXml(row.label)}</text>`);
  });
  const legendY = top2 + panelHeight + 40;
  ['p50', 'p90', 'p99'].forEach((name, k) => {
    const x = left + k * 80;
    out.push(`<rect x="${x}" y="${legendY - 10}" width="12" height="12" fill="${colors[k]}"/><text x="${x + 16}" y="${legendY}">${name}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function niceCeil(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
    if (step * magnitude >= value) return step * magnitude;
  }
  return 10 * magnitude;
}
