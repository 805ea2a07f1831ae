// The Watermark element (docs/ci-api.md 1.4): inline in a Concat job's Operation and the body of a
// Watermark template. One row per CI element; the offset, image size and text rules are its checks.
import {
  FONT_TYPES,
  IMAGE_MODES,
  LOC_MODES,
  SLIDE_MODES,
  WATERMARK_POSITIONS,
  WATERMARK_TYPES,
  type SlideConfig,
  type Watermark,
  type WatermarkImage,
  type WatermarkText,
} from '../domain/concat-types.js';
import { ValidationError } from '../domain/validation-error.js';
import {
  bool,
  container,
  echoElement,
  fail,
  float,
  inRange,
  int,
  listText,
  nonEmpty,
  oneOf,
  pattern,
  rangeText,
  text,
  type Element,
  type Range,
  type Reader,
} from './read.js';

const MAX_TEXT = 64;
const FONT_COLOR = /^0x[0-9a-fA-F]{6}$/;
/** Chinese (Han) characters, ASCII letters, digits, `_`, `-` and `*`. */
const WATERMARK_TEXT = /^[\p{Script=Han}A-Za-z0-9_*-]+$/u;
const TEXT_RULE = `1 to ${MAX_TEXT} characters, only Chinese characters, ASCII letters, digits, _, - and *`;

const SLIDE_CONFIG: Element<SlideConfig> = {
  rows: [
    { xml: 'SlideMode', key: 'slideMode', read: oneOf(SLIDE_MODES), required: listText(SLIDE_MODES), echo: 'ifSet' },
    { xml: 'XSlideSpeed', key: 'xSlideSpeed', read: int({ min: 0, max: 10 }), default: 0, echo: 'ifGiven' },
    { xml: 'YSlideSpeed', key: 'ySlideSpeed', read: int({ min: 0, max: 10 }), default: 0, echo: 'ifGiven' },
  ],
};

const WATERMARK_IMAGE: Element<WatermarkImage> = {
  rows: [
    { xml: 'Url', key: 'url', read: nonEmpty('a non-empty URL'), required: 'the URL of the watermark image', echo: 'ifSet' },
    { xml: 'Mode', key: 'mode', read: oneOf(IMAGE_MODES), required: listText(IMAGE_MODES), echo: 'ifSet' },
    { xml: 'Width', key: 'width', read: float({ min: 0, minOpen: true }), echo: 'ifSet' },
    { xml: 'Height', key: 'height', read: float({ min: 0, minOpen: true }), echo: 'ifSet' },
    { xml: 'Transparency', key: 'transparency', read: int({ min: 1, max: 100 }), required: 'an integer in [1, 100]', echo: 'ifSet' },
    { xml: 'Background', key: 'background', read: bool(), default: false, echo: 'ifGiven' },
  ],
  check: checkImageSize,
};

/** Width and Height depend on Mode (and, in Proportion, on Background). */
function checkImageSize(img: WatermarkImage, path: string): void {
  for (const [name, size] of [
    ['Width', img.width],
    ['Height', img.height],
  ] as const) {
    if (size === undefined) continue;
    const field = `${path}.${name}`;
    if (img.mode === 'Original') throw new ValidationError(field, `must not be set when Mode is Original, got ${size}`);
    if (img.mode === 'Proportion') {
      const r: Range = img.background ? { min: 100, max: 300 } : { min: 1, max: 100 };
      const what = `a percentage${rangeText(r)} when Mode is Proportion and Background is ${img.background}`;
      if (!inRange(size, r)) throw new ValidationError(field, `must be ${what}, got ${size}`);
    }
    if (img.mode === 'Fixed' && (!Number.isInteger(size) || size < 8 || size > 4096)) {
      throw new ValidationError(field, `must be an integer in [8, 4096] (pixels) when Mode is Fixed, got ${size}`);
    }
  }
}

