// Job temp directories left by killed workers are removed at a worker's start; those of live worker
// processes sharing the data directory, and this process's own, stay.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jobsRoot, makeJobDir, removeStaleJobDirs } from '../../src/worker/job-dirs.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'job-dirs-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('removeStaleJobDirs', () => {
  it('removes the directories of dead processes and of an older naming, keeps live ones and its own', async () => {
    const root = jobsRoot(dataDir);
    mkdirSync(root, { recursive: true });
    const dead = spawnSync('true').pid;
    const live = spawn('sleep', ['30']);
    try {
      const dir = (name: string): string => {
        mkdirSync(path.join(root, name));
        return name;
      };
      const deadDir = dir(`j1.${dead}-abc123`);
      const oldNaming = dir('j2-abc123');
      const liveDir = dir(`j3.${live.pid!}-abc123`);
      const mine = path.basename(await makeJobDir(dataDir, 'j4'));
      // A directory with this process's id from before it started: a restarted container's pid 1.
      const previousLife = dir(`j5.${process.pid}-abc123`);
      const before = new Date(Date.now() - process.uptime() * 1000 - 60_000);
      utimesSync(path.join(root, previousLife), before, before);

      const removed = await removeStaleJobDirs(dataDir);
      expect(removed.sort()).toEqual([deadDir, oldNaming, previousLife].sort());
      for (const name of [deadDir, oldNaming, previousLife]) expect(existsSync(path.join(root, name))).toBe(false);
      for (const name of [liveDir, mine]) expect(existsSync(path.join(root, name))).toBe(true);
      expect(mine).toMatch(new RegExp(`^j4\\.${process.pid}-`));
    } finally {
      live.kill();
    }
  });

  it('does nothing when there is no jobs directory yet', async () => {
    expect(await removeStaleJobDirs(path.join(dataDir, 'nothing-here'))).toEqual([]);
  });
});
