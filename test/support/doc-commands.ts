/**
 * The `panoramix …` command lines a Markdown page shows, as word lists, and their check against the CLI's own
 * `--help`: docs/*.md and README.md promise commands and options, and only the CLI knows which exist.
 */

/** One command line found in a page: where, the text as written, and its words after `panoramix`. */
export interface DocCommand {
  file: string;
  line: number;
  text: string;
  words: string[];
}

/** What `panoramix <path> --help` says: the path commander resolved, its subcommands and options. */
export interface HelpPage {
  path: string[];
  commands: Set<string>;
  /** Every flag (`-c`, `--config`), and whether it takes a value. */
  options: Map<string, boolean>;
}

/**
 * Command lines of a page: code spans that start with `panoramix ` (or `npx panoramix `) outside fenced
 * blocks, and the commands of ```sh blocks. A span's `a | b` alternatives become one line each, the later
 * ones under the first one's parent command (`report run NAME | schedule` is also `report schedule`).
 */
export function extractCommands(file: string, markdown: string): DocCommand[] {
  const found: DocCommand[] = [];
  const lines = markdown.split('\n');
  let fence: string | null = null;
  let prose: { text: string; line: number }[] = [];
  const flushProse = () => {
    const text = prose.map((p) => p.text).join('\n');
    for (const m of text.matchAll(/`([^`]+)`/g)) {
      const span = m[1]!.replace(/\s+/g, ' ').trim();
      const start = /^(?:npx )?panoramix( |$)/.exec(span);
      if (!start) continue;
      const before = text.slice(0, m.index).split('\n').length - 1;
      const line = prose[before]!.line;
      const alternatives = splitTopLevel(unescapeTable(span.slice(start[0].length)));
      const first = words(alternatives[0] ?? '');
      found.push({ file, line, text: span, words: first });
      for (const alt of alternatives.slice(1)) {
        const w = words(alt);
        // `--from-seq N | --since TIME` are options of the same command; `show ID | discard` a sibling.
        const prefix = w[0]?.startsWith('-') ? candidatePath(first) : commandPrefix(first);
        if (w.length) found.push({ file, line, text: span, words: [...prefix, ...w] });
      }
    }
    prose = [];
  };
  lines.forEach((text, i) => {
    const f = /^\s*(```+|~~~+)\s*(\S*)/.exec(text);
    if (f) {
      if (fence === null) {
        flushProse();
        fence = f[2] ?? '';
      } else fence = null;
      return;
    }
    if (fence === null) {
      if (text.trim() === '') flushProse();
      else prose.push({ text, line: i + 1 });
      return;
    }
    if (!['sh', 'bash', 'shell', 'console'].includes(fence)) return;
    for (const segment of text.replace(/\s#.*$/, '').split(/&&|\|\||;|\s\|\s/)) {
      const s = segment.trim().replace(/&$/, '').trim();
      const start = /^(?:npx )?panoramix( |$)/.exec(s);
      if (start) found.push({ file, line: i + 1, text: s, words: words(s.slice(start[0].length)) });
    }
  });
  flushProse();
  return found;
}

/** The leading lowercase words: the most a command path can be (the CLI decides how many are commands). */
export function candidatePath(words: readonly string[]): string[] {
  const out: string[] = [];
  for (const w of words) {
    if (!/^[a-z][a-z0-9-]*(\|[a-z][a-z0-9-]*)*$/.test(w)) break;
    out.push(w);
  }
  return out;
}

/** Command paths to ask `--help` for: each `a|b` word in a path becomes each of its alternatives. */
export function expandPaths(words: readonly string[]): string[][] {
  let paths: string[][] = [[]];
  for (const w of candidatePath(words)) paths = paths.flatMap((p) => w.split('|').map((x) => [...p, x]));
  return paths;
}

