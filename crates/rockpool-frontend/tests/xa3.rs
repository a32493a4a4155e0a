//! XyloAudio 3 front end against Rockpool 3.1.0's integer path: fixtures from
//! `tests/fixtures/make_xa3_fixtures.py`, compared bit-exactly.

use std::path::PathBuf;

use ndarray::Array2;
use rockpool_frontend::xa3::{
    self, AfeConfig, AfeSimExternal, AfeSimPdm, BLOCK_DIAGRAMS, FilterBank, SpikeGen, SpikeGenMode,
};
use rockpool_frontend::{Error, Family, Params, Signal, build};
use serde_json::{Value, json};

const FS: f64 = 48828.125;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/xa3")
        .join(format!("{name}.npy"))
}

fn load_f64(name: &str) -> Vec<f64> {
    let rec = rockpool_frontend::wav::read_npy(fixture(name)).unwrap();
    rec.signal.to_f64().into_raw_vec_and_offset().0
}

fn load_i64(name: &str) -> Array2<i64> {
    let rec = rockpool_frontend::wav::read_npy(fixture(name)).unwrap();
    rec.signal.to_i64().unwrap()
}

fn meta() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/xa3/meta.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn column(x: &[f64]) -> Signal {
    Signal::Float(Array2::from_shape_vec((x.len(), 1), x.to_vec()).unwrap())
}

fn run_module(module: &str, params: Value, input: &Signal, fs: Option<f64>) -> Signal {
    let p = Params::from_json(params).unwrap();
    let mut block = build(Family::Audio3, Some(module), &p).unwrap();
    block.run(input, fs).unwrap()
}

fn assert_same(got: &Array2<i64>, want: &Array2<i64>, what: &str) {
    assert_eq!(got.dim(), want.dim(), "{what}: shape");
    if let Some((i, (g, w))) = got
        .iter()
        .zip(want.iter())
        .enumerate()
        .find(|(_, (g, w))| g != w)
    {
        let c = want.ncols();
        panic!(
            "{what}: first difference at ({}, {}): {g} vs {w}",
            i / c,
            i % c
        );
    }
}

