// A real browser for playback tests: the system's chromium (Debian's package; CHROMIUM_PATH overrides),
// headless, driven through playwright-core (no browser download), with a fresh profile and nothing that
// reaches the network; and a local HTTP server that answers Range requests, as a <video> element needs to
// read an MP4 index and seek. The page it loads is browser-player.html (its playToEnd does the playing).
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, createReadStream } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

const PLAYER_HTML = readFileSync(new URL('./browser-player.html', import.meta.url), 'utf8');

const TYPES: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.ts': 'video/mp2t',
  '.m3u8': 'application/vnd.apple.mpegurl',
};

/** What the <video> element saw, from browser-player.html. */
export interface Playback {
  outcome: 'ended' | 'error' | 'timeout';
  /** HTMLMediaElement.error: null unless the browser gave up on the file. */
  error: { code: number; message: string } | null;
  duration: number;
  currentTime: number;
  videoWidth: number;
  videoHeight: number;
  /** getVideoPlaybackQuality().totalVideoFrames: in Chromium, every picture its decoder produced
   * (presented or dropped); after playing to the end, the file's frame count. */
  decodedFrames: number | null;
  /** Decoded but not shown because the renderer was behind (many at a high playbackRate). */
  droppedFrames: number | null;
  corruptedFrames: number | null;
  /** requestVideoFrameCallback calls: pictures composited to the screen, at most decoded - dropped. */
  presentedFrames: number | null;
  lastPresentedMediaTime: number | null;
  /** The element's events with the position each fired at, for failure messages. */
  events: string[];
}

export interface MediaServer {
  /** http://127.0.0.1:<port>/ */
  url: string;
  close(): Promise<void>;
}

/** Serves the player page at "/" and the files in `dir` by name, with single byte-range support. */
export async function serveMedia(dir: string): Promise<MediaServer> {
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').split('?')[0]!.slice(1));
    if (name === '') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PLAYER_HTML);
      return;
    }
    const file = path.join(dir, path.basename(name));
    if (!existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const size = statSync(file).size;
    const headers = { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'accept-ranges': 'bytes' };
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    if (!range || (range[1] === '' && range[2] === '')) {
      res.writeHead(200, { ...headers, 'content-length': size });
      createReadStream(file).pipe(res);
      return;
    }
    // "bytes=a-b", "bytes=a-" or the suffix form "bytes=-n" (the last n bytes).
    const start = range[1] === '' ? Math.max(0, size - Number(range[2])) : Number(range[1]);
    const end = range[1] !== '' && range[2] !== '' ? Math.min(Number(range[2]), size - 1) : size - 1;
    if (start > end || start >= size) {
      res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
      return;
    }
    res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': end - start + 1 });
    createReadStream(file, { start, end }).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Browser {
  page: Page;
  close(): Promise<void>;
}

/** Starts headless chromium with a fresh profile; fails with what to install when it is missing.
 * `httpCredentials` answers HTTP basic-auth challenges, as a user does at the browser's prompt. */
export async function launchChromium(opts: { httpCredentials?: { username: string; password: string } } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `chromium is not installed at ${CHROMIUM_PATH}: the browser playback test needs it. Run scripts/ensure-deps.sh ` +
        `(as root it installs Debian's "chromium" package; otherwise it prints the apt-get command), or set CHROMIUM_PATH.`,
    );
  }
  const profile = mkdtempSync(path.join(tmpdir(), 'chromium-profile-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 640, height: 360 },
      httpCredentials: opts.httpCredentials,
    });
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    page,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Plays `fileUrl` on the player page (which `page` must have loaded) to its end, muted, at `rate`. */
export async function playToEnd(page: Page, fileUrl: string, opts: { rate?: number; timeoutMs?: number } = {}): Promise<Playback> {
  const rate = opts.rate ?? 16;
  const timeoutMs = opts.timeoutMs ?? 20_000;
  return page.evaluate<Playback>(`window.playToEnd(${JSON.stringify(fileUrl)}, ${rate}, ${timeoutMs})`);
}