/** Parses the text `panoramix … --help` prints (commander's layout). */
export function parseHelp(text: string): HelpPage {
  const usage = /^Usage: panoramix((?: [a-z][a-z0-9-]*)*)/m.exec(text);
  if (!usage) throw new Error(`not a help page:\n${text}`);
  const section = (name: string) => {
    const m = new RegExp(`^${name}:\\n((?:  .*\\n?|\\n(?=  ))*)`, 'm').exec(text);
    return (m?.[1] ?? '').split('\n').filter((l) => /^ {2}\S/.test(l));
  };
  const commands = new Set(section('Commands').map((l) => l.trim().split(/\s+/)[0]!));
  commands.delete('help');
  const options = new Map<string, boolean>();
  for (const l of section('Options')) {
    const spec = l.trim().split(/\s{2,}/)[0]!;
    const takesValue = /[<[]/.test(spec);
    for (const flag of spec.matchAll(/(--?[A-Za-z][\w-]*)/g)) options.set(flag[1]!, takesValue);
  }
  return { path: (usage[1] ?? '').trim().split(' ').filter(Boolean), commands, options };
}

/**
 * What is wrong with one documented command, given the help pages of every path it names (keyed by the
 * path joined with spaces): an unknown command or subcommand, or an option its command does not take.
 */
export function problems(cmd: DocCommand, help: ReadonlyMap<string, HelpPage>): string[] {
  const out: string[] = [];
  const root = help.get('');
  if (!root) return ['no help for panoramix itself'];
  for (const path of expandPaths(cmd.words)) {
    // The deepest prefix the CLI resolved as commands; the rest of the words are arguments.
    let page = root;
    let depth = 0;
    while (depth < path.length) {
      const next = help.get(path.slice(0, depth + 1).join(' '));
      if (!next || next.path.length !== depth + 1) break;
      page = next;
      depth++;
    }
    if (depth < path.length && page.commands.size > 0) {
      out.push(`unknown command "panoramix ${path.slice(0, depth + 1).join(' ')}"`);
      continue;
    }
    if (depth === 0 && path.length === 0 && cmd.words.some((w) => !w.startsWith('-'))) {
      out.push(`"${cmd.words[0]}" is not a command`);
      continue;
    }
    const rest = cmd.words.slice(candidatePath(cmd.words).length);
    const usedOptions = optionsOf([...path.slice(depth), ...rest], page);
    for (const o of usedOptions) {
      if (!page.options.has(o) && o !== '--help' && o !== '-h')
        out.push(`"panoramix ${page.path.join(' ')}" has no option ${o}`);
    }
  }
  return out;
}

/** The flags among a command's words; the value after a flag that takes one is skipped (`--sort -col`). */
function optionsOf(words: readonly string[], page: HelpPage): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const m = /^(--?[A-Za-z][\w-]*)(=.*)?$/.exec(words[i]!);
    if (!m) continue;
    out.push(m[1]!);
    if (!m[2] && page.options.get(m[1]!)) i++;
  }
  return out;
}

/** The words of a command line, with quotes honoured and bracket, brace and parenthesis marks dropped. */
function words(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/"[^"]*"|'[^']*'|\S+/g)) {
    const w = m[0];
    if (/^["']/.test(w)) {
      out.push(w);
      continue;
    }
    const bare = w.replace(/^[[({]+/, '').replace(/[\])},]+$/, '');
    if (bare && bare !== '|' && bare !== '…' && bare !== '...') out.push(bare);
  }
  return out;
}

/** A span's alternatives, split at ` | ` outside brackets. */
function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '[' || c === '(') depth++;
    else if (c === ']' || c === ')') depth--;
    else if (c === '|' && depth === 0 && text[i - 1] === ' ' && text[i + 1] === ' ') {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(text.slice(start).trim());
  return out.filter(Boolean);
}

/** The command words of the first alternative, minus its last: where its siblings hang. */
function commandPrefix(first: readonly string[]): string[] {
  const path = candidatePath(first);
  return path.slice(0, -1);
}

function unescapeTable(text: string): string {
  return text.replace(/\\\|/g, '|');
}
