// A line of N points and a 40-bin histogram, as the report draws them.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
export function draw(el, xs, ys, binX, binY) {
  new uPlot({ width: 800, height: 240, series: [{}, { stroke: 'steelblue' }] }, [xs, ys], el);
  new uPlot({ width: 800, height: 240, series: [{}, { fill: 'steelblue', paths: uPlot.paths.bars({ size: [0.9] }) }] }, [binX, binY], el);
}
