// Media templates (docs/ci-api.md 4): Concat templates and Watermark templates as the engine
// keeps them. Their XML body and echo are in wire/template.ts.
import type { ConcatTemplate, Watermark } from './concat-types.js';

export const TEMPLATE_TAGS = ['Concat', 'Watermark'] as const;
export type TemplateTag = (typeof TEMPLATE_TAGS)[number];

/** A template body: the part that create and update replace. */
export type TemplateBody =
  { tag: 'Concat'; name: string; concatTemplate: ConcatTemplate } | { tag: 'Watermark'; name: string; watermark: Watermark };

export type TemplateRecord = TemplateBody & {
  templateId: string;
  bucket: string;
  createMs: number;
  updateMs: number;
};
