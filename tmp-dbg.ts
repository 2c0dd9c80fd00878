import { ServeApp } from './src/serve/index.js';
const s = await ServeApp.create({ policy: 'checkpoint:/tmp/serve-runs/td3', processMetrics: false });
const ex = [0, -0, 1, -1, 3.4e38, -3.4e38, 1e-45, 1e30, -1e30, 0.5, 0.49999997, 15, 1e6];
for (const v of ex) {
  const row = new Array(12).fill(v); row[11] = 1;
  const r = await s.app.inject({ method: 'POST', url: '/v1/allocate', payload: { cells: [[row, row, row]] } });
  console.log(v, r.statusCode, r.body.slice(0, 150));
}
await s.close();
