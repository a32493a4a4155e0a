#!/usr/bin/env python3
"""XyloSim (rockpool-xylo, Rust) against SynSense's C++ simulator xylosim 0.1.3 on the same
networks and inputs.

1. Runs the criterion bench ``cargo bench -p rockpool-xylo --bench sim``. Before timing, the
   bench writes every case into the data directory (``<target>/xylosim-bench/<case>/``):
   ``config.json`` (samna's XyloAudio 2 JSON), ``input.npy`` (T, Nin) event counts, and its
   own results ``output.npy`` (T, Nout) readout events and ``spikes.npy`` (T, Nhid) hidden
   events. The cases are a full-size XyloAudio 2 network (16 inputs, 1000 hidden, 8 outputs)
   and ``tests/fixtures/example_config_syns61201.json``, each on 10 000 Poisson input steps
   (see crates/rockpool-xylo/benches/sim.rs).
2. Builds ``xylosim.v2.XyloLayer`` (the core behind Rockpool's ``XyloSim``) from each
   ``config.json`` the way Rockpool's XyloAudio 2 ``XyloSim.from_config`` reads it, with the
   layer builder of ``tests/fixtures/make_fixtures.py`` (the one the bit-exactness fixtures
   use), runs the input once and checks that the readout events and the hidden events equal
   ``output.npy`` / ``spikes.npy`` exactly.
3. Times ``layer.reset_all(); layer.evolve(input)`` with ``time.perf_counter``: the checked
   call is the warm-up, then the median of ``--repeats`` calls (the first one is also checked
   to reproduce the warm-up's output, so ``reset_all`` restarts from the same state). The input is converted to a list of lists
   beforehand (xylosim's API takes nested sequences); the conversion of that list into C++
   and of the output back into Python lists happens inside ``evolve`` and is timed.
4. Reads criterion's medians from ``<target>/criterion/xylo_sim/<id>/<case>/new/estimates.json``
   and prints the comparison. xylosim always records its traces, so ``evolve_record`` (ours,
   every trace recorded) is the like-for-like figure; ``evolve`` (no traces) is ours as normally
   used.

Run from anywhere, with the venv that has xylosim 0.1.3 (see make_fixtures.py)::

    export CARGO_TARGET_DIR=...   # optional; the default is <repo>/target
    /work/venv-xylo/bin/python scripts/bench_xylosim.py [--repeats 5] [--skip-rust]

``--skip-rust`` reuses the files and estimates of the last bench run. The machine this was
written on is shared and noisy: compare the two sides only within one run of this script.
"""
import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "crates", "rockpool-xylo", "tests", "fixtures")
CASES = ["full", "example"]
GROUP = "xylo_sim"


