// Each running job has a temp directory of its own under `<dataDir>/jobs`, named after the job and the
// worker process that runs it. The runner removes it in every outcome it sees; a worker killed outright
// (SIGKILL, a crash, the machine) sees none, so each worker's start removes the directories of
// processes that no longer run. Several worker processes may share one data directory: a directory of
// a live process is left alone.
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';

const DIR_NAME = /^(.+)\.(\d+)-[A-Za-z0-9]{6}$/;

export function jobsRoot(dataDir: string): string {
  return path.join(dataDir, 'jobs');
}

/** A new directory for one job of this process. */
export async function makeJobDir(dataDir: string, jobId: string): Promise<string> {
  const root = jobsRoot(dataDir);
  await mkdir(root, { recursive: true });
  return mkdtemp(path.join(root, `${jobId}.${process.pid}-`));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a directory was made by an earlier process that had this one's id (a restarted container's pid 1). */
async function olderThanThisProcess(dir: string): Promise<boolean> {
  const startedMs = Date.now() - process.uptime() * 1000;
  const made = await stat(dir).catch(() => undefined);
  return made !== undefined && made.mtimeMs < startedMs;
}

/**
 * Removes the job directories left by worker processes that are gone, and those of an older naming
 * (without a process id). Returns the names removed.
 */
export async function removeStaleJobDirs(dataDir: string): Promise<string[]> {
  const root = jobsRoot(dataDir);
  const names = await readdir(root).catch(() => [] as string[]);
  const stale: string[] = [];
  for (const name of names) {
    const m = DIR_NAME.exec(name);
    const pid = m ? Number(m[2]) : undefined;
    const gone = pid === undefined || (pid === process.pid ? await olderThanThisProcess(path.join(root, name)) : !isAlive(pid));
    if (gone) stale.push(name);
  }
  await Promise.all(stale.map((name) => rm(path.join(root, name), { recursive: true, force: true })));
  return stale;
}
