// Writes tokenizer parity cases as JSON lines {"text", "ids"}, the ids from
// the JavaScript reference encoder (the npm package gpt-3-encoder).
//
//   node tokenizer_cases.js REFERENCE_DIR > cases.jsonl
//
// The strings are deterministic (seeded) and varied: English prose from
// Debian's fortunes, source code, emoji, CJK and other scripts, whitespace
// runs, digits, contractions and random code points.
'use strict';
const fs = require('fs');
const path = require('path');

const reference = require(path.resolve(process.argv[2], 'Encoder.js'));

let seed = 0x9e3779b9;
function random() { // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (list) => list[Math.floor(random() * list.length)];
const int = (n) => Math.floor(random() * n);

const cases = [];

// Prose: the first fortunes of a few files, whole and in pieces.
const fortuneDir = '/usr/share/games/fortunes';
const fortunes = [];
for (const file of ['fortunes', 'literature', 'riddles', 'science', 'people']) {
  const text = fs.readFileSync(path.join(fortuneDir, file), 'latin1');
  fortunes.push(...text.split('\n%\n').filter((f) => f.trim()).slice(0, 80));
}
if (fortunes.length < 300) throw new Error('too few fortunes found');
for (const f of fortunes) {
  cases.push(f);
  cases.push(f.split(/\s+/).slice(0, 1 + int(8)).join(' '));
}

// Source code.
const code = [
  'int main(int argc, char **argv) {\n  return argc > 1 ? 0 : 1;\n}\n',
  'def f(x):\n    return [i ** 2 for i in range(x) if i % 3 == 0]\n',
  'const add = (a, b) => a + b; // arrow\n',
  'for (size_t i = 0; i < n; ++i) sum += a[i] * b[i];',
  '#include <stdio.h>\n#define MAX(a,b) ((a)>(b)?(a):(b))\n',
  'SELECT name, COUNT(*) FROM users WHERE age >= 21 GROUP BY name;',
  '<div class="x">&nbsp;&lt;tag&gt;</div>',
  'fn main() { println!("{:?}", vec![1u8, 2, 3]); }',
  '\tif err != nil {\n\t\treturn fmt.Errorf("x: %w", err)\n\t}\n',
  '{"key": [1, 2.5e-3, null, true], "nested": {"a": "b"}}',
  'x = y @ W.T + b  # shape (B, T, C)',
  '$ ls -la | grep "\\.cpp$" && echo done',
];
const identifiers = ['foo', 'barBaz', 'snake_case_name', 'CamelCase', 'x1', '_private', 'TOTAL_COUNT'];
const operators = [' = ', ' += ', '->', '::', '(', ')', '{', '}', '[', ']', ';', ', ', ' == ', '!=', '&&', '||', '<<', '>>'];
for (const c of code) cases.push(c);
for (let i = 0; i < 100; ++i) {
  let s = '';
  for (let k = 0; k < 3 + int(12); ++k)
    s += random() < 0.5 ? pick(identifiers) : pick(operators);
  cases.push(s);
}

// Emoji, CJK and other scripts, mixed with Latin.
const scripts = [
  '😀', '🤖', '👩‍🚀', '🇫🇷', '👍🏽', '❤️', '🎉', '日本語', '中文字符', '한국어',
  'Ελληνικά', 'Русский', 'עברית', 'العربية', 'हिन्दी', 'ไทย', 'Tiếng Việt',
  'naïve café', 'Straße', 'ﬁ', 'Ω≈ç√∫', '½ ¾', '™®©', '…', '—', '“quoted”',
];
for (let i = 0; i < 200; ++i) {
  let s = '';
  for (let k = 0; k < 1 + int(6); ++k)
    s += (random() < 0.3 ? ' ' : '') + (random() < 0.6 ? pick(scripts) : pick(identifiers));
  cases.push(s);
}

// Whitespace runs.
const spaces = [' ', '  ', '   ', '\t', '\n', '\n\n', '\r\n', ' \n ', '\u00a0', '\u3000', '\u2009', '\v', '\f'];
for (let i = 0; i < 150; ++i) {
  let s = '';
  for (let k = 0; k < 2 + int(6); ++k)
    s += random() < 0.5 ? pick(spaces) : pick(['word', 'a', 'The', '42', '!', 'end']);
  cases.push(s);
}

// Digits: numbers, dates, decimals, long runs.
for (let i = 0; i < 120; ++i) {
  const forms = [
    () => String(int(1e9)),
    () => `${int(10000)}.${int(1000)}`,
    () => `${1900 + int(200)}-${1 + int(12)}-${1 + int(28)}`,
    () => `$${int(1e6).toLocaleString('en-US')}`,
    () => '9'.repeat(1 + int(40)),
    () => `v${int(10)}.${int(20)}.${int(100)}`,
    () => `${int(100)}% of ${int(1000)}`,
  ];
  cases.push(pick(forms)());
}

// Contractions in various cases and places.
const contractions = ["don't", "I'm", "you're", "we've", "she'll", "he'd", "it's", "DON'T", "I'LL",
  "'s", "'t", "rock'n'roll", "o'clock", "y'all", "'quoted'", "it''s", "can't't"];
for (let i = 0; i < 120; ++i) {
  let s = '';
  for (let k = 0; k < 1 + int(5); ++k)
    s += (k ? pick([' ', '', '  ']) : '') + pick(contractions);
  cases.push(s);
}

// Random code points from several planes (no lone surrogates).
for (let i = 0; i < 150; ++i) {
  let s = '';
  for (let k = 0; k < 1 + int(12); ++k) {
    const ranges = [[0x20, 0x7f], [0xa0, 0x2000], [0x3000, 0x9fff], [0xac00, 0xd7a3],
      [0xe000, 0xfffd], [0x1f300, 0x1faff], [0x10000, 0x10fff]];
    const [lo, hi] = pick(ranges);
    s += String.fromCodePoint(lo + int(hi - lo));
  }
  cases.push(s);
}

// Special text and edge cases.
cases.push('<|endoftext|>', 'a<|endoftext|>b', '', ' ', '\n', 'x'.repeat(300),
  'ab'.repeat(200), '!!!???...,,,', '     \n', ' a', 'a ');

for (const text of cases)
  process.stdout.write(JSON.stringify({ text, ids: reference.encode(text) }) + '\n');
process.stderr.write(`${cases.length} cases\n`);
