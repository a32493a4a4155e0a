//! Agreement with Rockpool 3.1.0's quantisers and cycle models (reference outputs written by
//! `tests/fixtures/make_rockpool_fixtures.py`, on paths where Rockpool has no known bug).

use std::path::{Path, PathBuf};

use ndarray::{ArrayD, Ix1, Ix2, Ix3};
use rockpool_xylo::{
    Activity, QuantizeOptions, XyloFamily, XyloSpec, channel_quantize, cycles_model,
    est_clock_freq, global_quantize,
};
use serde::Deserialize;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rockpool")
}

fn load(name: &str) -> Vec<(String, ArrayD<f64>)> {
    rockpool_io::read_npz(dir().join(name))
        .unwrap()
        .into_iter()
        .map(|(k, a)| (k.trim_end_matches(".npy").to_string(), a.to_f64()))
        .collect()
}

fn get<D: ndarray::Dimension>(
    arrays: &[(String, ArrayD<f64>)],
    key: &str,
) -> ndarray::Array<f64, D> {
    arrays
        .iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("missing {key}"))
        .1
        .clone()
        .into_dimensionality::<D>()
        .unwrap()
}

fn spec_from(arrays: &[(String, ArrayD<f64>)], prefix: &str) -> XyloSpec<f64> {
    let g1 = |k: &str| get::<Ix1>(arrays, &format!("{prefix}{k}"));
    let threshold = g1("threshold");
    XyloSpec {
        weights_in: get::<Ix3>(arrays, &format!("{prefix}weights_in")),
        weights_rec: get::<Ix3>(arrays, &format!("{prefix}weights_rec")),
        weights_out: get::<Ix2>(arrays, &format!("{prefix}weights_out")),
        dash_mem: g1("dash_mem"),
        dash_syn: g1("dash_syn"),
        dash_syn_2: g1("dash_syn_2"),
        dash_mem_out: g1("dash_mem_out"),
        dash_syn_out: g1("dash_syn_out"),
        threshold_out: g1("threshold_out"),
        bias: g1("bias"),
        bias_out: g1("bias_out"),
        weight_shift_in: 0,
        weight_shift_rec: 0,
        weight_shift_out: 0,
        aliases: vec![Vec::new(); threshold.len()],
        threshold,
        dt: 1e-3,
    }
}

#[test]
fn quantisers_match_rockpool() {
    let cases = [
        ("quantize_global_plain.npz", "global", false),
        ("quantize_global_threshold_overflow.npz", "global", false),
        ("quantize_global_fuzzy.npz", "global", true),
        ("quantize_channel_two_synapses.npz", "channel", false),
        ("quantize_channel_threshold_overflow.npz", "channel", false),
        ("quantize_channel_one_synapse.npz", "channel", false),
    ];
    for (file, method, fuzzy) in cases {
        let arrays = load(file);
        let input = spec_from(&arrays, "in_");
        let want = spec_from(&arrays, "out_");
        let opts = QuantizeOptions {
            fuzzy_scaling: fuzzy,
            ..Default::default()
        };
        let got = match method {
            "global" => global_quantize(&input, &opts),
            _ => channel_quantize(&input, &opts),
        }
        .unwrap()
        .to_f64();
        assert_eq!(got, want, "{file}");
    }
}

#[derive(Deserialize)]
struct CycleCase {
    n_hidden: usize,
    n_out: usize,
    synapse2_enable: bool,
    weights_in: Vec<Vec<i32>>,
    weights_in_2: Vec<Vec<i32>>,
    weights_rec: Vec<Vec<i32>>,
    weights_rec_2: Vec<Vec<i32>>,
    weights_out: Vec<Vec<i32>>,
    activity_input: f64,
    activity_hidden: f64,
    audio2_cycles: f64,
    audio2_isyn2_ops: f64,
    imu_cycles: f64,
    audio2_clock_hz_dt_2ms: f64,
    imu_clock_hz_dt_1ms_margin_half: f64,
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn cycle_models_match_rockpool() {
    let text = std::fs::read_to_string(dir().join("cycles.json")).unwrap();
    let cases: Vec<CycleCase> = serde_json::from_str(&text).unwrap();
    assert!(cases.len() >= 10);
    for (i, c) in cases.iter().enumerate() {
        let n_in = c.weights_in.len();
        let n_ien = c.weights_in[0].len();
        let n_oen = c.weights_out.len();
        let n_syn = if c.synapse2_enable { 2 } else { 1 };
        let mut spec =
            XyloSpec::<i32>::zeros_with_expansion(n_in, c.n_hidden, c.n_out, n_syn, n_ien, n_oen);
        for ((planes, rows), cols) in [
            (&mut spec.weights_in, [&c.weights_in, &c.weights_in_2]),
            (&mut spec.weights_rec, [&c.weights_rec, &c.weights_rec_2]),
        ]
        .into_iter()
        .zip([n_ien, c.n_hidden])
        {
            for (s, m) in rows.iter().enumerate().take(n_syn) {
                for (r, row) in m.iter().enumerate() {
                    assert_eq!(row.len(), cols);
                    for (k, &w) in row.iter().enumerate() {
                        planes[[r, k, s]] = w;
                    }
                }
            }
        }
        for (r, row) in c.weights_out.iter().enumerate() {
            for (o, &w) in row.iter().enumerate() {
                spec.weights_out[[r, o]] = w;
            }
        }
        let act = Activity {
            input: c.activity_input,
            hidden: c.activity_hidden,
        };
        let a2 = cycles_model(&spec, XyloFamily::Audio2, act).unwrap();
        assert!(
            close(a2.cycles, c.audio2_cycles),
            "case {i}: {} vs {}",
            a2.cycles,
            c.audio2_cycles
        );
        assert!(
            close(a2.extra_isyn2_ops, c.audio2_isyn2_ops),
            "case {i}: isyn2 {} vs {}",
            a2.extra_isyn2_ops,
            c.audio2_isyn2_ops
        );
        for family in [XyloFamily::Imu, XyloFamily::Audio3] {
            let m = cycles_model(&spec, family, act).unwrap();
            assert!(
                close(m.cycles, c.imu_cycles),
                "case {i} {family}: {} vs {}",
                m.cycles,
                c.imu_cycles
            );
        }
        let f = est_clock_freq(&spec, XyloFamily::Audio2, 2e-3, 0.2).unwrap();
        assert!(
            close(f, c.audio2_clock_hz_dt_2ms),
            "case {i}: {f} vs {}",
            c.audio2_clock_hz_dt_2ms
        );
        let f = est_clock_freq(&spec, XyloFamily::Imu, 1e-3, 0.5).unwrap();
        assert!(close(f, c.imu_clock_hz_dt_1ms_margin_half), "case {i}: {f}");
    }
}
