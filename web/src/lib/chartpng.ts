// A chart as a PNG: the uPlot canvas drawn on the theme's background under
// its title, with a legend of the states it shows, at the canvas's own
// resolution. DOM only (canvas); the layout numbers are in chartPngLayout.

import { stateColor } from './states';

export interface ChartPngLayout {
  width: number;
  height: number;
  /** Top of the chart image. */
  chartY: number;
  /** Baseline of the title and of the legend. */
  titleY: number;
  legendY: number;
  pad: number;
  fontPx: number;
}

/** Where the parts go, for a chart canvas of w×h device pixels at ratio dpr. Pure. */
export function chartPngLayout(w: number, h: number, dpr: number): ChartPngLayout {
  const s = Math.max(1, dpr);
  const pad = Math.round(12 * s);
  const fontPx = Math.round(17 * s);
  const line = Math.round(fontPx * 1.5);
  const titleY = pad + fontPx;
  const chartY = pad + line;
  const legendY = chartY + h + pad + fontPx;
  return { width: w + 2 * pad, height: legendY + pad, chartY, titleY, legendY, pad, fontPx };
}

/** Renders the PNG of a chart canvas; resolves to its bytes. */
export function chartPng(canvas: HTMLCanvasElement, title: string, states: readonly string[]): Promise<Blob> {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  const dpr = canvas.width / Math.max(1, canvas.clientWidth || canvas.width);
  const L = chartPngLayout(canvas.width, canvas.height, dpr);
  const out = document.createElement('canvas');
  out.width = L.width;
  out.height = L.height;
  const ctx = out.getContext('2d');
  if (!ctx) return Promise.reject(new Error('no 2d canvas'));
  ctx.fillStyle = v('--surface', '#ffffff');
  ctx.fillRect(0, 0, L.width, L.height);
  const font = v('--font', 'sans-serif');
  ctx.fillStyle = v('--text', '#000000');
  ctx.font = `650 ${L.fontPx}px ${font}`;
  ctx.textBaseline = 'alphabetic';
  ctx.fillText(title, L.pad, L.titleY, L.width - 2 * L.pad);
  ctx.drawImage(canvas, L.pad, L.chartY);
  ctx.font = `${Math.round(L.fontPx * 0.85)}px ${font}`;
  let x = L.pad;
  const box = Math.round(L.fontPx * 0.7);
  for (const s of states) {
    ctx.fillStyle = stateColor(s);
    ctx.fillRect(x, L.legendY - box, box, box);
    x += box + L.pad / 2;
    ctx.fillStyle = v('--text', '#000000');
    ctx.fillText(s, x, L.legendY);
    x += ctx.measureText(s).width + L.pad * 1.5;
  }
  return new Promise((resolve, reject) => out.toBlob((b) => (b ? resolve(b) : reject(new Error('the browser made no PNG'))), 'image/png'));
}