/** The watermark text: its length in characters (not UTF-16 units), then its alphabet. */
function watermarkText(): Reader<string> {
  const asText = text(TEXT_RULE);
  return (value, path) => {
    const s = asText(value, path);
    const characters = Array.from(s).length;
    if (characters > MAX_TEXT) throw new ValidationError(path, `must be ${TEXT_RULE}, got ${characters} characters`);
    if (!WATERMARK_TEXT.test(s)) fail(path, TEXT_RULE, s);
    return s;
  };
}

const WATERMARK_TEXT_ELEMENT: Element<WatermarkText> = {
  rows: [
    { xml: 'Text', key: 'text', read: watermarkText(), required: TEXT_RULE, echo: 'ifSet' },
    { xml: 'FontSize', key: 'fontSize', read: int({ min: 5, max: 100 }), required: 'an integer in [5, 100]', echo: 'ifSet' },
    { xml: 'FontType', key: 'fontType', read: oneOf(FONT_TYPES), required: listText(FONT_TYPES), echo: 'ifSet' },
    {
      xml: 'FontColor',
      key: 'fontColor',
      read: pattern(FONT_COLOR, 'a color 0xRRGGBB (6 hex digits)'),
      required: 'a color 0xRRGGBB',
      echo: 'ifSet',
    },
    { xml: 'Transparency', key: 'transparency', read: int({ min: 1, max: 100 }), required: 'an integer in [1, 100]', echo: 'ifSet' },
  ],
};

export const WATERMARK: Element<Watermark> = {
  rows: [
    { xml: 'Type', key: 'type', read: oneOf(WATERMARK_TYPES), required: listText(WATERMARK_TYPES), echo: 'ifSet' },
    { xml: 'Pos', key: 'pos', read: oneOf(WATERMARK_POSITIONS), required: listText(WATERMARK_POSITIONS), echo: 'ifSet' },
    { xml: 'LocMode', key: 'locMode', read: oneOf(LOC_MODES), required: listText(LOC_MODES), echo: 'ifSet' },
    { xml: 'Dx', key: 'dx', read: float(), required: 'the horizontal offset', echo: 'ifSet' },
    { xml: 'Dy', key: 'dy', read: float(), required: 'the vertical offset', echo: 'ifSet' },
    { xml: 'StartTime', key: 'startTime', read: float({ min: 0 }), echo: 'ifSet' },
    { xml: 'EndTime', key: 'endTime', read: float({ min: 0 }), echo: 'ifSet' },
    { xml: 'SlideConfig', key: 'slideConfig', read: container(SLIDE_CONFIG), echo: 'ifSet' },
    { xml: 'Image', key: 'image', read: container(WATERMARK_IMAGE), echo: 'ifSet' },
    { xml: 'Text', key: 'text', read: container(WATERMARK_TEXT_ELEMENT), echo: 'ifSet' },
  ],
  check: checkWatermark,
};

/**
 * The Type's container is required. Offsets: foreground (Text, or Image without Background) are >= 0;
 * a background Image moves the other way.
 */
function checkWatermark(w: Watermark, path: string): void {
  if (w.type === 'Image' && w.image === undefined)
    throw new ValidationError(`${path}.Image`, 'is required (an Image container, because Type is Image)');
  if (w.type === 'Text' && w.text === undefined)
    throw new ValidationError(`${path}.Text`, 'is required (a Text container, because Type is Text)');
  const background = w.type === 'Image' && w.image?.background === true;
  const relative = w.locMode === 'Relativity';
  const range: Range = background ? { min: relative ? -300 : -4096, max: 0 } : { min: 0, max: relative ? 100 : 4096 };
  const kind = background ? 'background Image' : w.type === 'Text' ? 'Text' : 'foreground Image';
  const why = `(LocMode ${w.locMode}, ${kind})`;
  for (const [name, n] of [
    ['Dx', w.dx],
    ['Dy', w.dy],
  ] as const) {
    if (!inRange(n, range)) throw new ValidationError(`${path}.${name}`, `must be a number${rangeText(range)} ${why}, got ${n}`);
  }
}

export function watermarkToXml(w: Watermark): Record<string, unknown> {
  return echoElement(WATERMARK, w);
}
