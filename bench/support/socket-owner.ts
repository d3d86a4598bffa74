import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * Which process holds a TCP connection, from Linux's `/proc`: the kernel's socket tables name each socket's local
 * port and inode, and `/proc/<pid>/fd` links name the inodes a process holds. The fleet benchmark uses it to find
 * the gateway reading a stream: the Kinesis emulator reports the caller port of each open GetMedia
 * (`GET /_emulator/sessions`), and the gateway holding that port is the reader lease holder.
 */

/**
 * Inodes of the sockets bound to local `port` in a `/proc/net/tcp`-format table (`sl local_address rem_address st
 * ... inode`, addresses as `HEXIP:HEXPORT`). Pure.
 */
export function socketInodesOnLocalPort(table: string, port: number): string[] {
  const inodes: string[] = [];
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    const inode = fields[9];
    if (local === undefined || inode === undefined || inode === '0') continue;
    const hexPort = local.slice(local.lastIndexOf(':') + 1);
    if (Number.parseInt(hexPort, 16) === port) inodes.push(inode);
  }
  return inodes;
}

/** Socket inodes `pid` holds open (`socket:[123]` links in `/proc/<pid>/fd`); empty when the process is gone. */
function socketInodesOf(pid: number): Set<string> {
  const inodes = new Set<string>();
  let entries: string[];
  try {
    entries = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const entry of entries) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${entry}`);
    } catch {
      // The descriptor closed between listing and reading: it cannot be the one we look for.
      continue;
    }
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match?.[1] !== undefined) inodes.add(match[1]);
  }
  return inodes;
}

/**
 * The one process among `pids` holding a socket bound to local `port` (IPv4 or IPv6), or undefined.
 * @throws Error when `/proc/net/tcp` cannot be read (not Linux).
 */
export function pidHoldingLocalPort(port: number, pids: readonly number[]): number | undefined {
  const tables = [readFileSync('/proc/net/tcp', 'utf8')];
  try {
    tables.push(readFileSync('/proc/net/tcp6', 'utf8'));
  } catch {
    // A kernel without IPv6 has no tcp6 table; loopback traffic is then IPv4 only.
  }
  const wanted = new Set(tables.flatMap((table) => socketInodesOnLocalPort(table, port)));
  if (wanted.size === 0) return undefined;
  return pids.find((pid) => [...socketInodesOf(pid)].some((inode) => wanted.has(inode)));
}
