// Server texts (preset questions, findings) mark code with backticks, as in
// Markdown: "server saw `Connection: close`". Split them for rendering. Pure.

export interface Span {
  text: string;
  code: boolean;
}

export function codeSpans(s: string): Span[] {
  const out: Span[] = [];
  const parts = s.split('`');
  // An odd count of backticks leaves the last one literal.
  if (parts.length % 2 === 0) parts[parts.length - 2] += '`' + parts.pop();
  parts.forEach((p, i) => {
    if (p) out.push({ text: p, code: i % 2 === 1 });
  });
  return out;
}
