// The one list of a Concat job's media inputs: the fragments and the Input in playing order, the
// background music (AudioMix / AudioMixArray), and the images of Image watermarks. Each entry knows
// its role, the field messages name, where it lives and the local name it is fetched to; once fetched
// and probed it also carries its file and probe, and the planner's inputs are plain maps of the list.
import path from 'node:path';
import type { ConcatFragment, ConcatJobRequest, ConcatTemplate, Watermark } from '../domain/concat-types.js';
import type { PlanBgmSource, PlanSource, PlanWatermark } from '../media/plan.js';
import type { MediaProbe } from '../media/probe.js';
import type { SourceRef } from '../storage/resolve-url.js';

export interface JobInput {
  role: 'fragment' | 'bgm' | 'mark';
  /** The request field a refused URL is reported against. */
  field: string;
  ref: SourceRef;
  /** The local file name without its extension: in-N, bgm-N, wm-N. */
  name: string;
  /** role 'fragment': the ConcatFragment it comes from (none for the job's Input). */
  fragment?: ConcatFragment;
  /** role 'mark': the watermark's index in the job's watermark list. */
  watermark?: number;
}

export interface FetchedInput extends JobInput {
  file: string;
  /** The object key found (the URL's path for an HTTP source): how messages name the file. */
  key: string;
  bytes: number;
  probe: MediaProbe;
}

/**
 * The sources in playing order: fragments with Mode Start, then the Input, then Mode End (the template
 * way); otherwise the Input at Index (default 0) among the fragments (already ordered by FragmentIndex).
 */
function orderSources(request: ConcatJobRequest, template: ConcatTemplate): { field: string; url: string; fragment?: ConcatFragment }[] {
  const fragments = template.fragments.map((f, i) => ({ field: `ConcatFragment[${i}].Url`, url: f.url, fragment: f }));
  const input = request.input ? [{ field: 'Input.Object', url: request.input.object }] : [];
  if (template.fragments.some((f) => f.mode !== undefined)) {
    return [...fragments.filter((f) => f.fragment.mode !== 'End'), ...input, ...fragments.filter((f) => f.fragment.mode === 'End')];
  }
  const at = Math.min(template.index ?? 0, fragments.length);
  return [...fragments.slice(0, at), ...input, ...fragments.slice(at)];
}

/**
 * Every input of the job, in fetch order: sources, background music, watermark images. `resolve`
 * turns a URL into a source reference or throws the failure naming the field.
 */
export function jobInputsOf(
  request: ConcatJobRequest,
  template: ConcatTemplate,
  watermarks: readonly Watermark[],
  resolve: (field: string, url: string) => SourceRef,
): JobInput[] {
  const sources = orderSources(request, template).map((s, i): JobInput => ({
    role: 'fragment',
    field: s.field,
    ref: resolve(s.field, s.url),
    name: `in-${i}`,
    ...(s.fragment ? { fragment: s.fragment } : {}),
  }));
  const mixes = template.audio?.remove === true ? [] : template.audioMix ? [template.audioMix] : template.audioMixArray;
  // Refusals of a background-music URL name the AudioSource field alone, whichever container holds it.
  const bgm = mixes.map((m, i): JobInput => ({
    role: 'bgm',
    field: 'AudioSource',
    ref: resolve('AudioSource', m.audioSource),
    name: `bgm-${i}`,
  }));
  const marks = watermarks.flatMap((w, i): JobInput[] => {
    if (w.type !== 'Image' || !w.image) return [];
    const field = `Watermark[${i}].Image.Url`;
    return [{ role: 'mark', field, ref: resolve(field, w.image.url), name: `wm-${i}`, watermark: i }];
  });
  return [...sources, ...bgm, ...marks];
}

/** The local file an input is fetched to: its name plus the source's extension, so probing and muxers see the real kind. */
export function localFileOf(input: JobInput, dir: string): string {
  const source = input.ref.kind === 'object' ? (input.ref.ref.keys[0] ?? '') : new URL(input.ref.url).pathname;
  const ext = path.posix
    .extname(source)
    .replace(/[^A-Za-z0-9.]/g, '')
    .slice(0, 8);
  return path.join(dir, `${input.name}${ext}`);
}

/** The planner's inputs, straight from the fetched list. */
export function planInputsOf(
  fetched: readonly FetchedInput[],
  watermarks: readonly Watermark[],
): { sources: PlanSource[]; bgm: PlanBgmSource[]; marks: PlanWatermark[] } {
  const sources = fetched
    .filter((f) => f.role === 'fragment')
    .map((f): PlanSource => ({
      path: f.file,
      label: f.key,
      probe: f.probe,
      startTime: f.fragment?.startTime,
      endTime: f.fragment?.endTime,
    }));
  const bgm = fetched.filter((f) => f.role === 'bgm').map((f): PlanBgmSource => ({ path: f.file, label: f.key, probe: f.probe }));
  const images = new Map(fetched.filter((f) => f.role === 'mark').map((f) => [f.watermark, f]));
  const marks = watermarks.map((watermark, i): PlanWatermark => {
    const f = images.get(i);
    return { watermark, label: `Watermark[${i}]`, ...(f ? { image: { path: f.file, label: f.key, probe: f.probe } } : {}) };
  });
  return { sources, bgm, marks };
}
