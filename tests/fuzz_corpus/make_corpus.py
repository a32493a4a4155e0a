"""Writes the hand-made regression inputs of the fuzz targets (tests/fuzz.rs): the hostile
inputs of issue 13 for the formats the fuzzer covers. Standard library only; run from the
repository root: python3 tests/fuzz_corpus/make_corpus.py"""

import io
import json
import os
import struct
import zipfile

ROOT = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    os.makedirs(os.path.join(ROOT, target), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(ROOT, target, name), "wb") as f:
        f.write(data)


def npy(descr, shape, payload):
    """An .npy (format 1.0) with the given header and raw data."""
    shape_txt = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_txt}, }}"
    pad = 64 - (10 + len(header) + 1) % 64
    header = header + " " * pad + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + payload


def npz(entries):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, data in entries:
            # A fixed date keeps the files byte for byte the same on every run.
            z.writestr(zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


# Job files: the training inputs (each must be refused with the field named).
NET = """[network]
[[network.layers]]
type = "linear"
size_in = 16
size_out = 4
[[network.layers]]
type = "lif"
n = 4
[task]
type = "frozen_noise"
"""
put("job_toml", "train_samples_1e12.toml", NET + "[data]\ntrain_samples = 1000000000000\n")
put("job_toml", "valid_fraction_1.5.toml", NET + "[data]\nvalid_fraction = 1.5\n")
put("job_toml", "grad_clip_norm_nan.toml", NET + "[training]\ngrad_clip_norm = nan\n")
put("job_toml", "l2_inf.toml", NET + "[training]\nl2 = inf\n")
put("job_toml", "num_steps_huge.toml", NET.replace('type = "frozen_noise"',
    'type = "frozen_noise"\nnum_steps = 4294967296\nnum_channels = 4294967296'))
put("job_toml", "peak_max_interval_huge.toml",
    NET + "[training]\nloss = { peak = { max_interval = 18446744073709551615, "
    "weight_nontarget = 0.5, target_output = 1.0 } }\n")

# Task datasets: zero time steps, zero channels, a huge class label.
f32 = lambda n: struct.pack(f"<{n}f", *([0.0] * n))
i64 = lambda vals: struct.pack(f"<{len(vals)}q", *vals)
put("task_dataset_npz", "zero_steps.npz",
    npz([("x", npy("<f4", (2, 0, 3), b"")), ("y", npy("<i8", (2,), i64([0, 1])))]))
put("task_dataset_npz", "zero_channels.npz",
    npz([("x", npy("<f4", (2, 3, 0), b"")), ("y", npy("<i8", (2,), i64([0, 1])))]))
put("task_dataset_npz", "label_1e12.npz",
    npz([("x", npy("<f4", (2, 1, 1), f32(2))),
         ("y", npy("<i8", (2,), i64([0, 10**12])))]))

# Xylo rasters: negative, fractional and NaN counts, wrong rank.
put("xylo_raster", "negative.npy", npy("<i8", (1, 2), i64([1, -2])))
put("xylo_raster", "nan.npy", npy("<f8", (1, 2), struct.pack("<2d", 1.0, float("nan"))))
put("xylo_raster", "rank1.npy", npy("<i8", (2,), i64([1, 2])))
put("xylo_raster", "zero_steps.npy", npy("<i8", (0, 2), b""))

# Xylo JSON: a matrix declaring 2^40 rows over one value (offsets 0) made the reader
# allocate terabytes.
path = os.path.join(ROOT, "..", "..", "crates", "rockpool-xylo", "tests", "fixtures",
                    "example_config_syns61201.json")
with open(path) as f:
    cfg = json.load(f)
w = cfg["value0"]["input"]["weights"]
w["dimensions"] = {"value0": 2**40, "value1": w["dimensions"]["value1"]}
w["offsets"] = {"value0": 0, "value1": 0}
put("xylo_json", "input_weights_2e40_rows.json", json.dumps(cfg))
w["dimensions"] = {"value0": -3, "value1": 5}
put("xylo_json", "input_weights_negative_rows.json", json.dumps(cfg))

# Task tables: spike rates so high that drawing spikes one by one never finished (found by
# the task_toml target), and caps far above any chip.
put("task_toml", "rate_1e300.toml", 'type = "frozen_noise"\nrate = 1e300\n')
put("task_toml", "noise_rate_1e12.toml", 'type = "frozen_noise"\nnoise_rate = 1e12\n'
    "max_spikes_per_step = 4294967295\n")
put("task_toml", "keyword_cap_huge.toml", 'type = "keyword"\nmax_spikes_per_step = 4294967295\n')
