import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A benchmark's own temp dir, marked with its pid. Dirs of earlier runs that were killed outright
 * (SIGKILL, a crash), whose pid is gone, are removed first; `stale` says how many.
 */
export function makeTempDir(prefix: string): { dir: string; stale: number } {
  let stale = 0;
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (!name.startsWith(prefix)) continue;
    const dir = path.join(os.tmpdir(), name);
    let pid: number;
    try {
      pid = Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8'));
    } catch {
      continue;
    }
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') continue;
      fs.rmSync(dir, { recursive: true, force: true });
      stale++;
    }
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.writeFileSync(path.join(dir, 'pid'), String(process.pid));
  return { dir, stale };
}
