#!/usr/bin/env python3
"""Run the peer harness (../shared/bench/peers/bench_lif.py) and rockpool's criterion bench
(benches/lif.rs) on this machine, then print a table of both and their ratio.

The ratio is rockpool's throughput over the peer's, in LIF neuron-steps per second; with the same
workload on both sides that is the peer's median time over ours (> 1: rockpool is faster). It is
computed from throughput because the harness runs rockpool_numpy at batch 4 and, with --t-div,
every peer at a shorter T: both are accounted for in the harness's neuron_steps.

Usage (from the repository root; the peer venv needs numpy, "jax[cpu]" and torch, since the
harness imports torch even when only jax_scan is timed; add snntorch, norse, spikingjelly,
rockpool to compare with those too):

  python3 -m venv /work/venv-peers && /work/venv-peers/bin/pip install numpy "jax[cpu]" torch snntorch
  /work/venv-peers/bin/python scripts/bench_compare.py --libs jax_scan,torch_hand [--threads 1]
  /work/venv-peers/bin/python scripts/bench_compare.py --interleave --workloads W1,W4 --modes fwd

--interleave runs one (workload, mode) at a time, the peers then ours (`cargo bench --bench lif --
'^lif/<mode>/<W>$'`), so both sides of each row see the same machine conditions (this machine is
shared and noisy). Without it, all peers run first, then all of ours. --skip-peers / --skip-rust
reuse the last results: the peer runs of the last invocation of this script (the runs sharing the
last run's tag in --peers-out) and criterion's latest estimates
(<criterion home>/lif/<mode>/<W>/new/estimates.json, criterion home = $CRITERION_HOME or
$CARGO_TARGET_DIR/criterion or <repo>/target/criterion). --t-div N shortens the peers' T for a smoke
test; ours always runs at full T, so the ratios are then only indicative (per-call overheads weigh
more at short T). --on adds the open-neuromorphic workload ON4096 (Linear(4096,4096)-LIF(4096),
T = 500, B = 16) on both sides (scripts/bench_lif_on.py for the peers, ROCKPOOL_BENCH_ON=1 for ours).
"""
import argparse
import datetime
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = os.path.normpath(os.path.join(ROOT, "..", "shared", "bench", "peers", "bench_lif.py"))
PEERS_ON = os.path.join(ROOT, "scripts", "bench_lif_on.py")
WORKLOADS = ["W1", "W2", "W3", "W4"]
MODES = ["fwd", "fwd+bwd"]
GROUP = "lif"  # benches/lif.rs: benchmark_group("lif"), BenchmarkId::new(mode, workload)


def criterion_home():
    if os.environ.get("CRITERION_HOME"):
        return os.environ["CRITERION_HOME"]
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target, "criterion")


def ours(home, workload, mode):
    """(median seconds, neuron-steps per call) of our bench, or None when it has not run.

    Criterion keeps '+' in directory names (it only replaces ?"/\\*<>:|^), so fwd+bwd lives in
    lif/fwd+bwd/<W>/. The neuron-steps come from the throughput criterion stored with the bench.
    """
    d = os.path.join(home, GROUP, mode, workload)
    est = os.path.join(d, "new", "estimates.json")
    if not os.path.exists(est):
        return None
    with open(est) as f:
        median = json.load(f)["median"]["point_estimate"] / 1e9
    elements = None
    bench = os.path.join(d, "new", "benchmark.json")
    if os.path.exists(bench):
        with open(bench) as f:
            elements = (json.load(f).get("throughput") or {}).get("Elements")
    return median, elements


