// Process plumbing shared by the entry points: read the config (printing every bad variable), and stop
// what was started, in reverse order, on SIGINT/SIGTERM.
import { ConfigError, loadConfig, type Config } from './config.js';

export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nSee README.md, "Configuration".\n`);
      process.exit(2);
    }
    throw err;
  }
}

type Stop = () => Promise<void>;

export function stopOnSignals(stops: Stop[], log: (msg: string) => void): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      log(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log(`${signal}: stopping`);
    void (async () => {
      for (const stop of [...stops].reverse()) {
        try {
          await stop();
        } catch (err) {
          log(`error while stopping: ${(err as Error).message}`);
        }
      }
      log('stopped');
      process.exit(0);
    })();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
