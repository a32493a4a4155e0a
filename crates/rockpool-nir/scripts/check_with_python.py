#!/usr/bin/env python3
"""Checks that Python `nir` reads a .nir file written by rockpool-nir, and that it reads as
the same graph as a reference file (written by Python `nir`, or any file Python reads).

    /work/venv-nir/bin/python check_with_python.py WRITTEN.nir [REFERENCE.nir]
        [--no-type-check] [--rewrite OUT.nir]

`nir.read(WRITTEN)` runs with type_check=True (Python's shape inference and checks along
edges) unless --no-type-check. With a reference, both graphs are compared recursively: node
classes, every field (numpy arrays by dtype, shape and exact values; strings; ints), edges (in
order) and metadata of the graph and of every node. --rewrite writes the graph Python read
back out with `nir.write`, for the Rust side to read and compare. Exit status 0 and "OK ..."
on success; 1 and the differences otherwise. Run by tests/python.rs when the venv exists.
"""
import argparse
import sys

import nir
import numpy as np


def fields(node):
    d = dict(vars(node))
    for k in ("input_type", "output_type"):
        d.pop(k, None)
    if isinstance(node, nir.Flatten):
        d["input_type"] = node.input_type["input"]
    if isinstance(node, (nir.Input,)):
        d["shape"] = node.input_type["input"]
    if isinstance(node, (nir.Output,)):
        d["shape"] = node.output_type["output"]
    return d


def compare(a, b, where, problems):
    if isinstance(a, nir.NIRNode) or isinstance(b, nir.NIRNode):
        if type(a) is not type(b):
            problems.append(f"{where}: {type(a).__name__} vs {type(b).__name__}")
            return
        if isinstance(a, nir.NIRGraph):
            if sorted(a.nodes) != sorted(b.nodes):
                problems.append(f"{where}: nodes {sorted(a.nodes)} vs {sorted(b.nodes)}")
                return
            for name in a.nodes:
                compare(a.nodes[name], b.nodes[name], f"{where}.{name}", problems)
            ea = [(str(x), str(y)) for x, y in a.edges]
            eb = [(str(x), str(y)) for x, y in b.edges]
            if ea != eb:
                problems.append(f"{where}: edges {ea} vs {eb}")
            compare(a.metadata, b.metadata, f"{where}:metadata", problems)
            return
        fa, fb = fields(a), fields(b)
        if sorted(fa) != sorted(fb):
            problems.append(f"{where}: fields {sorted(fa)} vs {sorted(fb)}")
            return
        for k in fa:
            compare(fa[k], fb[k], f"{where}.{k}", problems)
        return
    if isinstance(a, dict) or isinstance(b, dict):
        if not isinstance(a, dict) or not isinstance(b, dict) or sorted(a) != sorted(b):
            problems.append(f"{where}: {a!r} vs {b!r}")
            return
        for k in a:
            compare(a[k], b[k], f"{where}.{k}", problems)
        return
    if isinstance(a, (np.ndarray, np.generic)) or isinstance(b, (np.ndarray, np.generic)):
        a, b = np.asarray(a), np.asarray(b)
        if a.dtype.kind in "SO" or b.dtype.kind in "SO":
            a = np.vectorize(lambda s: s.decode() if isinstance(s, bytes) else s)(a)
            b = np.vectorize(lambda s: s.decode() if isinstance(s, bytes) else s)(b)
            if a.shape != b.shape or not np.array_equal(a, b):
                problems.append(f"{where}: {a!r} vs {b!r}")
            return
        if a.dtype != b.dtype or a.shape != b.shape or not np.array_equal(a, b):
            problems.append(
                f"{where}: {a.dtype}{a.shape} {a.ravel()[:6]} vs {b.dtype}{b.shape} {b.ravel()[:6]}"
            )
        return
    if isinstance(a, bytes):
        a = a.decode()
    if isinstance(b, bytes):
        b = b.decode()
    if a != b:
        problems.append(f"{where}: {a!r} vs {b!r}")


def main():
    parser = argparse.ArgumentParser(usage=__doc__)
    parser.add_argument("written")
    parser.add_argument("reference", nargs="?")
    parser.add_argument("--no-type-check", action="store_true")
    parser.add_argument("--rewrite")
    args = parser.parse_intermixed_args()
    type_check = not args.no_type_check
    written = nir.read(args.written, type_check=type_check)
    version = nir.serialization.read_version(args.written)
    if args.reference:
        reference = nir.read(args.reference, type_check=type_check)
        problems = []
        compare(written, reference, "graph", problems)
        if problems:
            print("DIFFERENT from", args.reference)
            print("\n".join(problems))
            return 1
    if args.rewrite:
        nir.write(args.rewrite, written)
    print(
        f"OK nir {nir.version} read {args.written} (type_check={type_check}, version field "
        f"{version!r}, {len(written.nodes)} nodes, {len(written.edges)} edges)"
        + (f"; equal to {args.reference}" if args.reference else "")
        + (f"; rewrote it as {args.rewrite}" if args.rewrite else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
