#!/usr/bin/env python3
"""Writes the Python-made test fixtures of rockpool-nir (tests/fixtures/).

Needs Python `nir` 1.0.8 with h5py and numpy:
    python3 -m venv /work/venv-nir && /work/venv-nir/bin/pip install nir h5py numpy
    /work/venv-nir/bin/python crates/rockpool-nir/scripts/make_fixtures.py

- python_all_nodes.nir: every node type, written by `nir.write` (gzip-chunked arrays,
  variable-length strings, graph and node metadata, a nested NIRGraph). Values are multiples
  of 0.25 so that tests/read_fixtures.rs can rebuild them exactly (`ramp` below).
- old_style.nir: written with h5py the way 2023 files were: fixed-length ASCII strings,
  contiguous uncompressed arrays, LIF and CubaLIF without `v_reset`, CubaLIF without `w_in`.
- hostile_cycle.nir: a subgraph whose `nodes` group hard-links back to the subgraph itself,
  twice (an endless, exponentially branching walk for a naive reader).
"""
import pathlib

import h5py
import nir
import numpy as np

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures"


def ramp(shape, dtype=np.float32, start=0.0):
    """start, start + 0.25, ... in row-major order (exact in float32 and float64)."""
    n = int(np.prod(shape))
    return (start + 0.25 * np.arange(n)).reshape(shape).astype(dtype)


def all_nodes():
    f32, f64 = np.float32, np.float64
    n = 6
    nodes = {
        "input": nir.Input(input_type=np.array([2, 8, 8])),
        "conv2d": nir.Conv2d(
            input_shape=(8, 8),
            weight=ramp((4, 2, 3, 3)),
            stride=1,
            padding=1,
            dilation=1,
            groups=1,
            bias=ramp((4,), start=-1.0),
        ),
        "sumpool": nir.SumPool2d(
            kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])
        ),
        "avgpool": nir.AvgPool2d(
            kernel_size=np.array([1, 1]), stride=np.array([1, 1]), padding=np.array([0, 0])
        ),
        "flatten": nir.Flatten(input_type=np.array([4, 4, 4]), start_dim=0, end_dim=-1),
        "affine": nir.Affine(weight=ramp((n, 64)), bias=ramp((n,), start=-0.5)),
        "lif": nir.LIF(
            tau=ramp((n,), f64, 0.25),
            r=ramp((n,), f64, 1.0),
            v_leak=ramp((n,), f64, -0.25),
            v_threshold=ramp((n,), f64, 1.0),
            v_reset=ramp((n,), f64, -1.0),
            metadata={"reset": "subtract"},
        ),
        "linear": nir.Linear(weight=ramp((n, n), f64)),
        "cubalif": nir.CubaLIF(
            tau_syn=ramp((n,), f32, 0.5),
            tau_mem=ramp((n,), f32, 0.75),
            r=ramp((n,), f32, 1.0),
            v_leak=ramp((n,), f32, 0.0),
            v_threshold=ramp((n,), f32, 2.0),
            v_reset=ramp((n,), f32, 0.0),
            w_in=ramp((n,), f32, 3.0),
        ),
        "scale": nir.Scale(scale=ramp((n,), f32, 0.5)),
        "threshold": nir.Threshold(threshold=ramp((n,), f32, 0.25)),
        "delay": nir.Delay(delay=ramp((n,), f64, 0.25)),
        "i": nir.I(r=ramp((n,), f32, 1.0)),
        "if": nir.IF(
            r=ramp((n,), f32, 1.0), v_threshold=ramp((n,), f32, 1.0), v_reset=ramp((n,), f32, 0.0)
        ),
        "li": nir.LI(tau=ramp((n,), f32, 0.25), r=ramp((n,), f32, 1.0), v_leak=ramp((n,), f32)),
        "cubali": nir.CubaLI(
            tau_syn=ramp((n,), f32, 0.25),
            tau_mem=ramp((n,), f32, 0.5),
            r=ramp((n,), f32, 1.0),
            v_leak=ramp((n,), f32),
            w_in=ramp((n,), f32, 1.0),
        ),
        "sub": nir.NIRGraph(
            nodes={
                "in": nir.Input(input_type=np.array([n])),
                "lif": nir.LIF(
                    tau=ramp((n,), f32, 0.25),
                    r=ramp((n,), f32, 1.0),
                    v_leak=ramp((n,), f32),
                    v_threshold=ramp((n,), f32, 1.0),
                ),
                "out": nir.Output(output_type=np.array([n])),
            },
            edges=[("in", "lif"), ("lif", "out")],
            metadata={"role": "recurrent block"},
            type_check=False,
        ),
        "output": nir.Output(output_type=np.array([n])),
        "input1d": nir.Input(input_type=np.array([3, 10])),
        "conv1d": nir.Conv1d(
            input_shape=10,
            weight=ramp((2, 3, 3), f64),
            stride=1,
            padding="same",
            dilation=1,
            groups=1,
            bias=ramp((2,), f64),
        ),
        "output1d": nir.Output(output_type=np.array([2, 10])),
    }
    chain = [
        "input", "conv2d", "sumpool", "avgpool", "flatten", "affine", "lif", "linear",
        "cubalif", "scale", "threshold", "delay", "i", "if", "li", "cubali", "sub", "output",
    ]
    edges = list(zip(chain[:-1], chain[1:])) + [("input1d", "conv1d"), ("conv1d", "output1d")]
    graph = nir.NIRGraph(
        nodes=nodes,
        edges=edges,
        metadata={"dt": 1e-4, "exporter": "nir 1.0.8 (make_fixtures.py)", "steps": 3},
        type_check=False,
    )
    nir.write(OUT / "python_all_nodes.nir", graph)
    # Python must read back what it wrote.
    nir.read(OUT / "python_all_nodes.nir", type_check=False)


