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
--runs N repeats the whole comparison N times in a row (each run interleaved if asked), prints each
run's table, then the table of per-cell medians over the runs (times and ratios): the figure to
report on this shared machine, where one run moves a cell by 15-30 %.
"""
import statistics
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


def collect(peers, home, libs, workloads, modes):
    """{(workload, mode): {"ours": (s, neuron-steps) or None, lib: (peer s, ratio) or None}}."""
    out = {}
    for w in workloads:
        for m in modes:
            o = ours(home, w, m)
            cell = {"ours": o}
            for l in libs:
                r = peers.get((w, m, l))
                if r is None or "median_s" not in r:
                    cell[l] = None
                elif o is None or o[1] is None:
                    cell[l] = (r["median_s"], None)
                else:
                    cell[l] = (r["median_s"], (o[1] / o[0]) / r["throughput_neuron_steps_per_s"])
            out[(w, m)] = cell
    return out


def median_table(snapshots, libs, workloads, modes):
    """The table of per-cell medians over `snapshots` (from collect())."""
    med = lambda xs: statistics.median(xs) if xs else None
    lines = ["| workload | mode | rockpool (s) | rockpool (M n-steps/s) | "
             + " | ".join(f"{l} (s) | rockpool/{l} (runs)" for l in libs) + " |",
             "|---|---|---:|---:|" + "---:|---:|" * len(libs)]
    for w in workloads:
        for m in modes:
            cells = [s[(w, m)] for s in snapshots]
            ours_s = med([c["ours"][0] for c in cells if c["ours"]])
            ours_tp = med([c["ours"][1] / c["ours"][0] / 1e6 for c in cells if c["ours"] and c["ours"][1]])
            mine = ("-" if ours_s is None else f"{ours_s:.4f}") + " | " + ("-" if ours_tp is None else f"{ours_tp:.1f}")
            parts = []
            for l in libs:
                peer = [c[l][0] for c in cells if c[l]]
                ratios = [c[l][1] for c in cells if c[l] and c[l][1] is not None]
                p = med(peer)
                r = med(ratios)
                runs = " ".join(f"{x:.2f}" for x in ratios)
                parts.append(("-" if p is None else f"{p:.4f}") + " | "
                             + ("-" if r is None else f"**{r:.2f}** ({runs})"))
            lines.append(f"| {w} | {m} | {mine} | " + " | ".join(parts) + " |")
    return "\n".join(lines)


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
    ap.add_argument("--runs", type=int, default=1,
                    help="repeat the comparison N times and print the per-cell median table")
    args = ap.parse_args()
    if args.runs < 1:
        sys.exit("--runs must be at least 1")
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

    snapshots = []
    for run in range(args.runs):
        run_tag = tag if args.runs == 1 else f"{tag}-r{run + 1}"
        if args.interleave:
            for w in workloads:
                for m in modes:
                    if not args.skip_peers:
                        run_peers(args, run_tag, [w], [m])
                    if not args.skip_rust:
                        run_rust([w], [m])
        else:
            if not args.skip_peers:
                run_peers(args, run_tag, workloads, modes)
            if not args.skip_rust:
                run_rust(workloads, modes)

        if not os.path.exists(args.peers_out):
            sys.exit(f"{args.peers_out} does not exist: run without --skip-peers first")
        peers, t_divs = peer_results(args.peers_out, None if args.skip_peers else run_tag)
        print(f"\nrun {run + 1}/{args.runs}: ratio = rockpool's neuron-steps/s over the peer's "
              f"(> 1: rockpool is faster); peers from {args.peers_out}, ours from {home}")
        if t_divs - {1}:
            print(f"NOTE: the peers ran with --t-div {sorted(t_divs)}: their T is shorter than ours, "
                  f"so the ratios are only indicative")
        print()
        print(table(peers, home, libs, workloads, modes))
        snapshots.append(collect(peers, home, libs, workloads, modes))

    if args.runs > 1:
        print(f"\nmedian of {args.runs} runs per cell (ratio in bold, each run's ratio in brackets):\n")
        print(median_table(snapshots, libs, workloads, modes))


if __name__ == "__main__":
    main()
