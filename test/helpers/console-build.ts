import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConsole } from '../../console/build.js';

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
