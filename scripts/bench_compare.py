#!/usr/bin/env python3
"""Run the peer harness and rockpool's criterion benchmarks one after the other on this machine,
then print a table of ratios (peer median time / rockpool median time: > 1 means rockpool is
faster).

Usage (from the repository root; the peer harness lives in ../shared/bench/peers):
  python3 -m venv /tmp/venv-bench && /tmp/venv-bench/bin/pip install numpy "jax[cpu]" torch
  (the harness imports torch even when only jax_scan is timed)
  /tmp/venv-bench/bin/python scripts/bench_compare.py --libs jax_scan [--threads 2]
Add torch, snntorch, norse, spikingjelly, rockpool to the venv to compare with those too
(--libs jax_scan,torch_hand,snntorch,rockpool_torch,...). --skip-peers / --skip-rust reuse the
last results.
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = os.path.join(ROOT, "..", "shared", "bench", "peers", "bench_lif.py")
WORKLOADS = ["W1", "W2", "W3", "W4"]
MODES = ["fwd", "fwd+bwd"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--libs", default="jax_scan")
    ap.add_argument("--threads", default="2")
    ap.add_argument("--peers-out", default="/tmp/rockpool_peers.json")
    ap.add_argument("--skip-peers", action="store_true")
    ap.add_argument("--skip-rust", action="store_true")
    args = ap.parse_args()
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))

    if not args.skip_peers:
        subprocess.run(
            [sys.executable, PEERS, "--libs", args.libs, "--threads", args.threads,
             "--tag", "compare", "--out", args.peers_out],
            check=True,
        )
    if not args.skip_rust:
        subprocess.run(["cargo", "bench", "--bench", "lif"], cwd=ROOT, check=True)

    runs = json.load(open(args.peers_out))["runs"]
    peers = {}
    for r in runs[-1]["results"]:
        if "median_s" in r:
            peers[(r["workload"], r["mode"], r["library"])] = r["median_s"]
    libs = args.libs.split(",")
    print(f"\n| workload | mode | rockpool (s) | " + " | ".join(f"{l} (s) | {l}/rockpool" for l in libs) + " |")
    print("|---|---|---:|" + "---:|---:|" * len(libs))
    for w in WORKLOADS:
        for m in MODES:
            est = os.path.join(target, "criterion", "lif", m, w, "new", "estimates.json")
            if not os.path.exists(est):
                continue
            ours = json.load(open(est))["median"]["point_estimate"] / 1e9
            cells = []
            for l in libs:
                p = peers.get((w, m, l))
                cells.append(f"{p:.4f} | {p / ours:.2f}" if p else "- | -")
            print(f"| {w} | {m} | {ours:.4f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
