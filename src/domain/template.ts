// Media templates (ci-api.md section 4): Concat templates and Watermark templates, validated at the XML
// boundary like job bodies, and their PascalCase echo.
import { concatTemplateToXml, parseConcatTemplate } from '../wire/concat-request.js';
import { parseWatermark, watermarkToXml } from '../wire/watermark.js';
import type { ConcatTemplate, Watermark } from './concat-types.js';
import { formatCiTime } from './time.js';
import { ValidationError } from './validation-error.js';

export const TEMPLATE_TAGS = ['Concat', 'Watermark'] as const;
export type TemplateTag = (typeof TEMPLATE_TAGS)[number];

/** A template body: the part that create and update replace. */
export type TemplateBody =
  | { tag: 'Concat'; name: string; concatTemplate: ConcatTemplate }
  | { tag: 'Watermark'; name: string; watermark: Watermark };

export type TemplateRecord = TemplateBody & {
  templateId: string;
  bucket: string;
  createMs: number;
  updateMs: number;
};

/** Chinese, English letters, digits, `_`, `-` and `*`; at most 64 characters. */
const NAME = /^[\p{Script=Han}A-Za-z0-9_*-]{1,64}$/u;

function text(tree: Record<string, unknown>, name: string): string | undefined {
  const v = tree[name];
  if (v === undefined) return undefined;
  if (typeof v === 'object') throw new ValidationError(`Request.${name}`, 'must be a single text element');
  return String(v).trim();
}

export function parseTemplateRequest(tree: Record<string, unknown>): TemplateBody {
  const tag = text(tree, 'Tag');
  if (tag === undefined || tag === '') throw new ValidationError('Request.Tag', `is required (one of [${TEMPLATE_TAGS.join(', ')}])`);
  if (!(TEMPLATE_TAGS as readonly string[]).includes(tag)) {
    throw new ValidationError('Request.Tag', `must be one of [${TEMPLATE_TAGS.join(', ')}], got ${JSON.stringify(tag)}`);
  }
  const name = text(tree, 'Name');
  if (name === undefined || name === '') throw new ValidationError('Request.Name', 'is required');
  if (!NAME.test(name)) {
    throw new ValidationError('Request.Name', `must be 1 to 64 Chinese characters, letters, digits, _, - or *, got ${JSON.stringify(name)}`);
  }
  if (tag === 'Concat') {
    if (tree.ConcatTemplate === undefined) throw new ValidationError('Request.ConcatTemplate', 'is required for a Concat template');
    return { tag, name, concatTemplate: parseConcatTemplate(tree.ConcatTemplate, 'Request.ConcatTemplate') };
  }
  if (tree.Watermark === undefined) throw new ValidationError('Request.Watermark', 'is required for a Watermark template');
  return { tag: 'Watermark', name, watermark: parseWatermark(tree.Watermark, 'Request.Watermark') };
}

export function templateToXml(t: TemplateRecord): Record<string, unknown> {
  return {
    TemplateId: t.templateId,
    Tag: t.tag,
    Name: t.name,
    BucketId: t.bucket,
    Category: 'Custom',
    ...(t.tag === 'Concat' ? { ConcatTemplate: concatTemplateToXml(t.concatTemplate) } : { Watermark: watermarkToXml(t.watermark) }),
    CreateTime: formatCiTime(t.createMs),
    UpdateTime: formatCiTime(t.updateMs),
  };
}