def run_peers(args, tag, workloads, modes):
    harness = PEERS_ON if "ON4096" in workloads else PEERS
    cmd = [sys.executable, harness, "--libs", args.libs, "--threads", str(args.threads), "--tag", tag,
           "--out", args.peers_out, "--workloads", ",".join(workloads), "--modes", ",".join(modes),
           "--t-div", str(args.t_div)]
    if args.repeats:
        cmd += ["--repeats", str(args.repeats)]
    print("+ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def run_rust(workloads, modes):
    pattern = "^{}/({})/({})$".format(
        GROUP, "|".join(re.escape(m) for m in modes), "|".join(re.escape(w) for w in workloads))
    cmd = ["cargo", "bench", "--bench", "lif", "--", pattern]
    print("+ " + " ".join(cmd), flush=True)
    env = dict(os.environ, ROCKPOOL_BENCH_ON="1") if "ON4096" in workloads else None
    subprocess.run(cmd, cwd=ROOT, check=True, env=env)


def peer_results(path, tag=None):
    """{(workload, mode, library): result} from the runs tagged `tag` (default: the last run's tag);
    later runs override earlier ones. Also returns the set of t_div values seen."""
    with open(path) as f:
        runs = json.load(f)["runs"]
    if not runs:
        return {}, set()
    tag = runs[-1].get("tag") if tag is None else tag
    out, t_divs = {}, set()
    for run in runs:
        if run.get("tag") != tag:
            continue
        t_divs.add(run.get("t_div", 1))
        for r in run["results"]:
            out[(r["workload"], r["mode"], r["library"])] = r
    return out, t_divs


def table(peers, home, libs, workloads, modes):
    lines = ["| workload | mode | rockpool (s) | rockpool (M n-steps/s) | "
             + " | ".join(f"{l} (s) | rockpool/{l}" for l in libs) + " |",
             "|---|---|---:|---:|" + "---:|---:|" * len(libs)]
    for w in workloads:
        for m in modes:
            o = ours(home, w, m)
            cells = []
            for l in libs:
                r = peers.get((w, m, l))
                if r is None:
                    cells.append("- | -")
                elif "median_s" not in r:
                    cells.append(f"error | {r.get('error', '?')[:40]}")
                elif o is None or o[1] is None:
                    cells.append(f"{r['median_s']:.4f} | -")
                else:
                    ratio = (o[1] / o[0]) / r["throughput_neuron_steps_per_s"]
                    cells.append(f"{r['median_s']:.4f} | {ratio:.2f}")
            if o is None:
                mine = "- | -"
            else:
                mine = f"{o[0]:.4f} | " + ("-" if o[1] is None else f"{o[1] / o[0] / 1e6:.1f}")
            lines.append(f"| {w} | {m} | {mine} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--libs", default="jax_scan", help="peer libraries, comma-separated (bench_lif.py --libs)")
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--threads", type=int, default=2, help="bench_lif.py --threads (torch/XLA/BLAS threads)")
    ap.add_argument("--repeats", type=int, default=0, help="bench_lif.py --repeats (0: its default)")
    ap.add_argument("--t-div", type=int, default=1, help="bench_lif.py --t-div: shorter peer runs, smoke tests only")
    ap.add_argument("--peers-out", default="/tmp/rockpool_peers.json", help="bench_lif.py --out (runs are appended)")
    ap.add_argument("--interleave", action="store_true",
                    help="alternate peers and ours per (workload, mode) instead of all peers, then all ours")
    ap.add_argument("--skip-peers", action="store_true")
    ap.add_argument("--skip-rust", action="store_true")
    ap.add_argument("--on", action="store_true", help="add the open-neuromorphic workload ON4096")
    args = ap.parse_args()
    libs = [l for l in args.libs.split(",") if l]
    workloads = [w for w in args.workloads.split(",") if w]
    if args.on and "ON4096" not in workloads:
        workloads.append("ON4096")
    modes = [m for m in args.modes.split(",") if m]
    for m in modes:
        if m not in MODES:
            sys.exit(f"unknown mode {m!r} (expected {MODES})")
    home = criterion_home()
    tag = "compare-" + datetime.datetime.now().strftime("%Y%m%dT%H%M%S")

    if args.interleave:
        for w in workloads:
            for m in modes:
                if not args.skip_peers:
                    run_peers(args, tag, [w], [m])
                if not args.skip_rust:
                    run_rust([w], [m])
    else:
        if not args.skip_peers:
            run_peers(args, tag, workloads, modes)
        if not args.skip_rust:
            run_rust(workloads, modes)

    if not os.path.exists(args.peers_out):
        sys.exit(f"{args.peers_out} does not exist: run without --skip-peers first")
    peers, t_divs = peer_results(args.peers_out, None if args.skip_peers else tag)
    print(f"\nratio = rockpool's neuron-steps/s over the peer's (> 1: rockpool is faster); "
          f"peers from {args.peers_out}, ours from {home}")
    if t_divs - {1}:
        print(f"NOTE: the peers ran with --t-div {sorted(t_divs)}: their T is shorter than ours, "
              f"so the ratios are only indicative")
    print()
    print(table(peers, home, libs, workloads, modes))


if __name__ == "__main__":
    main()
