//! XyloIMU (`syns63300`) interface against Rockpool 3.1.0: bit-exact on every fixture of
//! `tests/fixtures/make_imu_fixtures.py`, plus bad input and constructor arguments.

use std::path::{Path, PathBuf};

use ndarray::Array2;
use rockpool_frontend::imu::{BandPassFilter, ImuIfConfig, ImuIfSim, RotationRemoval};
use rockpool_frontend::{Family, Params, Signal, build};
use serde_json::{Value, json};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/imu")
}

fn load(name: &str) -> Signal {
    rockpool_frontend::wav::read_npy(dir().join(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .signal
}

fn load_i64(name: &str) -> Array2<i64> {
    load(name).to_i64().unwrap()
}

fn cases() -> Vec<Value> {
    let text = std::fs::read_to_string(dir().join("cases.json")).unwrap();
    serde_json::from_str::<Value>(&text)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn params(v: &Value) -> Params {
    Params::from_json(v.clone()).unwrap()
}

fn first_mismatch(a: &Array2<i64>, b: &Array2<i64>) -> String {
    match a.indexed_iter().zip(b.iter()).find(|((_, x), y)| x != y) {
        Some(((i, x), y)) => format!("first mismatch at {i:?}: got {x}, Rockpool {y}"),
        None => String::new(),
    }
}

#[test]
fn every_fixture_is_bit_exact() {
    let cases = cases();
    assert!(cases.len() >= 20);
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let module = case["module"].as_str().unwrap();
        let mut block = build(Family::Imu, Some(module), &params(&case["params"]))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        if let Some(prev) = case.get("previous_input").and_then(Value::as_str) {
            block.run(&load(prev), None).unwrap();
        }
        let out = block
            .run(
                &load(case["input"].as_str().unwrap()),
                Some(200.0).filter(|_| module != "IMUIFSim"),
            )
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let Signal::Int(out) = out else {
            panic!("{name}: expected integers")
        };
        let want = load_i64(case["expected"].as_str().unwrap());
        assert_eq!(out.dim(), want.dim(), "{name}");
        assert!(out == want, "{name}: {}", first_mismatch(&out, &want));
        assert_eq!(block.output_channels(), want.ncols(), "{name}");
    }
}

#[test]
fn negative_diagonal_clamps_match_rockpools_warnings() {
    let mut seen = 0;
    for case in cases() {
        let name = case["name"].as_str().unwrap();
        let warned = case["negative_diagonal_clamp"].as_bool().unwrap();
        let x = || load_i64(case["input"].as_str().unwrap());
        let clamps = match case["module"].as_str().unwrap() {
            "RotationRemoval" => {
                let mut r = RotationRemoval::from_params(&params(&case["params"])).unwrap();
                r.process(&x()).unwrap();
                r.negative_diagonal_clamps()
            }
            "IMUIFSim" => {
                let mut m = ImuIfSim::from_params(&params(&case["params"])).unwrap();
                if let Some(prev) = case.get("previous_input").and_then(Value::as_str) {
                    m.process(&load_i64(prev)).unwrap();
                }
                m.process(&x()).unwrap();
                m.negative_diagonal_clamps()
            }
            _ => continue,
        };
        assert_eq!(clamps > 0, warned, "{name}");
        seen += usize::from(warned);
    }
    assert!(seen > 0, "no fixture exercises the clamp");
}

#[test]
fn covariance_state_carries_over_and_reset_clears_it() {
    let a = load_i64("rec_a.npy");
    let b = load_i64("rec_b.npy");
    let mut m = ImuIfSim::new(ImuIfConfig::default()).unwrap();
    m.process(&a).unwrap();
    assert_eq!(
        m.process(&b).unwrap(),
        load_i64("imuif_default_a_then_b.npy")
    );
    m.reset();
    assert_eq!(m.process(&b).unwrap(), load_i64("imuif_default_b.npy"));
}

#[test]
fn band_specifications_give_rockpools_taps() {
    let text = std::fs::read_to_string(dir().join("tables.json")).unwrap();
    let tables: Value = serde_json::from_str(&text).unwrap();
    let mut checked = 0;
    for s in tables["spec"].as_array().unwrap() {
        let band: Vec<f64> = s["band"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let got = BandPassFilter::from_specification(band[0], band[1], band[2]);
        match s.get("taps") {
            Some(t) => {
                let t: Vec<i64> = t
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_i64().unwrap())
                    .collect();
                let f = got.unwrap_or_else(|e| panic!("{band:?}: {e}"));
                let f = [
                    i64::from(f.b_b),
                    i64::from(f.b_wf),
                    i64::from(f.b_af),
                    f.a1,
                    f.a2,
                ];
                assert_eq!(f.to_vec(), t, "{band:?}");
                checked += 1;
            }
            None => assert!(
                got.is_err(),
                "{band:?}: Rockpool refuses it: {}",
                s["error"]
            ),
        }
    }
    assert!(checked > 50);
    let defaults = BandPassFilter::defaults();
    for (f, t) in defaults
        .iter()
        .zip(tables["default_taps"].as_array().unwrap())
    {
        let t: Vec<i64> = t
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        assert_eq!(
            vec![
                i64::from(f.b_b),
                i64::from(f.b_wf),
                i64::from(f.b_af),
                f.a1,
                f.a2
            ],
            t
        );
    }
}

#[test]
fn defaults_are_rockpools() {
    let cfg = ImuIfConfig::from_params(&Params::new()).unwrap();
    assert_eq!(cfg, ImuIfConfig::default());
    assert_eq!(cfg.scale_values, vec![5; 15]);
    assert_eq!(cfg.iaf_threshold_values, vec![1024; 15]);
    assert_eq!((cfg.num_avg_bitshift, cfg.sah_period), (4, 10));
    assert!(!cfg.bypass_jsvd && !cfg.select_iaf_output);
    let block = build(Family::Imu, None, &Params::new()).unwrap();
    assert_eq!(block.name(), "IMUIFSim");
    assert_eq!(block.output_dt(), 0.005);
    assert_eq!(block.input_rate(), 200.0);
    assert_eq!(block.output_channels(), 15);
    let slow = build(Family::Imu, None, &params(&json!({"sampling_freq": 100.0}))).unwrap();
    assert_eq!(slow.output_dt(), 0.01);
    for m in rockpool_frontend::imu::MODULES {
        assert!(build(Family::Imu, Some(m), &Params::new()).is_ok(), "{m}");
    }
}

fn build_err(module: &str, p: Value) -> String {
    match build(Family::Imu, Some(module), &params(&p)) {
        Ok(_) => panic!("{module} {p} should be refused"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_arguments_are_refused() {
    let cases = [
        ("IMUIFSim", json!({"bypass_jsvd": true, "typo": 1}), "typo"),
        ("IMUIFSim", json!({"SAH_period": 0}), "SAH_period"),
        (
            "IMUIFSim",
            json!({"num_avg_bitshift": 32}),
            "num_avg_bitshift",
        ),
        ("IMUIFSim", json!({"scale_values": [5, 5]}), "scale_values"),
        ("IMUIFSim", json!({"scale_values": 32}), "scale_values"),
        (
            "IMUIFSim",
            json!({"select_iaf_output": true, "iaf_threshold_values": 0}),
            "iaf_threshold_values",
        ),
        ("IMUIFSim", json!({"filter_list": [[1, 2]]}), "filter_list"),
        ("IMUIFSim", json!({"filter_list": [{"B_b": 16}]}), "B_b"),
        ("IMUIFSim", json!({"filter_list": [[3, 2]]}), "low cut-off"),
        ("IMUIFSim", json!({"filter_list": [[30, 120]]}), "fs/2"),
        ("IMUIFSim", json!({"shape": [4, 15]}), "3 axes"),
        ("IMUIFSim", json!({"shape": 15}), "shape"),
        ("IMUIFSim", json!({"bypass_jsvd": "yes"}), "bypass_jsvd"),
        (
            "RotationRemoval",
            json!({"sampling_period": 2048}),
            "sampling_period",
        ),
        ("RotationRemoval", json!({"shape": [2, 2]}), "shape"),
        ("FilterBank", json!({"shape": [3, 14]}), "shape"),
        (
            "FilterBank",
            json!({"filters": [{"a1": 1, "B_x": 2}]}),
            "B_x",
        ),
        (
            "ScaleSpikeEncoder",
            json!({"num_scale_bits": -1}),
            "num_scale_bits",
        ),
        ("IAFSpikeEncoder", json!({"threshold": [1, 2]}), "threshold"),
        ("Quantizer", json!({"num_bits": 2000}), "num_bits"),
    ];
    for (module, p, needle) in cases {
        let e = build_err(module, p.clone());
        assert!(e.contains(needle), "{module} {p}: {e}");
    }
    let e = build(Family::Imu, Some("IMUFoo"), &Params::new())
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("IMUIFSim"), "{e}");
}

#[test]
fn bad_input_is_refused() {
    let mut m = build(Family::Imu, None, &Params::new()).unwrap();
    let err = |m: &mut Box<dyn rockpool_frontend::Block>, s: Signal, fs: Option<f64>| {
        m.run(&s, fs).expect_err("should be refused").to_string()
    };
    let mut x = Array2::<i64>::zeros((20, 3));
    x[[7, 1]] = 32768;
    assert!(err(&mut m, Signal::Int(x.clone()), None).contains("out of range"));
    x[[7, 1]] = -32768;
    assert!(err(&mut m, Signal::Int(x), None).contains("2^15"));
    assert!(err(&mut m, Signal::Int(Array2::zeros((20, 2))), None).contains("3 channels"));
    assert!(err(&mut m, Signal::Int(Array2::zeros((0, 3))), None).contains("empty"));
    assert!(err(&mut m, Signal::Float(Array2::from_elem((5, 3), 0.5)), None).contains("Quantizer"));
    assert!(err(&mut m, Signal::Int(Array2::zeros((5, 3))), Some(100.0)).contains("resample"));
    // whole-number floats are integers
    assert!(
        m.run(&Signal::Float(Array2::from_elem((5, 3), 3.0)), Some(200.0))
            .is_ok()
    );
    let mut q = build(Family::Imu, Some("Quantizer"), &Params::new()).unwrap();
    let mut f = Array2::<f64>::zeros((4, 3));
    f[[2, 2]] = f64::NAN;
    assert!(err(&mut q, Signal::Float(f), None).contains("not finite"));
    let mut q = build(
        Family::Imu,
        Some("Quantizer"),
        &params(&json!({"num_bits": 80})),
    )
    .unwrap();
    assert!(err(&mut q, Signal::Float(Array2::from_elem((2, 3), 0.9)), None).contains("64 bits"));
    let mut e = build(Family::Imu, Some("ScaleSpikeEncoder"), &Params::new()).unwrap();
    assert!(err(&mut e, Signal::Int(Array2::zeros((3, 14))), None).contains("15 channels"));
}

#[test]
fn quantizer_truncates_toward_zero() {
    let mut q = build(
        Family::Imu,
        Some("Quantizer"),
        &params(&json!({"shape": [1, 1], "num_bits": 4})),
    )
    .unwrap();
    let x = Array2::from_shape_vec((4, 1), vec![0.99, -0.99, 0.124, -0.126]).unwrap();
    let Signal::Int(y) = q.run(&Signal::Float(x), None).unwrap() else {
        panic!()
    };
    assert_eq!(y.column(0).to_vec(), vec![7, -7, 0, -1]);
}

#[test]
fn jsvd_matches_rockpool_on_assorted_covariances() {
    let text = std::fs::read_to_string(dir().join("jsvd.json")).unwrap();
    let cases: Value = serde_json::from_str(&text).unwrap();
    let m3 = |v: &Value| -> [[i64; 3]; 3] {
        let mut m = [[0; 3]; 3];
        for (i, row) in v.as_array().unwrap().iter().enumerate() {
            for (j, x) in row.as_array().unwrap().iter().enumerate() {
                m[i][j] = x.as_i64().unwrap();
            }
        }
        m
    };
    let cases = cases.as_array().unwrap();
    assert!(cases.len() >= 100);
    for (k, case) in cases.iter().enumerate() {
        let c = m3(&case["c"]);
        let res = rockpool_frontend::imu::Jsvd.decompose(&c).unwrap();
        assert_eq!(res.rotation, m3(&case["r"]), "case {k}: R of {c:?}");
        assert_eq!(res.diagonal, m3(&case["d"]), "case {k}: D of {c:?}");
        assert_eq!(res.clamped, case["clamp"].as_bool().unwrap(), "case {k}");
    }
}
