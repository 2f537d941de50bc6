import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

// The Czech texts for the Czech browser tests (czech.spec.ts), read from the translation files
// themselves, so that a test finds each control by the label a Czech speaker sees.

type Texts = Record<string, Record<string, string>>;

function load(locale: string): Texts {
  const dir = join(__dirname, "..", "..", "app", "locales", locale);
  const texts: Texts = {};
  for (const file of readdirSync(dir)) {
    texts[file.replace(/\.json$/, "")] = JSON.parse(readFileSync(join(dir, file), "utf8"));
  }
  return texts;
}

const en = load("en");
const cs = load("cs");

function fill(text: string, vars: Record<string, string | number>): string {
  return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => {
    if (!(name in vars)) throw new Error(`no value for {{ ${name} }} in "${text}"`);
    return String(vars[name]);
  });
}

/** The Czech text of `namespace.key`, with its placeholders filled in. */
export function csKey(key: string, vars: Record<string, string | number> = {}): string {
  const [namespace, name] = key.split(".");
  const text = cs[namespace]?.[name];
  if (text === undefined) throw new Error(`no Czech text ${key}`);
  return fill(text, vars);
}

/** The Czech form of the plural key `namespace.key` for `count` (CLDR rules, as the server). */
export function csPlural(key: string, count: number, vars: Record<string, string | number> = {}): string {
  const form = new Intl.PluralRules("cs").select(count);
  return csKey(`${key}_${form}`, { ...vars, count });
}

/** The Czech text of the English sentence `english` (which must mean one thing only). */
export function csOf(english: string): string {
  const found = new Set<string>();
  for (const [namespace, keys] of Object.entries(en)) {
    for (const [key, text] of Object.entries(keys)) {
      if (text === english) found.add(cs[namespace][key]);
    }
  }
  if (found.size !== 1) throw new Error(`"${english}" has ${found.size} Czech texts: ${[...found].join(" | ")}`);
  return [...found][0];
}
