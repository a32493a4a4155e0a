#!/usr/bin/env python3
"""The peer harness (../shared/bench/peers/bench_lif.py) with the open-neuromorphic workload
added as "ON4096": Linear(4096,4096)-LIF(4096), T = 500, B = 16 (../shared/bench/WORKLOADS.md),
built like the other workloads (dt = 1 ms, tau = 20 ms, Bernoulli(0.05) input, N(0, 0.2²/fan_in)
weights). Takes the harness's arguments; scripts/bench_compare.py --on runs it.
"""
import os
import sys

PEERS = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                      "..", "..", "shared", "bench", "peers"))
sys.path.insert(0, PEERS)
import bench_lif  # noqa: E402  (parses the command line on import)

bench_lif.WORKLOADS["ON4096"] = dict(layers=[(4096, 4096)], T=500, B=16, rec=False,
                                     desc="Linear(4096,4096)-LIF(4096), T=500, B=16 (open-neuromorphic)")

if __name__ == "__main__":
    bench_lif.main()
