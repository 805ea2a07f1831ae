// Media template bodies (docs/ci-api.md 4): Concat and Watermark templates, read like job
// bodies (their ConcatTemplate and Watermark elements are the job's), and their PascalCase echo.
// The Tag and Name are read trimmed, an empty element meaning absent, before the body they select.
import type { ConcatTemplate, Watermark } from '../domain/concat-types.js';
import { TEMPLATE_TAGS, type TemplateBody, type TemplateRecord, type TemplateTag } from '../domain/template.js';
import { formatCiTime } from '../domain/time.js';
import { ValidationError } from '../domain/validation-error.js';
import { concatTemplateToXml, CONCAT_TEMPLATE } from './concat-request.js';
import { container, readTree, trimmed, trimmedOneOf, type Element, type Reader, type Tree } from './read.js';
import { WATERMARK, watermarkToXml } from './watermark.js';

/** Chinese, English letters, digits, `_`, `-` and `*`; at most 64 characters. */
const NAME = /^[\p{Script=Han}A-Za-z0-9_*-]{1,64}$/u;

function templateName(): Reader<string | undefined> {
  const asText = trimmed();
  return (value, path) => {
    const name = asText(value, path);
    if (name !== undefined && !NAME.test(name)) {
      throw new ValidationError(path, `must be 1 to 64 Chinese characters, letters, digits, _, - or *, got ${JSON.stringify(name)}`);
    }
    return name;
  };
}

interface TemplateFields {
  tag: TemplateTag;
  name: string;
  concatTemplate?: ConcatTemplate;
  watermark?: Watermark;
}

const TEMPLATE_BODY: Element<TemplateFields> = {
  order: 'rows',
  rows: [
    { xml: 'Tag', key: 'tag', read: trimmedOneOf(TEMPLATE_TAGS), required: `one of [${TEMPLATE_TAGS.join(', ')}]`, echo: 'ifSet' },
    { xml: 'Name', key: 'name', read: templateName(), required: true, echo: 'ifSet' },
    {
      xml: 'ConcatTemplate',
      key: 'concatTemplate',
      read: container(CONCAT_TEMPLATE),
      echo: 'ifSet',
      when: (t) => t.tag === 'Concat',
      required: { problem: 'is required for a Concat template' },
    },
    {
      xml: 'Watermark',
      key: 'watermark',
      read: container(WATERMARK),
      echo: 'ifSet',
      when: (t) => t.tag === 'Watermark',
      required: { problem: 'is required for a Watermark template' },
    },
  ],
};

export function parseTemplateRequest(tree: Tree): TemplateBody {
  const t = readTree(TEMPLATE_BODY, tree, 'Request');
  if (t.tag === 'Concat') return { tag: 'Concat', name: t.name, concatTemplate: t.concatTemplate! };
  return { tag: 'Watermark', name: t.name, watermark: t.watermark! };
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
