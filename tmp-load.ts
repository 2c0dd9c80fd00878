import { createRequire } from 'node:module';
const autocannon = createRequire(import.meta.url)('autocannon');
const row = [0.33,5,20,40,0.5,3,10,4,100,2,100,1];
const url = process.argv[2];
const r = await autocannon({ url, method: 'POST', headers: {'content-type':'application/json'}, body: JSON.stringify({ cells: [[row,row,row]] }), connections: 8, duration: 6 });
console.log('rps', r.requests.average, 'non2xx', r.non2xx);
