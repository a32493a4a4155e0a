#!/usr/bin/env python3
"""Checks the layering rules of ARCHITECTURE.md on the source tree; exits 1 on a violation.

Rules:
  1. No import circles between the units of `src/` (a unit is a top-level module, or a
     submodule of `nn`, e.g. `nn::lif`, `nn::kernels`, `nn::combinators`).
  2. The fused kernels (`src/nn/kernels/`) import no neuron model and not the module model:
     from `crate::nn` only `kernels`, `activation`, `surrogate` and `defaults`.
  3. Training (`src/train/`) imports nothing of Xylo (`crate::xylo`, `crate::quant`,
     `rockpool_xylo`).
  4. Member crates (`crates/*`) do not depend on Burn.
  5. No source file in `src/` is longer than 700 lines.

Run from the repository root: `python3 scripts/check_layers.py`.
"""

import re
import sys
from pathlib import Path

MAX_LINES = 700
ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"


def module_path(f: Path) -> list[str]:
    """The module path of a source file, e.g. src/nn/lif/state.rs -> ['nn', 'lif', 'state']."""
    parts = list(f.relative_to(SRC).with_suffix("").parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return parts


def unit_of(path: list[str]) -> str:
    """The unit a module path belongs to: `nn::x` inside `nn`, else the top-level module."""
    if not path:
        return "crate"
    if path[0] == "nn" and len(path) > 1:
        return "nn::" + path[1]
    return path[0]


def strip_comments(text: str) -> str:
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def nn_reexports() -> dict[str, str]:
    """Names re-exported by `nn/mod.rs` (`pub use lif::{Lif, ...}`) -> their submodule."""
    text = strip_comments((SRC / "nn" / "mod.rs").read_text())
    out = {}
    for m in re.finditer(r"pub use (\w+)(?:::(\w+))*::\{([^}]*)\};|pub use (\w+)(?:::\w+)*::(\w+);", text):
        if m.group(3) is not None:
            for name in re.split(r"[,\s]+", m.group(3)):
                name = name.strip().split(" as ")[0].split("::")[-1]
                if name:
                    out[name] = m.group(1)
        else:
            out[m.group(5)] = m.group(4)
    return out


def expand_groups(text: str) -> str:
    """Rewrites `a::b::{c, d::e}` use-groups into `a::b::c a::b::d::e` (nested groups too)."""
    while True:
        m = re.search(r"((?:\w+::)+)\{", text)
        if not m:
            return text
        depth, i = 1, m.end()
        while depth and i < len(text):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        inner = text[m.end() : i - 1]
        items, depth, cur = [], 0, ""
        for ch in inner:
            if ch == "," and depth == 0:
                items.append(cur)
                cur = ""
                continue
            depth += {"{": 1, "}": -1}.get(ch, 0)
            cur += ch
        items.append(cur)
        prefix = m.group(1)
        flat = " ".join(prefix + it.strip() for it in items if it.strip() and it.strip() != "self")
        text = text[: m.start()] + flat + text[i:]


def referenced_units(f: Path, text: str, reexports: dict[str, str]) -> set[str]:
    here = module_path(f)
    refs = set()
    text = expand_groups(text)
    for m in re.finditer(r"\bcrate((?:::\w+)+)", text):
        segs = m.group(1).strip(":").split("::")
        if segs[0] == "nn" and len(segs) > 1:
            sub = segs[1]
            if sub in reexports:
                sub = reexports[sub]
            elif sub[:1].isupper() or sub in ("white_noise",):
                sub = reexports.get(sub, "")
            refs.add("nn::" + sub if sub else "nn")
        else:
            refs.add(segs[0])
    # `super::x` paths relative to this file's module.
    is_mod_file = f.name in ("mod.rs", "lib.rs")
    for m in re.finditer(r"\b((?:super::)+)(\w+)", text):
        ups = m.group(1).count("super::")
        base = here[:] if is_mod_file else here[:-1]
        base = base[: len(base) - (ups - 1)] if ups > 1 else base
        target = base + [m.group(2)]
        if base == ["nn"] and m.group(2) in reexports:
            target = ["nn", reexports[m.group(2)]]
        refs.add(unit_of(target))
    return refs


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one unit (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

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

    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def main() -> int:
    problems = []
    reexports = nn_reexports()
    graph: dict[str, set[str]] = {}
    for f in sorted(SRC.rglob("*.rs")):
        raw = f.read_text()
        lines = raw.count("\n")
        rel = f.relative_to(ROOT)
        if lines > MAX_LINES:
            problems.append(f"{rel}: {lines} lines (at most {MAX_LINES})")
        text = strip_comments(raw)
        # Unit tests may reach anywhere.
        text = re.split(r"#\[cfg\(test\)\]\s*mod tests", text)[0]
        unit = unit_of(module_path(f))
        refs = referenced_units(f, text, reexports) - {unit, "crate", "nn"}
        graph.setdefault(unit, set()).update(refs)
        if unit == "nn::kernels":
            allowed = {"nn::kernels", "nn::activation", "nn::surrogate", "nn::defaults", "error"}
            for r in sorted(referenced_units(f, text, reexports) - allowed - {"crate", "nn"}):
                problems.append(f"{rel}: a kernel imports {r} (kernels import no model)")
        if unit == "train":
            for bad in ("crate::xylo", "crate::quant", "rockpool_xylo"):
                if bad in text:
                    problems.append(f"{rel}: training imports {bad}")
    for cycle in find_cycles(graph):
        problems.append("import circle between: " + ", ".join(cycle))
    for toml in sorted((ROOT / "crates").glob("*/Cargo.toml")):
        if re.search(r"^\s*burn", toml.read_text(), flags=re.M):
            problems.append(f"{toml.relative_to(ROOT)}: a member crate depends on Burn")
    for p in problems:
        print("layering:", p)
    if problems:
        return 1
    print(f"layering: ok ({len(graph)} units, no circles)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
