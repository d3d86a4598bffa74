import { copyFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));

/** Where `npm run build` writes the console: `dist/console/` of the repository (the gateway serves it from there). */
export const CONSOLE_OUT_DIR = join(here, '..', 'dist', 'console');

/**
 * Bundles the console (React, uPlot, graphql-ws and our sources) into `outDir`: `index.html` plus `assets/app.js` and
 * `assets/app.css`, minified, with no external references, so the page works offline. Replaces whatever was there.
 * @throws esbuild's error when a source does not compile.
 */
export async function buildConsole(outDir: string = CONSOLE_OUT_DIR): Promise<void> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(join(outDir, 'assets'), { recursive: true });
  await build({
    entryPoints: { app: join(here, 'src', 'main.tsx') },
    outdir: join(outDir, 'assets'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    jsx: 'automatic',
    tsconfig: join(here, 'tsconfig.json'),
    define: { 'process.env.NODE_ENV': '"production"' },
    legalComments: 'none',
    logLevel: 'warning',
  });
  await copyFile(join(here, 'index.html'), join(outDir, 'index.html'));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildConsole();
}
