// Horizontal bar charts in plain text: they read the same in a terminal and in Markdown.

export interface BarSeries {
  label: string;
  /** One value per row. */
  values: number[];
  /** The bar's character. */
  glyph: string;
}

/** Rows labelled `rowLabels`, one bar per series each, scaled to the largest value. */
export function barChart(
  rowTitle: string,
  rowLabels: string[],
  series: BarSeries[],
  widthMax = 48,
): string[] {
  const max = Math.max(...series.flatMap((s) => s.values), 1);
  const labelWidth = Math.max(rowTitle.length, ...rowLabels.map((l) => l.length));
  const lines = [
    `${rowTitle.padStart(labelWidth)}  ${series.map((s) => `${s.glyph} ${s.label}`).join('   ')}`,
  ];
  rowLabels.forEach((rowLabel, row) => {
    series.forEach((s, i) => {
      const value = s.values[row] ?? 0;
      const bar = s.glyph.repeat(Math.max(1, Math.round((value / max) * widthMax)));
      lines.push(
        `${(i === 0 ? rowLabel : '').padStart(labelWidth)}  ${bar} ${Math.round(value).toLocaleString('en-US')}`,
      );
    });
  });
  return lines;
}
