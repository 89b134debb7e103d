import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { firstPageJs } from './budget.mjs';

describe('first page JS budget', () => {
  it('counts the entry and its static imports, not lazy chunks', () => {
    const dist = mkdtempSync(join(tmpdir(), 'bangui-budget-'));
    mkdirSync(join(dist, '.vite'));
    mkdirSync(join(dist, 'assets'));
    writeFileSync(join(dist, 'assets/index.js'), 'a'.repeat(1000));
    writeFileSync(join(dist, 'assets/shared.js'), 'b'.repeat(500));
    writeFileSync(join(dist, 'assets/Map.js'), 'c'.repeat(5000));
    writeFileSync(
      join(dist, '.vite/manifest.json'),
      JSON.stringify({
        'index.html': { file: 'assets/index.js', isEntry: true, imports: ['_shared.js'], dynamicImports: ['src/Map.tsx'], css: ['assets/index.css'] },
        '_shared.js': { file: 'assets/shared.js' },
        'src/Map.tsx': { file: 'assets/Map.js', isDynamicEntry: true, imports: ['_shared.js'] },
      }),
    );
    const r = firstPageJs(dist);
    expect(r.files).toEqual(['assets/index.js', 'assets/shared.js']);
    expect(r.rawBytes).toBe(1500);
    expect(r.gzipBytes).toBeGreaterThan(0);
    expect(r.gzipBytes).toBeLessThan(200);
  });
});
