import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConsole } from '../../console/build.js';
import { startGateway, type Gateway } from '../../src/server/gateway.js';
import { quietLogger, testGatewayConfig } from './gateway.js';

let building: Promise<string> | undefined;

/**
 * The directory of a console build of this test file's own (made on first call, in a temporary directory), for
 * `startGateway`'s `consoleDirectory`. Test files run side by side; a shared `dist/console/` would be replaced under
 * one file's gateway by another file's build. {@link removeConsoleBuild} deletes it.
 */
export function consoleBuildDirectory(): Promise<string> {
  building ??= (async () => {
    const directory = await mkdtemp(join(tmpdir(), 'media-graph-console-'));
    await buildConsole(directory);
    return directory;
  })();
  return building;
}

/** Deletes this file's console build, if one was made. */
export async function removeConsoleBuild(): Promise<void> {
  const made = building;
  building = undefined;
  if (made !== undefined) await rm(await made, { recursive: true, force: true });
}

/**
 * Starts a gateway on its embedded emulators (seeded with the demo data unless `seedDemo` is false) that serves this
 * file's console build at `/console/`, configured by {@link testGatewayConfig} with `env`; the caller closes it.
 * @throws what the console build, `loadConfig` or `startGateway` throws.
 */
export async function startConsoleGateway(env: Record<string, string> = {}, { seedDemo = true }: { readonly seedDemo?: boolean } = {}): Promise<Gateway> {
  return startGateway(testGatewayConfig(env), { consoleDirectory: await consoleBuildDirectory(), seedDemo, logger: quietLogger() });
}

/** Where the console tests put their screenshots (gitignored); docs/console.png is a copy of the Streams one. */
export const CONSOLE_SCREENSHOTS = join(import.meta.dirname, '..', '..', 'test-results', 'console');

/** Makes {@link CONSOLE_SCREENSHOTS} if it is missing. */
export async function makeScreenshotDirectory(): Promise<void> {
  await mkdir(CONSOLE_SCREENSHOTS, { recursive: true });
}
