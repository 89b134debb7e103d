// Writes a gzip twin (`app.js.gz`) beside every text file of the build that gzip makes
// smaller, so the agent and the edge's `ui` component can send it as it is to a browser that
// reads gzip (bangui_shared::static_files) instead of compressing on every request.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, extname } from 'node:path';
import { gzipSync, constants } from 'node:zlib';

const DIST = new URL('../dist/', import.meta.url).pathname;
// The same text types static_files serves; images and fonts are compressed already.
const TEXT = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.svg', '.txt', '.xml', '.webmanifest', '.wasm']);
// Below one packet, gzip saves nothing worth a second file.
const MIN_BYTES = 1024;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue; // build metadata (.vite/), never served
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

let raw = 0;
let packed = 0;
let written = 0;
for (const path of files(DIST)) {
  if (!TEXT.has(extname(path).toLowerCase())) continue;
  const body = readFileSync(path);
  if (body.length < MIN_BYTES) continue;
  const gz = gzipSync(body, { level: constants.Z_BEST_COMPRESSION });
  if (gz.length >= body.length) continue;
  writeFileSync(`${path}.gz`, gz);
  raw += body.length;
  packed += gz.length;
  written += 1;
}
console.log(`precompress: ${written} files, ${(raw / 1024).toFixed(1)} KB -> ${(packed / 1024).toFixed(1)} KB gzip`);
