import * as Plot from '@observablehq/plot';
export function draw(el, xs, ys, binX, binY) {
  const data = Array.from(xs, (x, i) => ({ x, y: ys[i] }));
  el.append(Plot.plot({ width: 800, height: 240, marks: [Plot.line(data, { x: 'x', y: 'y' })] }));
  const bins = Array.from(binX, (x, i) => ({ x, y: binY[i] }));
  el.append(Plot.plot({ width: 800, height: 240, marks: [Plot.rectY(bins, { x1: 'x', x2: (d) => d.x + 1, y: 'y' })] }));
}
