"""Writes the small HDF5 fixtures of rockpool-events' tests (tests/fixtures/*.h5).

The files follow the layout of the Spiking Heidelberg Digits (SHD) and Spiking Speech Commands
(SSC) releases: `spikes/times` and `spikes/units` hold one variable-length array per sample
(times in seconds, channel indices 0..699), `labels` one class per sample, `extra/...` metadata.
The values are literal lists, repeated in the Rust tests, so a test compares what the Rust
reader decodes with what was written here.

Run from anywhere (h5py and numpy needed):
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install h5py numpy
    /tmp/venv/bin/python crates/rockpool-events/scripts/make_fixtures.py
"""

import os

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures")

# Four samples. Times are chosen so that most are exact in float16; 0.1 is not (it becomes
# 0.0999755859375), which the Rust test checks.
TIMES = [
    [0.0, 0.001953125, 0.25, 0.5],
    [0.0625, 0.1, 0.125],
    [],
    [0.75, 0.75, 1.0, 1.25, 1.5],
]
UNITS = [
    [0, 699, 3, 3],
    [10, 20, 30],
    [],
    [1, 2, 3, 4, 5],
]
LABELS_SHD = [3, 19, 0, 7]
LABELS_SSC = [34, 0, 12, 1]


def write(path, times, units, labels, time_dtype, unit_dtype, label_dtype, chunked=False):
    with h5py.File(path, "w") as f:
        kw = dict(chunks=(2,), compression="gzip") if chunked else {}
        t = f.create_dataset(
            "spikes/times", (len(times),), dtype=h5py.vlen_dtype(np.dtype(time_dtype)), **kw
        )
        u = f.create_dataset(
            "spikes/units", (len(units),), dtype=h5py.vlen_dtype(np.dtype(unit_dtype)), **kw
        )
        for i, (ti, ui) in enumerate(zip(times, units)):
            t[i] = np.asarray(ti, dtype=time_dtype)
            u[i] = np.asarray(ui, dtype=unit_dtype)
        f.create_dataset("labels", data=np.asarray(labels, dtype=label_dtype))
        n = len(labels)
        f.create_dataset("extra/speaker", data=np.arange(n, dtype=np.uint16))
        f.create_dataset(
            "extra/keys", data=np.asarray([b"zero", b"one"][: min(n, 2)], dtype=h5py.string_dtype())
        )
        f.create_dataset("extra/meta_info/age", data=np.full(n, 30, dtype=np.uint16))


def main():
    os.makedirs(OUT, exist_ok=True)
    # The real files' dtypes: float16 times, uint16 units.
    write(os.path.join(OUT, "shd_small.h5"), TIMES, UNITS, LABELS_SHD, "f2", "u2", "u2")
    write(os.path.join(OUT, "ssc_small.h5"), TIMES, UNITS, LABELS_SSC, "f2", "u2", "u2")
    # Other dtypes, chunked and gzip-compressed reference arrays.
    write(
        os.path.join(OUT, "shd_dtypes.h5"), TIMES, UNITS, LABELS_SHD, "f8", "i2", "i8", chunked=True
    )
    write(os.path.join(OUT, "shd_f32_u32.h5"), TIMES, UNITS, LABELS_SHD, "f4", "u4", "u1")
    # Hostile: sample 0 is fine; 1 has unsorted times; 2 a unit out of range (700);
    # 3 more times than units; 4 a label out of range (20); 5 a negative time.
    bad_times = [[0.0, 0.5], [0.5, 0.25], [0.0], [0.0, 0.1], [0.0], [-0.5, 0.0]]
    bad_units = [[1, 2], [1, 2], [700], [1], [1], [1, 2]]
    bad_labels = [0, 1, 2, 3, 20, 5]
    write(os.path.join(OUT, "shd_bad.h5"), bad_times, bad_units, bad_labels, "f2", "u2", "u2")
    for name in sorted(os.listdir(OUT)):
        print(name, os.path.getsize(os.path.join(OUT, name)))


if __name__ == "__main__":
    main()