#[test]
fn embedded_constants_match_the_rockpool_dump() {
    let m = meta();
    for (k, bd) in m["block_diagrams"].as_array().unwrap().iter().enumerate() {
        let t = &BLOCK_DIAGRAMS[k];
        assert_eq!(bd["a1"].as_i64().unwrap(), t.a1, "filter {k}");
        assert_eq!(bd["a2"].as_i64().unwrap(), t.a2, "filter {k}");
        assert_eq!(bd["B_b"].as_u64().unwrap(), t.b_b as u64, "filter {k}");
        assert_eq!(bd["B_af"].as_u64().unwrap(), t.b_af as u64, "filter {k}");
        assert_eq!(bd["B_wf"].as_u64().unwrap(), t.b_wf as u64, "filter {k}");
        assert_eq!(bd["B_w"].as_u64().unwrap(), t.b_out() as u64, "filter {k}");
        assert_eq!(bd["scale_out"].as_f64().unwrap(), t.scale_out, "filter {k}");
    }
    let h: Vec<i64> = m["pdm_fir"]["h"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert_eq!(h, xa3::pdm::FIR_TAPS.to_vec());
}

#[test]
fn afe_external_cases_are_bit_exact() {
    let m = meta();
    for (name, case) in m["cases"].as_object().unwrap() {
        let x = load_f64(case["input"].as_str().unwrap());
        let fs = case["fs"].as_f64().unwrap();
        let got = run_module(
            "AFESimExternal",
            case["params"].clone(),
            &column(&x),
            Some(fs),
        );
        assert_same(&got.to_i64().unwrap(), &load_i64(name), name);
    }
}

#[test]
fn resampled_quantised_input_is_bit_exact() {
    let x = load_f64("ext16k_in");
    let got = run_module("ResampleAndQuantize", json!({}), &column(&x), Some(16000.0));
    let want = load_i64("ext16k_q");
    assert_same(
        &got.to_i64().unwrap(),
        &want.into_shape_with_order((got.shape().0, 1)).unwrap(),
        "ext16k_q",
    );
}

#[test]
fn blocks_are_bit_exact() {
    let x = load_f64("blk_in");
    let q = run_module("AudioQuantizer", json!({}), &column(&x), None);
    let want_q = load_i64("blk_q");
    assert_same(&q.to_i64().unwrap(), &want_q, "AudioQuantizer");

    let y = run_module("ChipButterworth", json!({}), &q, None);
    assert_same(&y.to_i64().unwrap(), &load_i64("blk_fb"), "ChipButterworth");
    let ysel = run_module(
        "ChipButterworth",
        json!({"select_filters": [12, 3, 8]}),
        &q,
        None,
    );
    assert_same(
        &ysel.to_i64().unwrap(),
        &load_i64("blk_fb_sel"),
        "ChipButterworth sel",
    );

    let s = run_module("DivisiveNormalization", json!({"fs": FS}), &y, None);
    assert_same(
        &s.to_i64().unwrap(),
        &load_i64("blk_dn"),
        "DivisiveNormalization",
    );
    let mixed = meta()["blk_dn_mixed"].clone();
    let s2 = run_module("DivisiveNormalization", mixed, &y, None);
    assert_same(
        &s2.to_i64().unwrap(),
        &load_i64("blk_dn_mixed"),
        "DN mixed modes",
    );

    let r = run_module(
        "Raster",
        json!({"shape": 16, "fs": FS, "rate_downsample_factor": 50}),
        &s,
        None,
    );
    assert_same(&r.to_i64().unwrap(), &load_i64("raster_dn"), "Raster of DN");
    let rin = Signal::Int(load_i64("raster_in"));
    let r2 = run_module(
        "Raster",
        json!({"shape": 3, "fs": FS, "rate_downsample_factor": 32}),
        &rin,
        None,
    );
    assert_same(
        &r2.to_i64().unwrap(),
        &load_i64("raster_out"),
        "Raster clipped",
    );
}

#[test]
fn plain_api_matches_the_blocks() {
    let x = load_f64("ext48k_in");
    let afe = AfeSimExternal::new(&AfeConfig::default()).unwrap();
    assert_same(&afe.process(&x).unwrap(), &load_i64("ext48k_dn"), "process");
    let cfg = AfeConfig {
        spike_gen_mode: SpikeGenMode::Threshold,
        fixed_threshold_vec: vec![1 << 25],
        ..AfeConfig::default()
    };
    let thr = AfeSimExternal::new(&cfg).unwrap();
    assert_same(
        &thr.process(&x).unwrap(),
        &load_i64("ext48k_thr"),
        "threshold",
    );
    assert!((afe.dt() - 0.001024).abs() < 1e-15);
    let x16 = load_f64("ext16k_in");
    assert_same(
        &afe.process_at(&x16, 16000.0).unwrap(),
        &load_i64("ext16k_dn"),
        "process_at",
    );

    let bank = FilterBank::new("t", None).unwrap();
    let q: Vec<i64> = load_i64("blk_q").iter().copied().collect();
    let y = bank.process("t", &q).unwrap();
    assert_same(&y, &load_i64("blk_fb"), "FilterBank::process");
    let spike_gen = SpikeGen {
        b1: vec![6; 16],
        b2: vec![0; 16],
        low_pass: vec![12; 16],
        eps: vec![1; 16],
        fixed: vec![1 << 27; 16],
        dn_mode: vec![true; 16],
        joint_normalization: true,
    };
    assert_same(
        &spike_gen.process(&y),
        &load_i64("blk_dn"),
        "SpikeGen::process",
    );
}

#[test]
fn pdm_path_is_bit_exact() {
    let x = load_f64("pdm_in");
    let bits = run_module("MicrophonePDM", json!({}), &column(&x), Some(FS));
    let bits = bits.to_i64().unwrap();
    let n = meta()["pdm_bits_len"].as_u64().unwrap() as usize;
    assert_eq!(bits.nrows(), n);
    let packed = load_i64("pdm_bits");
    for (i, &b) in bits.iter().enumerate() {
        let want = (packed[[i / 8, 0]] >> (7 - i % 8)) & 1;
        assert_eq!((b + 1) / 2, want, "PDM bit {i}");
    }
    let adc = run_module("PolyPhaseFIR", json!({}), &Signal::Int(bits), None);
    assert_same(&adc.to_i64().unwrap(), &load_i64("pdm_adc"), "PolyPhaseFIR");
    let adc2 = run_module("PDMADC", json!({}), &column(&x), Some(FS));
    assert_same(&adc2.to_i64().unwrap(), &load_i64("pdm_adc"), "PDMADC");

    let out = run_module("AFESimPDM", json!({}), &column(&x), Some(FS));
    assert_same(&out.to_i64().unwrap(), &load_i64("pdm_afe"), "AFESimPDM");
    let cfg = AfeConfig {
        spike_gen_mode: SpikeGenMode::Threshold,
        fixed_threshold_vec: vec![1 << 23],
        ..AfeConfig::default()
    };
    let pdm = AfeSimPdm::new(&cfg).unwrap();
    let got = pdm.process_at(&load_f64("pdm16k_in"), 16000.0).unwrap();
    assert_same(&got, &load_i64("pdm16k_afe"), "AFESimPDM at 16 kHz");
}

#[test]
fn modules_and_defaults() {
    assert_eq!(Family::Audio3.modules()[0], "AFESimExternal");
    for &name in xa3::MODULES {
        let b = build(Family::Audio3, Some(name), &Params::new()).unwrap();
        assert_eq!(b.name(), name);
    }
    let b = build(Family::Audio3, None, &Params::new()).unwrap();
    assert_eq!(b.name(), "AFESimExternal");
    assert_eq!(b.output_channels(), 16);
    assert_eq!(b.input_rate(), FS);
    assert!((b.output_dt() - 50.0 / FS).abs() < 1e-18);
    let p =
        Params::from_json(json!({"down_sampling_factor": 64, "select_filters": [0, 5]})).unwrap();
    let b = build(Family::Audio3, None, &p).unwrap();
    assert_eq!(b.output_channels(), 2);
    assert!((b.output_dt() - 64.0 / FS).abs() < 1e-18);
    let cfg = AfeConfig::default();
    assert_eq!(cfg.dn_rate_scale_bitshift, (6, 0));
    assert_eq!(cfg.dn_low_pass_bitshift, 12);
    assert_eq!(cfg.fixed_threshold_vec, vec![1 << 27]);
    assert_eq!(cfg.down_sampling_factor, 50);
    assert!(matches!(
        build(Family::Audio3, Some("AFESimXYZ"), &Params::new()),
        Err(Error::UnknownModule { .. })
    ));
}

fn param_err(module: &str, params: Value) -> String {
    let p = Params::from_json(params).unwrap();
    match build(Family::Audio3, Some(module), &p) {
        Ok(_) => panic!("{module}: expected a parameter error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_parameters_are_refused() {
    let e = param_err("AFESimExternal", json!({"dn_eps": 3}));
    assert!(e.contains("dn_eps"), "{e}");
    let e = param_err("AFESimExternal", json!({"dt": 0.001}));
    assert!(e.contains("dt"), "{e}");
    let e = param_err("AFESimExternal", json!({"spike_gen_mode": "dn"}));
    assert!(e.contains("spike_gen_mode"), "{e}");
    let e = param_err("AFESimExternal", json!({"select_filters": [3, 3]}));
    assert!(e.contains("select_filters"), "{e}");
    let e = param_err("AFESimPDM", json!({"select_filters": [16]}));
    assert!(e.contains("out of range"), "{e}");
    let e = param_err("AFESimExternal", json!({"select_filters": [-2]}));
    assert!(e.contains("-2"), "{e}");
    let e = param_err("AFESimExternal", json!({"dn_rate_scale_bitshift": [2, 4]}));
    assert!(e.contains("b1"), "{e}");
    let e = param_err("AFESimExternal", json!({"dn_rate_scale_bitshift": [6]}));
    assert!(e.contains("dn_rate_scale_bitshift"), "{e}");
    let e = param_err("AFESimExternal", json!({"dn_EPS": [1, 2, 3]}));
    assert!(e.contains("dn_EPS"), "{e}");
    let e = param_err("AFESimExternal", json!({"down_sampling_factor": 0}));
    assert!(e.contains("down_sampling_factor"), "{e}");
    let e = param_err("AFESimExternal", json!({"dn_low_pass_bitshift": -1}));
    assert!(e.contains("dn_low_pass_bitshift"), "{e}");
    let e = param_err(
        "DivisiveNormalization",
        json!({"shape": 4, "EPS_vec": [1, 2]}),
    );
    assert!(e.contains("EPS_vec"), "{e}");
    let e = param_err("DivisiveNormalization", json!({"enable_DN_channel": 3}));
    assert!(e.contains("enable_DN_channel"), "{e}");
    let e = param_err("Raster", json!({"rate_downsample_factor": 0}));
    assert!(e.contains("rate_downsample_factor"), "{e}");
    let e = param_err("PolyPhaseFIR", json!({"filt_length": 128}));
    assert!(e.contains("filt_length"), "{e}");
    let e = param_err("PDMADC", json!({"fs": 1e6}));
    assert!(e.contains("fs"), "{e}");
    let e = param_err("ChipButterworth", json!({"select_filter": [1]}));
    assert!(e.contains("select_filter"), "{e}");
}

fn run_err(module: &str, input: &Signal, fs: Option<f64>) -> Error {
    let mut b = build(Family::Audio3, Some(module), &Params::new()).unwrap();
    b.run(input, fs).unwrap_err()
}

#[test]
fn bad_input_is_refused() {
    // |x| ≥ 1 overflows the 14-bit filter input, as Rockpool's OverflowError.
    let e = run_err("AFESimExternal", &column(&[0.1, 1.0, 0.2]), None);
    assert!(matches!(e, Error::Overflow { .. }), "{e}");
    let e = run_err("AFESimExternal", &column(&[0.1, f64::NAN]), None);
    assert!(e.to_string().contains("NaN"), "{e}");
    let e = run_err("AFESimExternal", &column(&[]), None);
    assert!(matches!(e, Error::Input { .. }), "{e}");
    let two = Signal::Float(Array2::zeros((10, 2)));
    assert!(
        run_err("AFESimExternal", &two, None)
            .to_string()
            .contains("(10, 2)")
    );
    let e = run_err("AFESimExternal", &column(&[0.1, 0.2]), Some(-5.0));
    assert!(e.to_string().contains("sample rate"), "{e}");
    // One sample at another rate leaves nothing after resampling.
    let e = run_err("AFESimExternal", &column(&[0.1]), Some(16000.0));
    assert!(e.to_string().contains("resampling"), "{e}");
    // The PDM microphone takes |x| ≤ 1.
    let e = run_err("AFESimPDM", &column(&[0.1, 1.5]), Some(FS));
    assert!(e.to_string().contains("[-1, 1]"), "{e}");
    let e = run_err("ChipButterworth", &column(&[0.5, 0.25]), None);
    assert!(e.to_string().contains("integer"), "{e}");
    let big = Signal::Int(Array2::from_elem((4, 1), 9000));
    assert!(matches!(
        run_err("ChipButterworth", &big, None),
        Error::Overflow { .. }
    ));
    let e = run_err(
        "ChipButterworth",
        &Signal::Int(Array2::zeros((4, 1))),
        Some(16000.0),
    );
    assert!(e.to_string().contains("does not resample"), "{e}");
    let e = run_err(
        "DivisiveNormalization",
        &Signal::Int(Array2::zeros((4, 3))),
        None,
    );
    assert!(e.to_string().contains("3 channels"), "{e}");
    let e = run_err("PolyPhaseFIR", &Signal::Int(Array2::zeros((4, 1))), None);
    assert!(e.to_string().contains("±1"), "{e}");
}

#[test]
fn one_second_is_fast() {
    let n = FS as usize;
    let x: Vec<f64> = (0..n)
        .map(|i| 0.5 * (i as f64 * 0.07).sin() * (i as f64 * 0.0003).cos())
        .collect();
    let afe = AfeSimExternal::new(&AfeConfig::default()).unwrap();
    let _ = afe.process(&x).unwrap();
    let t0 = std::time::Instant::now();
    let out = afe.process(&x).unwrap();
    let dt = t0.elapsed();
    assert_eq!(out.dim(), (977, 16));
    eprintln!("AFESimExternal, 1 s of audio: {dt:?}");
    assert!(dt.as_millis() < 200, "{dt:?}");
}
