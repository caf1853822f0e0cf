/// <reference lib="dom" />
// A live line chart in SVG: a fixed window of points per series, the y axis scaled to
// the largest value shown, and a text summary for screen readers.

const ns = 'http://www.w3.org/2000/svg';
const width = 600;
const height = 170;
const pad = { left: 44, right: 10, top: 12, bottom: 22 };

export interface Series { name: string; color: string; points: (number | undefined)[] }

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(ns, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

export class LiveChart {
  readonly element: HTMLElement;
  private readonly svg: SVGSVGElement;
  private readonly summary: HTMLElement;
  private readonly series: Series[];

  constructor(readonly title: string, names: { name: string; color: string }[], private readonly unit: string, private readonly capacity = 90, testid?: string) {
    this.series = names.map((n) => ({ ...n, points: [] }));
    this.svg = el('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title });
    this.summary = document.createElement('p');
    this.summary.className = 'chart-summary';
    const legend = document.createElement('ul');
    legend.className = 'legend';
    for (const s of this.series) {
      const li = document.createElement('li');
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.setProperty('background', s.color);
      li.append(swatch, s.name);
      legend.append(li);
    }
    const fig = document.createElement('figure');
    fig.className = 'chart';
    if (testid) fig.dataset.testid = testid;
    const cap = document.createElement('figcaption');
    cap.textContent = title;
    fig.append(cap, this.svg, legend, this.summary);
    this.element = fig;
    this.draw();
  }

  /** Adds one point per series (in the constructor's order). */
  push(values: (number | undefined)[]): void {
    this.series.forEach((s, i) => {
      s.points.push(values[i]);
      if (s.points.length > this.capacity) s.points.shift();
    });
    this.element.dataset.points = String(this.series[0]?.points.length ?? 0);
    this.draw();
  }

  /** Forgets every point (the chart starts over for another subject). */
  clear(): void {
    for (const s of this.series) s.points = [];
    this.element.dataset.points = '0';
    this.draw();
  }

  private format(v: number): string {
    return `${v >= 100 ? Math.round(v) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${this.unit}`;
  }

  private draw(): void {
    const max = niceMax(Math.max(0, ...this.series.flatMap((s) => s.points.filter((p): p is number => p !== undefined))));
    const w = width - pad.left - pad.right;
    const hgt = height - pad.top - pad.bottom;
    const x = (i: number) => pad.left + (w * i) / Math.max(1, this.capacity - 1);
    const y = (v: number) => pad.top + hgt - (hgt * v) / max;
    this.svg.replaceChildren();
    for (const f of [0, 0.5, 1]) {
      const v = max * f;
      this.svg.append(el('line', { x1: pad.left, x2: width - pad.right, y1: y(v), y2: y(v), class: 'grid-line' }));
      const t = el('text', { x: pad.left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' });
      t.textContent = v >= 100 ? String(Math.round(v)) : String(Number(v.toFixed(2)));
      this.svg.append(t);
    }
    const label = el('text', { x: pad.left, y: height - 4, class: 'axis' });
    label.textContent = `last ${this.capacity} samples · ${this.unit}`;
    this.svg.append(label);
    const parts: string[] = [];
    for (const s of this.series) {
      const offset = this.capacity - s.points.length;
      let d = '';
      s.points.forEach((p, i) => {
        if (p === undefined) return;
        d += `${d === '' || s.points[i - 1] === undefined ? 'M' : 'L'}${x(i + offset).toFixed(1)},${y(p).toFixed(1)}`;
      });
      if (d) this.svg.append(el('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 2, 'vector-effect': 'non-scaling-stroke' }));
      const last = [...s.points].reverse().find((p) => p !== undefined);
      parts.push(`${s.name}: ${last === undefined ? '—' : this.format(last)}`);
    }
    this.summary.textContent = parts.join(' · ');
  }
}