def load_make_fixtures():
    """Imports tests/fixtures/make_fixtures.py (its ``build_layer`` builds a XyloLayer)."""
    spec = importlib.util.spec_from_file_location("make_fixtures", os.path.join(FIXTURES, "make_fixtures.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def matrix(m):
    """A samna/cereal matrix as a 2-D array, honouring its element strides (``offsets``)."""
    rows, cols = m["dimensions"]["value0"], m["dimensions"]["value1"]
    ro, co = m["offsets"]["value0"], m["offsets"]["value1"]
    values = np.asarray(m["values"], dtype=np.int64)
    if rows == 0 or cols == 0:
        return np.zeros((rows, cols), np.int64)
    return values[np.arange(rows)[:, None] * ro + np.arange(cols)[None, :] * co]


def spec_from_xylo2_config(path):
    """The integer spec a XyloAudio 2 configuration runs, as Rockpool's ``from_config`` reads it
    (biases only with ``biasEnable``, the second synapse only with ``synapse2Enable``, alias
    targets only with ``aliasing``; readout row k is hidden neuron k)."""
    with open(path) as f:
        cfg = json.load(f)["value0"]
    hid, ro = cfg["reservoir"]["neurons"], cfg["readout"]["neurons"]
    n_hid = len(hid)
    two = bool(cfg["synapse2Enable"])
    bias_on = bool(cfg["biasEnable"])
    w_in = [matrix(cfg["input"]["weights"])]
    w_rec = [matrix(cfg["reservoir"]["weights"])]
    if two:
        w_in.append(matrix(cfg["input"]["syn2_weights"]))
        w_rec.append(matrix(cfg["reservoir"]["syn2Weights"]))
    w_ro = matrix(cfg["readout"]["weights"])
    w_out = np.zeros((n_hid, len(ro)), np.int64)
    w_out[: w_ro.shape[0]] = w_ro
    aliasing = bool(cfg["reservoir"]["aliasing"])
    col = lambda ns, key: np.array([n[key] for n in ns], np.int64)
    return dict(
        weights_in=np.stack(w_in, -1),
        weights_rec=np.stack(w_rec, -1),
        weights_out=w_out,
        dash_mem=col(hid, "vMemDecay"),
        dash_syn=col(hid, "iSynDecay"),
        dash_syn_2=col(hid, "iSyn2Decay") if two else np.zeros(n_hid, np.int64),
        dash_mem_out=col(ro, "vMemDecay"),
        dash_syn_out=col(ro, "iSynDecay"),
        threshold=col(hid, "threshold"),
        threshold_out=col(ro, "threshold"),
        bias=col(hid, "vMemBias") * bias_on,
        bias_out=col(ro, "vMemBias") * bias_on,
        weight_shifts=np.array([cfg["input"]["weightBitShift"], cfg["reservoir"]["weightBitShift"],
                                cfg["readout"]["weightBitShift"]]),
        aliases=[[n["aliasTarget"]["data"]] if aliasing and not n["aliasTarget"]["nullopt"] else []
                 for n in hid],
    )


def criterion_median_s(target, bench_id, case):
    """Criterion's median estimate in seconds, or None when the bench has not run."""
    path = os.path.join(target, "criterion", GROUP, bench_id, case, "new", "estimates.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"] / 1e9


def time_xylosim(mf, case_dir, repeats):
    """Checks xylosim against our files and times it; returns (median s, all times, T, Nhid)."""
    spec = spec_from_xylo2_config(os.path.join(case_dir, "config.json"))
    raster = np.load(os.path.join(case_dir, "input.npy"))
    ours_out = np.load(os.path.join(case_dir, "output.npy"))
    ours_spikes = np.load(os.path.join(case_dir, "spikes.npy"))
    t, n_hid = len(raster), spec["weights_rec"].shape[0]
    layer = mf.build_layer(spec)
    chunk = raster.astype(np.int64).tolist()

    out = np.array(layer.evolve(chunk)).reshape(t, -1)
    spikes = np.array(layer.rec_recurrent_spikes).reshape(t, -1)
    ok_out = np.array_equal(out, ours_out)
    ok_spikes = np.array_equal(spikes, ours_spikes)
    if not (ok_out and ok_spikes):
        bad = [name for name, ok in (("output", ok_out), ("hidden spikes", ok_spikes)) if not ok]
        sys.exit(f"MISMATCH in {case_dir}: {', '.join(bad)} differ between xylosim and rockpool-xylo")
    print(f"{os.path.basename(case_dir)}: xylosim == rockpool-xylo on {t} steps "
          f"(readout events {int(out.sum())}, hidden events {int(spikes.sum())})", flush=True)

    times = []
    for i in range(repeats):
        layer.reset_all()
        t0 = time.perf_counter()
        res = layer.evolve(chunk)
        times.append(time.perf_counter() - t0)
        if i == 0 and not np.array_equal(np.array(res).reshape(t, -1), out):
            sys.exit(f"xylosim's reset_all does not reproduce the first run in {case_dir}")
    return statistics.median(times), times, t, n_hid


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5, help="timed xylosim calls per case (after one warm-up)")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--skip-rust", action="store_true", help="reuse the last bench's files and estimates")
    ap.add_argument("--target-dir", default=os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")))
    args = ap.parse_args()
    target = os.path.abspath(args.target_dir)
    data = os.path.join(target, "xylosim-bench")
    cases = [c for c in args.cases.split(",") if c]

    if not args.skip_rust:
        env = dict(os.environ, CARGO_TARGET_DIR=target, ROCKPOOL_XYLOSIM_BENCH_DIR=data)
        subprocess.run(["cargo", "bench", "-p", "rockpool-xylo", "--bench", "sim"], cwd=ROOT, env=env, check=True)

    mf = load_make_fixtures()
    rows = []
    for case in cases:
        case_dir = os.path.join(data, case)
        if not os.path.exists(os.path.join(case_dir, "config.json")):
            sys.exit(f"{case_dir} has no config.json: run without --skip-rust first")
        xs_s, xs_times, t, n_hid = time_xylosim(mf, case_dir, args.repeats)
        rec_s = criterion_median_s(target, "evolve_record", case)
        plain_s = criterion_median_s(target, "evolve", case)
        rows.append((case, t, n_hid, xs_s, xs_times, rec_s, plain_s))

    fmt = lambda s: "-" if s is None else f"{s:.4f}"
    ratio = lambda a, b: "-" if b is None else f"{a / b:.1f}"
    print("\nMedian seconds per evolve call (ratio > 1: rockpool-xylo is faster)\n")
    print("| case | steps | hidden | xylosim (s) | rockpool record (s) | xylosim/rockpool | "
          "rockpool no record (s) | xylosim/rockpool |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for case, t, n_hid, xs_s, _, rec_s, plain_s in rows:
        print(f"| {case} | {t} | {n_hid} | {xs_s:.4f} | {fmt(rec_s)} | {ratio(xs_s, rec_s)} | "
              f"{fmt(plain_s)} | {ratio(xs_s, plain_s)} |")
    print("\nThroughput: time steps / s and hidden neuron-steps / s\n")
    print("| case | xylosim steps/s | xylosim neuron-steps/s | rockpool record steps/s | "
          "rockpool record neuron-steps/s | rockpool steps/s | rockpool neuron-steps/s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    tp = lambda s, n: "-" if s is None else f"{n / s:.3g}"
    for case, t, n_hid, xs_s, _, rec_s, plain_s in rows:
        print(f"| {case} | {tp(xs_s, t)} | {tp(xs_s, t * n_hid)} | {tp(rec_s, t)} | {tp(rec_s, t * n_hid)} | "
              f"{tp(plain_s, t)} | {tp(plain_s, t * n_hid)} |")
    print("\nxylosim times (s): " + "; ".join(
        f"{case}: " + ", ".join(f"{x:.4f}" for x in times) for case, _, _, _, times, _, _ in rows))
    print(f"loadavg {os.getloadavg()}")


if __name__ == "__main__":
    main()
    # xylosim's layers may crash on interpreter teardown (see make_fixtures.py).
    sys.stdout.flush()
    os._exit(0)
