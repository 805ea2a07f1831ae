// The Lua scripts of the stores, kept as .lua files under scripts/ beside this module (as BullMQ keeps
// its commands) so they read and diff as Lua. The build copies them next to the compiled module, so the
// same relative path works from src/ (tests) and from dist/ (the image).
import { readFileSync } from 'node:fs';

/** The text of scripts/<name>.lua, read once when a store module loads. */
export function readScript(name: string): string {
  return readFileSync(new URL(`./scripts/${name}.lua`, import.meta.url), 'utf8');
}
