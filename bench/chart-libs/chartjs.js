import { Chart, LineController, LineElement, PointElement, LinearScale, BarController, BarElement, CategoryScale, Tooltip } from 'chart.js';
Chart.register(LineController, LineElement, PointElement, LinearScale, BarController, BarElement, CategoryScale, Tooltip);
export function draw(el, xs, ys, binX, binY) {
  const c1 = document.createElement('canvas');
  const c2 = document.createElement('canvas');
  el.append(c1, c2);
  c1.width = c2.width = 800;
  c1.height = c2.height = 240;
  const data = Array.from(xs, (x, i) => ({ x, y: ys[i] }));
  new Chart(c1, {
    type: 'line',
    data: { datasets: [{ data, pointRadius: 0, borderWidth: 1 }] },
    options: { animation: false, responsive: false, parsing: false, normalized: true, scales: { x: { type: 'linear' } } },
  });
  new Chart(c2, { type: 'bar', data: { labels: Array.from(binX), datasets: [{ data: Array.from(binY) }] }, options: { animation: false, responsive: false } });
}
