/**
 * Just enough of a POSIX shell to read the docs' command lines: quotes, `$VAR` expansion,
 * backslash-newline continuations and `#` comments. The docs show commands a user pastes; the
 * tests read those same lines rather than a copy that could drift.
 */

/** Splits a block into commands: one per line, continuations joined, comments and blanks dropped. */
export function commands(block: string, vars: Record<string, string> = {}): string[][] {
  return block
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => words(line, vars))
    .filter((w) => w.length > 0);
}

/** Splits one line into words, expanding `$NAME` / `${NAME}` outside single quotes (unset = kept as is). */
export function words(line: string, vars: Record<string, string> = {}): string[] {
  const out: string[] = [];
  let word: string | undefined;
  const expand = (text: string) =>
    text.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (all, name: string) => (name in vars ? (vars[name] as string) : all));
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end === -1) throw new Error(`unclosed ' in: ${line}`);
      word = (word ?? "") + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      let text = "";
      for (; j < line.length && line[j] !== '"'; j++) text += line[j] === "\\" ? line[++j] : line[j];
      if (j >= line.length) throw new Error(`unclosed " in: ${line}`);
      word = (word ?? "") + expand(text);
      i = j;
    } else if (/\s/.test(c)) {
      if (word !== undefined) out.push(word);
      word = undefined;
    } else if (c === "#" && word === undefined) {
      break;
    } else {
      let j = i;
      let text = "";
      for (; j < line.length && !/[\s'"]/.test(line[j] as string); j++) text += line[j];
      word = (word ?? "") + expand(text);
      i = j - 1;
    }
  }
  if (word !== undefined) out.push(word);
  return out;
}

/** A curl command line as a fetch call. Knows -X, -H, -d (and long forms); ignores -s, -S, -i, -f. */
export interface CurlRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

export function parseCurl(argv: string[]): CurlRequest {
  if (argv[0] !== "curl") throw new Error(`not a curl command: ${argv.join(" ")}`);
  let method: string | undefined;
  let url: string | undefined;
  let body: string | undefined;
  const headers: Record<string, string> = {};
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "-X" || arg === "--request") method = argv[++i];
    else if (arg === "-H" || arg === "--header") {
      const [name, ...rest] = (argv[++i] as string).split(":");
      headers[(name as string).trim().toLowerCase()] = rest.join(":").trim();
    } else if (arg === "-d" || arg === "--data" || arg === "--data-raw") body = argv[++i];
    else if (/^-[sSif]+$/.test(arg) || arg === "--silent" || arg === "--fail") continue;
    // Where curl saves the body: the test reads the body itself.
    else if (arg === "-o" || arg === "--output") i++;
    else if (arg.startsWith("-")) throw new Error(`the docs' curl reader does not know ${arg}`);
    else url = arg;
  }
  if (url === undefined) throw new Error(`no URL in: ${argv.join(" ")}`);
  return { method: method ?? (body === undefined ? "GET" : "POST"), url, headers, body };
}
