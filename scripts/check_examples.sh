#!/usr/bin/env bash
# Fails when README.md, ARCHITECTURE.md or a Markdown file under docs/ names an example that
# does not exist: `--example NAME` (also broken over a line) or `examples/NAME.rs` must have a
# file examples/NAME.rs. Example names are lower case; an upper-case placeholder such as
# `--example NAME` is not a name. Run from anywhere; CI runs it after the tests (.ci/run).
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."

files=()
for f in README.md ARCHITECTURE.md; do
  [[ -f "$f" ]] && files+=("$f")
done
while IFS= read -r -d '' f; do
  files+=("$f")
done < <(find docs -name '*.md' -print0 2>/dev/null | sort -z)

missing=0
checked=0
for f in "${files[@]}"; do
  # -z reads the file as one record, so a name on the line after `--example` is found too.
  names=$(
    {
      { grep -ozE -- '--example[[:space:]]+[a-z0-9_][a-z0-9_-]*' "$f" || true; } | tr '\n\0' ' \n' |
        sed -E 's/^--example[[:space:]]+//'
      { grep -oE 'examples/[a-z0-9_][a-z0-9_-]*\.rs' "$f" || true; } |
        sed -E 's#^examples/##; s#\.rs$##'
    } | sort -u
  )
  for name in $names; do
    checked=$((checked + 1))
    if [[ ! -f "examples/$name.rs" ]]; then
      echo "$f names the example '$name', but examples/$name.rs does not exist" >&2
      missing=$((missing + 1))
    fi
  done
done

if ((missing > 0)); then
  echo "check_examples: $missing example name(s) without a file; fix the text or add the example" >&2
  exit 1
fi
echo "check_examples: ${#files[@]} files, $checked example mentions, all exist"
