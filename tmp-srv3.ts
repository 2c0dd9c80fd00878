import Fastify from 'fastify';
import { ServeApp } from './src/serve/index.js';
const mode = process.argv[2];
let n = 0; let url: string; let close: () => Promise<void>;
if (mode === 'bare') { const app = Fastify(); app.post('/v1/allocate', async () => { n++; return { model: 'bare', allocations: [{ shares: [0.3, 0.3, 0.3], admmIterations: 1, converged: true, guardCorrection: 0 }] }; }); url = await app.listen({ port: 18183, host: '127.0.0.1' }); close = () => app.close(); }
else { const s = await ServeApp.create({ policy: 'checkpoint:/tmp/serve-runs/td3', processMetrics: process.env.PM !== '0' }); s.app.server.on('request', () => n++); url = await s.listen(18183, '127.0.0.1'); close = () => s.close(); }
console.log('url', url);
process.on('SIGTERM', () => { console.log('n', n); void close().then(() => process.exit(0)); });