def old_style():
    path = OUT / "old_style.nir"

    def s(text):
        return np.bytes_(text)  # fixed-length ASCII

    with h5py.File(path, "w") as f:
        f.create_dataset("version", data=s("0.2.0"))
        node = f.create_group("node")
        node.create_dataset("type", data=s("NIRGraph"))
        node.create_dataset(
            "edges",
            data=np.array(
                [[b"in", b"lin"], [b"lin", b"lif"], [b"lif", b"cuba"], [b"cuba", b"out"]],
                dtype="S4",
            ),
        )
        nodes = node.create_group("nodes")

        def group(name, kind, **fields):
            g = nodes.create_group(name)
            g.create_dataset("type", data=s(kind))
            for k, v in fields.items():
                g.create_dataset(k, data=v)  # contiguous, uncompressed

        group("in", "Input", shape=np.array([3], dtype=np.int64))
        group("lin", "Linear", weight=ramp((3, 3)))
        group(
            "lif",
            "LIF",
            tau=ramp((3,), np.float32, 0.25),
            r=ramp((3,), np.float32, 1.0),
            v_leak=ramp((3,), np.float32),
            v_threshold=ramp((3,), np.float32, 1.0),
        )
        group(
            "cuba",
            "CubaLIF",
            tau_syn=ramp((3,), np.float64, 0.25),
            tau_mem=ramp((3,), np.float64, 0.5),
            r=ramp((3,), np.float64, 1.0),
            v_leak=ramp((3,), np.float64),
            v_threshold=ramp((3,), np.float64, 1.0),
        )
        group("out", "Output", shape=np.array([3], dtype=np.int64))
    g = nir.read(path)
    assert np.array_equal(g.nodes["lif"].v_reset, np.zeros(3, dtype=np.float32))
    assert np.array_equal(g.nodes["cuba"].w_in, np.ones(3))


def hostile_cycle():
    with h5py.File(OUT / "hostile_cycle.nir", "w") as f:
        f.create_dataset("version", data="1.0.8", dtype=h5py.string_dtype())
        node = f.create_group("node")
        node.create_dataset("type", data="NIRGraph", dtype=h5py.string_dtype())
        node.create_dataset("edges", data=np.zeros(0))
        sub = node.create_group("nodes").create_group("sub")
        sub.create_dataset("type", data="NIRGraph", dtype=h5py.string_dtype())
        sub.create_dataset("edges", data=np.zeros(0))
        inner = sub.create_group("nodes")
        inner["a"] = sub  # hard links: sub/nodes/a is sub itself
        inner["b"] = sub


if __name__ == "__main__":
    all_nodes()
    old_style()
    hostile_cycle()
    print("wrote", OUT / "python_all_nodes.nir", "and", OUT / "old_style.nir")
