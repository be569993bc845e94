import '/work/main/dist/worker/engine/tfjs-setup.js';
import { activateBackend } from '/work/main/dist/worker/engine/backends/index.js';
import { measureThroughput } from '/work/main/dist/worker/engine/throughput.js';
await activateBackend('tensorflow');
const V = [['sgd',{}],['enhanced-sgd',{}],['enhanced-sgd',{controller:'seed'}]];
const res = {};
for (let r=0;r<6;r++) for (const [o,hp] of V) { const k=o+JSON.stringify(hp); (res[k]??=[]).push((await measureThroughput({seconds: 1.5, optimizer:o, hyperparameters: hp, warmupSteps: 3})).msPerStep); }
for (const k in res) { const a=[...res[k]].sort((x,y)=>x-y); console.log(k, 'median', a[3].toFixed(1), res[k].map(x=>x.toFixed(1)).join(' ')); }
const s=res['sgd{}']; for (const k in res) console.log(k, 'ratio per round', res[k].map((x,i)=>(x/s[i]).toFixed(2)).join(' '));
