// CI's Text watermark FontType names -> the font FILES this engine installs (Debian fonts-noto-cjk and
// fonts-liberation; scripts/ensure-deps.sh and the Dockerfile install both). CI names Windows/macOS
// fonts we cannot ship; each maps to the closest free face. The table is the only source of the font
// paths drawtext sees: no user string ever becomes a font path. Pure, apart from the optional
// `isInstalled` check the caller passes in.

export const NOTO_SANS_CJK = '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc';
export const NOTO_SANS_CJK_BOLD = '/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc';
export const NOTO_SERIF_CJK = '/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc';
export const LIBERATION_SANS = '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf';
export const LIBERATION_SANS_BOLD = '/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf';

interface FontChoice {
  file: string;
  /** Has CJK glyphs; a Latin-only face falls back to Noto Sans CJK for text with other characters. */
  cjk: boolean;
  bold: boolean;
}

const sans: FontChoice = { file: NOTO_SANS_CJK, cjk: true, bold: false };
const sansBold: FontChoice = { file: NOTO_SANS_CJK_BOLD, cjk: true, bold: true };
const serif: FontChoice = { file: NOTO_SERIF_CJK, cjk: true, bold: false };
const latin: FontChoice = { file: LIBERATION_SANS, cjk: false, bold: false };
const latinBold: FontChoice = { file: LIBERATION_SANS_BOLD, cjk: false, bold: true };

/** CI FontType (docs/ci-api.md 1.4) -> installed face. README "Transitions and watermarks" repeats this table. */
export const FONT_TABLE: Readonly<Record<string, FontChoice>> = {
  'simfang.ttf': serif, // FangSong
  'simhei.ttf': sans, // SimHei (Hei = sans)
  'simkai.ttf': serif, // KaiTi: no free Kai face in Debian's main set; Song/Ming serif is the nearest
  'simsun.ttc': serif, // SimSun (Song = serif)
  'STHeiti-Light.ttc': sans,
  'STHeiti-Medium.ttc': sansBold,
  'youyuan.TTF': sans, // YouYuan (rounded sans)
  'ariblk.ttf': latinBold, // Arial Black
  'arial.ttf': latin, // Liberation Sans has Arial's metrics
  'ahronbd.ttf': latinBold, // Aharoni Bold
  'Helvetica.dfont': latin,
  'HelveticaNeue.dfont': latin,
};

/** Every file the table can answer, for dependency checks. */
export const FONT_FILES: readonly string[] = [NOTO_SANS_CJK, NOTO_SANS_CJK_BOLD, NOTO_SERIF_CJK, LIBERATION_SANS, LIBERATION_SANS_BOLD];

/**
 * The font file drawtext should use for `text` in CI's `fontType`. Falls back to Noto Sans CJK (bold
 * for a bold choice) when the type is unknown, when a Latin-only face is asked to draw non-ASCII text
 * (it has no CJK glyphs), or when the chosen file is not installed.
 */
export function fontFileFor(fontType: string, text: string, isInstalled: (file: string) => boolean = () => true): string {
  const choice = Object.hasOwn(FONT_TABLE, fontType) ? FONT_TABLE[fontType]! : sans;
  const fallback = choice.bold ? NOTO_SANS_CJK_BOLD : NOTO_SANS_CJK;
  // eslint-disable-next-line no-control-regex -- the range is all of ASCII, NUL included: anything outside it needs CJK glyphs
  if (!choice.cjk && /[^\x00-\x7f]/.test(text)) return fallback;
  if (!isInstalled(choice.file)) return isInstalled(fallback) ? fallback : NOTO_SANS_CJK;
  return choice.file;
}
