#!/usr/bin/env python3
"""Keeps the house as ARCHITECTURE.md draws it. Reads the library's imports (`use crate::…`,
`super::…`, `self::…`, and such paths written inline) and fails on:

- an import cycle between source files, or between the crate's top-level modules;
- an import from outside `src/commands/` into it (the core never depends on a command; only
  `lib.rs` dispatches to it);
- a source file longer than 600 lines before its test part (`#[cfg(test)] mod tests`).

Test code is not read: `#[cfg(test)]` items, `tests.rs` and `*_tests.rs` files, and the test fake
(`src/sys/fake.rs`); `src/explain/generated.rs` (a generated table) is not held to the length.
A parent's `pub use child::Name` is the parent's face, not an import: paths are resolved through
it to the file that defines the name. Usage: scripts/check-house.py [SRC_DIR]
"""

import re
import sys
from pathlib import Path

MAX_LINES = 600
LONG_OK = {"explain/generated.rs"}
NOT_READ = {"sys/fake.rs", "main.rs", "cli.rs"}


def is_test_file(rel):
    name = rel.rsplit("/", 1)[-1]
    return name == "tests.rs" or name.endswith("_tests.rs")


def strip_text(src):
    """Source with comments and string/char literals blanked out (line breaks kept)."""
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * src.count("\n", i, j))
            i = j
        elif c == "r" and re.match(r'r#*"', src[i:i + 10]) and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")):
            hashes = re.match(r'r(#*)"', src[i:]).group(1)
            end = '"' + hashes
            j = src.find(end, i + 2 + len(hashes))
            j = n if j < 0 else j + len(end)
            out.append('""' + "\n" * src.count("\n", i, j))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            out.append('""' + "\n" * src.count("\n", i, j))
            i = j + 1
        elif c == "'":
            # A char literal ('x', '\n', '\u{1b}'), not a lifetime ('a).
            m = re.match(r"'(\\u\{[0-9a-fA-F]+\}|\\.|[^\\'])'", src[i:i + 12])
            if m:
                out.append("' '")
                i += len(m.group(0))
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def matching_end(text, start):
    """The index just past the item starting at `start`: its `;`, or its braces' close."""
    depth, i = 0, start
    while i < len(text):
        ch = text[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        elif ch == ";" and depth == 0:
            return i + 1
        i += 1
    return len(text)


def drop_test_items(text):
    """Blank every `#[cfg(test)]` item (keeping line breaks); the line where the test part of
    the file starts, or None."""
    test_start = None
    while True:
        m = re.search(r"#\[cfg\(test\)\]", text)
        if not m:
            return text, test_start
        end = matching_end(text, m.end())
        item = text[m.end():end]
        if test_start is None and re.match(r"\s*(pub(\([^)]*\))?\s+)?mod\s+\w+", item):
            test_start = text.count("\n", 0, m.start()) + 1
        text = text[:m.start()] + "\n" * text.count("\n", m.start(), end) + text[end:]


def expand_use(tree):
    """`a::{b, c::{d, e as f}}` → [(['a','b'], 'b'), (['a','c','d'], 'd'), (['a','c','e'], 'f')]."""
    tree = re.sub(r"\s+", "", re.sub(r"\s+as\s+", "@", tree))
    out = []

    def walk(prefix, t):
        if t.startswith("{") and t.endswith("}"):
            for part in split_top(t[1:-1]):
                if part:
                    walk(prefix, part)
            return
        m = re.match(r"^([\w:]*?)(::)?\{(.*)\}$", t)
        if m and "{" in t:
            head = [s for s in m.group(1).split("::") if s]
            walk(prefix + head, "{" + m.group(3) + "}")
            return
        alias = None
        if "@" in t:
            t, alias = t.split("@", 1)
        segs = [s for s in t.split("::") if s]
        if segs and segs[-1] == "self":
            segs = segs[:-1]
        if not segs and not prefix:
            return
        full = prefix + segs
        out.append((full, alias or (full[-1] if full else "")))

    walk([], tree)
    return out


def split_top(s):
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


class Crate:
    def __init__(self, src):
        self.src = src
        self.files = {}  # module path tuple -> rel path
        for path in sorted(src.rglob("*.rs")):
            rel = path.relative_to(src).as_posix()
            if rel in NOT_READ or is_test_file(rel):
                continue
            parts = rel[:-3].split("/")
            if parts[-1] in ("mod", "lib"):
                parts = parts[:-1]
            self.files[tuple(parts)] = rel
        self.text, self.test_line, self.uses, self.reexports = {}, {}, {}, {}
        for mod, rel in self.files.items():
            raw = (src / rel).read_text(encoding="utf-8")
            text, test_line = drop_test_items(strip_text(raw))
            self.test_line[rel] = test_line
            self.text[rel] = text
            uses, reexports = [], {}
            for m in re.finditer(r"(?:\b(pub(?:\([^)]*\))?)\s+)?\buse\s+([^;]+);", text):
                for segs, name in expand_use(m.group(2)):
                    if m.group(1):
                        reexports[name] = segs
                    else:
                        uses.append(segs)
            # Paths written inline, outside `use` statements.
            body = re.sub(r"\buse\s+[^;]+;", "", text)
            for m in re.finditer(r"\b(crate|super|self)((?:::\w+)+)", body):
                uses.append([m.group(1)] + [s for s in m.group(2).split("::") if s])
            self.uses[rel] = uses
            self.reexports[mod] = reexports

    def start(self, mod, segs):
        """The module a path starts from, and the rest of it."""
        if segs[0] == "crate":
            return (), segs[1:]
        base = list(mod)
        i = 0
        while i < len(segs) and segs[i] in ("self", "super"):
            if segs[i] == "super":
                base = base[:-1]
            i += 1
        return tuple(base), segs[i:]

    def resolve(self, mod, segs, depth=0):
        """The file a path refers to, or None when it leaves the crate."""
        if not segs or segs[0] not in ("crate", "super", "self"):
            # A path relative to the module: a child module, or a name it re-exports.
            segs = ["self"] + segs
        here, rest = self.start(mod, segs)
        if here not in self.files:
            return None
        while rest and here + (rest[0],) in self.files:
            here, rest = here + (rest[0],), rest[1:]
        if rest and depth < 8:
            target = self.reexports.get(here, {}).get(rest[0])
            if target:
                return self.resolve(here, target + rest[1:], depth + 1)
        return self.files[here]

    def edges(self):
        out = {}
        for mod, rel in self.files.items():
            targets = set()
            for segs in self.uses[rel]:
                if segs and segs[0] not in ("crate", "super", "self"):
                    # `use std::…`, or a use of a child declared with `mod`.
                    if (mod + (segs[0],)) not in self.files:
                        continue
                target = self.resolve(mod, segs)
                if target and target != rel:
                    targets.add(target)
            out[rel] = targets
        return out


def cycles(graph):
    """Strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def top(rel):
    first = rel.split("/")[0]
    return first[:-3] if first.endswith(".rs") else first


def main():
    src = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "src")
    crate = Crate(src)
    graph = crate.edges()
    problems = []
    for comp in cycles(graph):
        ties = [f"{a} -> {b}" for a in comp for b in sorted(graph[a]) if b in comp]
        problems.append("import cycle between files: " + ", ".join(comp) + "\n    " + "\n    ".join(ties))
    modules = {}
    for a, targets in graph.items():
        for b in targets:
            if top(a) != top(b):
                modules.setdefault(top(a), set()).add(top(b))
    for comp in cycles(modules):
        ties = [
            f"{a} -> {b}: " + ", ".join(sorted(f"{x} -> {y}" for x in graph for y in graph[x] if top(x) == a and top(y) == b))
            for a in comp for b in sorted(modules[a]) if b in comp
        ]
        problems.append("import cycle between modules: " + ", ".join(comp) + "\n    " + "\n    ".join(ties))
    for a, targets in sorted(graph.items()):
        if a.startswith("commands/") or a == "lib.rs":
            continue
        for b in sorted(targets):
            if b.startswith("commands/"):
                problems.append(f"the core imports a command: {a} -> {b}")
    for rel in sorted(crate.files.values()):
        if rel in LONG_OK:
            continue
        lines = (src / rel).read_text(encoding="utf-8").count("\n")
        before = (crate.test_line[rel] or lines + 1) - 1
        if before > MAX_LINES:
            problems.append(f"{rel}: {before} lines before its tests (at most {MAX_LINES})")
    if problems:
        print("\n".join(problems))
        return 1
    print(f"the house holds: {len(graph)} files, {sum(len(t) for t in graph.values())} imports, no cycle, "
          f"no import into commands/, no file over {MAX_LINES} lines before its tests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
