//! XyloAudio 2 front end against fixtures from Rockpool 3.1.0
//! (`tests/fixtures/make_xa2_fixtures.py`).

use std::path::PathBuf;

use ndarray::{Array2, s};
use rockpool_frontend::xa2::{
    self, AfeSim, AfeSimConfig, DivisiveNormalisation, DnConfig, afe, lfsr, noise,
};
use rockpool_frontend::{Block, Family, Params, Signal, build, wav};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/xa2")
        .join(name)
}

fn json(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
}

fn npy_f64(name: &str) -> Array2<f64> {
    wav::read_npy(fixture(name)).unwrap().signal.to_f64()
}

fn npy_i64(name: &str) -> Array2<i64> {
    wav::read_npy(fixture(name))
        .unwrap()
        .signal
        .to_i64()
        .unwrap()
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn i64s(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap())
        .collect()
}

/// `[t, c]` pairs of the events in a raster.
fn events_of(out: &Array2<bool>) -> Vec<(usize, usize)> {
    let mut ev: Vec<(usize, usize)> = out
        .indexed_iter()
        .filter(|(_, v)| **v)
        .map(|((t, c), _)| (t, c))
        .collect();
    ev.sort();
    ev
}

fn events_json(v: &Value) -> Vec<(usize, usize)> {
    let mut ev: Vec<(usize, usize)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_u64().unwrap() as usize,
                p[1].as_u64().unwrap() as usize,
            )
        })
        .collect();
    ev.sort();
    ev
}

/// The documented tolerance: per channel the same number of events, each within one sample of
/// Rockpool's. Returns how many events are at exactly the same sample.
fn assert_events_close(got: &[(usize, usize)], want: &[(usize, usize)], what: &str) -> usize {
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: event count {got:?} vs {want:?}"
    );
    let mut exact = 0;
    for c in 0..afe::NUM_CHANNELS {
        let g: Vec<usize> = got.iter().filter(|e| e.1 == c).map(|e| e.0).collect();
        let w: Vec<usize> = want.iter().filter(|e| e.1 == c).map(|e| e.0).collect();
        assert_eq!(g.len(), w.len(), "{what}: channel {c}");
        for (a, b) in g.iter().zip(&w) {
            assert!(
                a.abs_diff(*b) <= 1,
                "{what}: channel {c}: event at {a} vs {b}"
            );
            exact += usize::from(a == b);
        }
    }
    exact
}

fn ideal() -> AfeSim {
    AfeSim::new(AfeSimConfig::ideal()).unwrap()
}

#[test]
fn filter_coefficients_match_scipy() {
    let fx = json("afe_det.json");
    let sim = ideal();
    let mut worst = 0.0f64;
    for (c, sections) in fx["sos"].as_array().unwrap().iter().enumerate() {
        for (k, row) in sections.as_array().unwrap().iter().enumerate() {
            for (got, want) in sim.sos()[c][k].iter().zip(f64s(row)) {
                let rel = (got - want).abs() / want.abs().max(1e-300);
                worst = worst.max(if want == 0.0 { got.abs() } else { rel });
            }
        }
    }
    eprintln!("SOS: worst relative error {worst:e}");
    assert!(worst < 1e-12, "worst relative error of the SOS {worst:e}");
    let (b, a) = sim.highpass();
    for (got, want) in b
        .iter()
        .chain(&a)
        .zip(f64s(&fx["hp_b"]).iter().chain(&f64s(&fx["hp_a"])))
    {
        assert!((got - want).abs() <= 1e-15 * want.abs(), "{got} vs {want}");
    }
}

#[test]
fn rectified_signal_matches_rockpool() {
    let fx = json("afe_det.json");
    let x = npy_f64("afe_input.npy");
    let want = npy_f64("afe_rect_sub.npy");
    let (_, rect) = ideal()
        .process_with_rect(x.column(0).as_slice().unwrap())
        .unwrap();
    let step = fx["rect_sub_step"].as_u64().unwrap() as usize;
    let got = rect.slice(s![..;step, ..]);
    assert_eq!(got.dim(), want.dim());
    let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let worst = got
        .iter()
        .zip(want.iter())
        .fold(0.0f64, |m, (g, w)| m.max((g - w).abs()));
    eprintln!("rect: max |Δ| {worst:e} (max |rect| {scale:e})");
    assert!(
        worst <= 1e-12 * scale,
        "max |Δrect| {worst:e} (scale {scale:e})"
    );
}

#[test]
fn events_match_rockpool_in_one_call_and_in_two() {
    let fx = json("afe_det.json");
    let x = npy_f64("afe_input.npy");
    let x = x.column(0).to_vec();
    let mut sim = ideal();
    let out = sim.process(&x).unwrap();
    let want = events_json(&fx["spikes_all"]);
    let exact = assert_events_close(&events_of(&out), &want, "one call");
    assert_eq!(exact, want.len(), "all events at the same sample");
    let raster = sim.raster(&out);
    let want_raster: Vec<Vec<i64>> = fx["raster_all"]
        .as_array()
        .unwrap()
        .iter()
        .map(i64s)
        .collect();
    assert_eq!(raster.nrows(), want_raster.len());
    for (r, w) in raster.rows().into_iter().zip(&want_raster) {
        assert_eq!(r.to_vec(), *w);
    }
    // Two calls: the LIF state persists, the divide-by-4 counter restarts.
    let mut sim = ideal();
    let o1 = sim.process(&x[..2200]).unwrap();
    let o2 = sim.process(&x[2200..]).unwrap();
    let w1 = events_json(&fx["spikes_call1"]);
    let w2 = events_json(&fx["spikes_call2"]);
    let e1 = assert_events_close(&events_of(&o1), &w1, "call 1");
    let e2 = assert_events_close(&events_of(&o2), &w2, "call 2");
    eprintln!(
        "two calls: {e1}/{} and {e2}/{} events at the same sample",
        w1.len(),
        w2.len()
    );
    for (g, w) in sim.lif_state().iter().zip(f64s(&fx["lif_state_after"])) {
        assert!((g - w).abs() < 1e-9, "lif state {g} vs {w}");
    }
    sim.reset();
    assert_eq!(sim.lif_state(), [0.0; 16]);
}

#[test]
fn resampled_input_matches_rockpool() {
    let fx = json("afe_resampled.json");
    let x = npy_f64("afe_input_48k.npy");
    let mut block: Box<dyn Block> = Box::new(ideal());
    assert_eq!(block.name(), "AFESim");
    let out = block.run(&Signal::Float(x), Some(48000.0)).unwrap();
    let Signal::Bool(out) = out else {
        panic!("expected booleans")
    };
    assert_eq!(out.dim(), (fx["len"].as_u64().unwrap() as usize, 16));
    let want = events_json(&fx["spikes"]);
    assert_eq!(
        assert_events_close(&events_of(&out), &want, "48 kHz"),
        want.len()
    );
}

#[test]
fn raster_matches_both_of_rockpools_paths() {
    let fx = json("afe_raster.json");
    let t = fx["T"].as_u64().unwrap() as usize;
    let mut ev = Array2::from_elem((t, 16), false);
    for (r, c) in events_json(&fx["spikes"]) {
        ev[[r, c]] = true;
    }
    for (key, fs) in [
        ("fast", 110_000.0),
        ("slow", fx["slow_fs"].as_f64().unwrap()),
    ] {
        let got = afe::raster(&ev, fs, 0.01, 15);
        let want: Vec<Vec<i64>> = fx[key].as_array().unwrap().iter().map(i64s).collect();
        assert_eq!(got.nrows(), want.len(), "{key}");
        for (r, w) in got.rows().into_iter().zip(&want) {
            assert_eq!(r.to_vec(), *w, "{key}");
        }
    }
}

/// Per-channel mean and standard deviation over seeds.
fn mean_std(counts: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>) {
    let n = counts.len() as f64;
    let c = counts[0].len();
    let mean: Vec<f64> = (0..c)
        .map(|k| counts.iter().map(|r| r[k]).sum::<f64>() / n)
        .collect();
    let std: Vec<f64> = (0..c)
        .map(|k| (counts.iter().map(|r| (r[k] - mean[k]).powi(2)).sum::<f64>() / n).sqrt())
        .collect();
    (mean, std)
}

/// With noise, offsets and mismatch on, per-channel event counts over 16 seeds: each channel's
/// mean agrees with Rockpool's (16 seeds) within 2 events + 3 standard errors of the difference,
/// and the spreads within a factor 3 + 1 event; the total over channels within 5 %.
#[test]
fn noise_and_mismatch_statistics_match_rockpool() {
    let fx = json("afe_stats.json");
    let t = fx["T"].as_u64().unwrap() as usize;
    let x = npy_f64("afe_input.npy").column(0).slice(s![..t]).to_vec();
    let theirs: Vec<Vec<f64>> = fx["counts"].as_array().unwrap().iter().map(f64s).collect();
    let ours: Vec<Vec<f64>> = (0..16u64)
        .map(|seed| {
            let cfg = AfeSimConfig {
                seed: Some(1000 + seed),
                ..AfeSimConfig::default()
            };
            let out = AfeSim::new(cfg).unwrap().process(&x).unwrap();
            out.columns()
                .into_iter()
                .map(|c| c.iter().filter(|v| **v).count() as f64)
                .collect()
        })
        .collect();
    let (m1, s1) = mean_std(&ours);
    let (m2, s2) = mean_std(&theirs);
    for c in 0..16 {
        let se = ((s1[c].powi(2) + s2[c].powi(2)) / 16.0).sqrt();
        assert!(
            (m1[c] - m2[c]).abs() <= 2.0 + 3.0 * se,
            "channel {c}: mean {} vs Rockpool {} (sd {} / {})",
            m1[c],
            m2[c],
            s1[c],
            s2[c]
        );
        assert!(
            s1[c] <= 3.0 * s2[c] + 1.0 && s2[c] <= 3.0 * s1[c] + 1.0,
            "channel {c}: sd {} vs {}",
            s1[c],
            s2[c]
        );
    }
    let (t1, t2): (f64, f64) = (m1.iter().sum(), m2.iter().sum());
    eprintln!("ours mean {m1:?}\nRockpool mean {m2:?}\nours sd {s1:.2?}\nRockpool sd {s2:.2?}");
    assert!((t1 - t2).abs() <= 0.05 * t2, "total {t1} vs {t2}");
}

#[test]
fn noise_power_matches_rockpools_generator() {
    let fx = json("afe_stats.json");
    let n = 2 * fx["T"].as_u64().unwrap() as usize;
    let shapes = [
        (
            "LNA",
            noise::NoiseShape {
                vrms_sqhz: 70e-9,
                f_knee: 70e3,
                f_alpha: 1.0,
            },
        ),
        (
            "BPF",
            noise::NoiseShape {
                vrms_sqhz: 1e-9,
                f_knee: 100e3,
                f_alpha: 1.0,
            },
        ),
        (
            "FWR",
            noise::NoiseShape {
                vrms_sqhz: 700e-9,
                f_knee: 158.0,
                f_alpha: 1.0,
            },
        ),
    ];
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let mut plan = noise::InverseFft::new(n);
    let (mut raw, mut spec) = (Vec::new(), Vec::new());
    let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
    for (name, shape) in shapes {
        let theirs = fx["noise"][name]["mean_power"].as_f64().unwrap();
        let theirs_sd = fx["noise"][name]["std_power"].as_f64().unwrap();
        let expected = noise::expected_power(n, 110_000.0, shape);
        // 40 draws in Rockpool: the mean power's standard error is sd/√40.
        assert!(
            (expected - theirs).abs() <= 4.0 * theirs_sd / 40f64.sqrt(),
            "{name}: {expected} vs {theirs}"
        );
        let gains = noise::bin_gains(n, 110_000.0, shape);
        let mut p = 0.0;
        for _ in 0..20 {
            noise::noise_pair(
                &mut rng, &mut plan, &gains, &gains, &mut raw, &mut spec, &mut a, &mut b,
            );
            p += a.iter().chain(&b).map(|v| v * v).sum::<f64>() / (2 * n) as f64;
        }
        p /= 20.0;
        assert!(
            (p - expected).abs() <= 4.0 * theirs_sd / 40f64.sqrt(),
            "{name}: ours {p} vs {expected}"
        );
    }
}

#[test]
fn lfsr_table_is_rockpools() {
    let fx = json("lfsr.json");
    let want = i64s(&fx["code_lfsr"]);
    assert_eq!(want.len(), 1023);
    assert!(
        lfsr::CODE_LFSR
            .iter()
            .zip(&want)
            .all(|(a, b)| i64::from(*a) == *b)
    );
}

#[test]
fn divisive_normalisation_is_bit_exact() {
    let cases = json("dn_cases.json");
    let input = npy_i64("dn_input.npy");
    for (key, case) in cases.as_object().unwrap() {
        if key == "len6000" {
            continue;
        }
        let module = if key.starts_with("nolfsr") {
            xa2::dn::NAME_NO_LFSR
        } else {
            xa2::dn::NAME
        };
        let mut params = case["params"].clone();
        params["shape"] = Value::from(4);
        let mut block = build(
            Family::Audio2,
            Some(module),
            &Params::from_json(params).unwrap(),
        )
        .unwrap();
        for (i, split) in case["split"].as_array().unwrap().iter().enumerate() {
            let (a, b) = (
                split[0].as_u64().unwrap() as usize,
                split[1].as_u64().unwrap() as usize,
            );
            let out = block
                .run(&Signal::Int(input.slice(s![a..b, ..]).to_owned()), None)
                .unwrap();
            let want = npy_i64(&format!("dn_{key}_{i}.npy"));
            if let Signal::Int(o) = &out {
                for ((t, c), v) in o.indexed_iter() {
                    if want.get((t, c)) != Some(v) {
                        eprintln!("{key} {i}: ({t},{c}) got {v} want {:?}", want.get((t, c)));
                    }
                }
            }
            assert_eq!(out, Signal::Int(want), "{key} call {i}");
        }
        // The carried state, through the plain API.
        let cfg = DnConfig::from_params(
            module,
            &Params::from_json({
                let mut p = case["params"].clone();
                p["shape"] = Value::from(4);
                p
            })
            .unwrap(),
        )
        .unwrap();
        let mut dn = DivisiveNormalisation::new(cfg, module == xa2::dn::NAME).unwrap();
        for split in case["split"].as_array().unwrap() {
            let (a, b) = (
                split[0].as_u64().unwrap() as usize,
                split[1].as_u64().unwrap() as usize,
            );
            dn.process(input.slice(s![a..b, ..])).unwrap();
        }
        let st = &case["state"];
        assert_eq!(
            dn.state().m_lowpass_state,
            i64s(&st["M_lowpass_state"]),
            "{key}"
        );
        assert_eq!(dn.state().iaf_counter, i64s(&st["IAF_counter"]), "{key}");
        if let Some(idx) = st.get("lfsr_index") {
            assert_eq!(dn.state().lfsr_index as u64, idx.as_u64().unwrap(), "{key}");
        }
    }
    let c = &cases["len6000"];
    let mut dn = DivisiveNormalisation::new(DnConfig::default(), true).unwrap();
    let out = dn.process(Array2::ones((6000, 1)).view()).unwrap();
    assert_eq!(out.nrows() as u64, c["rows_out"].as_u64().unwrap());
    assert_eq!(out.sum() as u64, c["total"].as_u64().unwrap());
}

#[test]
fn params_defaults_and_unknown_names() {
    assert_eq!(xa2::MODULES[0], "AFESim");
    let cfg = AfeSimConfig::from_params(&Params::new()).unwrap();
    assert_eq!(cfg, AfeSimConfig::default());
    assert_eq!(
        (cfg.fs, cfg.raster_period, cfg.max_spike_per_raster_period),
        (110_000.0, 0.01, 15)
    );
    assert!(cfg.add_noise && cfg.add_offset && cfg.add_mismatch);
    let p = Params::from_json_str(
        r#"{"fs": 120000, "seed": 3, "num_workers": 2, "raster_period": 0.02}"#,
    )
    .unwrap();
    let cfg = AfeSimConfig::from_params(&p).unwrap();
    assert_eq!(
        (cfg.fs, cfg.seed, cfg.raster_period),
        (120_000.0, Some(3), 0.02)
    );
    for (module, bad) in [
        ("AFESim", r#"{"fss": 110000}"#),
        ("AFESim", r#"{"shape": 16}"#),
        ("DivisiveNormalisation", r#"{"bits_countr": 3}"#),
        ("DivisiveNormalisationNoLFSR", r#"{"typo": 1}"#),
    ] {
        let err = build(
            Family::Audio2,
            Some(module),
            &Params::from_json_str(bad).unwrap(),
        )
        .err()
        .unwrap()
        .to_string();
        assert!(err.contains("no such constructor argument"), "{err}");
    }
    let d = DnConfig::from_params("DivisiveNormalisation", &Params::new()).unwrap();
    assert_eq!(d, DnConfig::default());
    let p =
        Params::from_json_str(r#"{"p_local": 7, "low_pass_mode": "LowPassMode.OVERFLOW_PROTECT"}"#)
            .unwrap();
    let d = DnConfig::from_params("DivisiveNormalisation", &p).unwrap();
    assert_eq!(
        (d.p_local, d.low_pass_mode),
        (8, xa2::LowPassMode::OverflowProtect)
    );
    assert!(build(Family::Audio2, Some("AFESimExternal"), &Params::new()).is_err());
}

#[test]
fn bad_parameters_and_inputs_are_errors() {
    for (module, bad, needle) in [
        ("AFESim", r#"{"fs": 48000}"#, "fs"),
        ("AFESim", r#"{"seed": -1}"#, "seed"),
        ("AFESim", r#"{"raster_period": 0}"#, "raster_period"),
        ("AFESim", r#"{"num_workers": 0}"#, "num_workers"),
        ("AFESim", r#"{"add_noise": 1}"#, "add_noise"),
        (
            "DivisiveNormalisation",
            r#"{"code_lfsr": [1, 2, 3]}"#,
            "code_lfsr",
        ),
        (
            "DivisiveNormalisation",
            r#"{"shape": 2, "IAF_counter": [1]}"#,
            "IAF_counter",
        ),
        (
            "DivisiveNormalisation",
            r#"{"low_pass_mode": "FAST"}"#,
            "low_pass_mode",
        ),
        ("DivisiveNormalisation", r#"{"p_local": 0}"#, "p_local"),
        ("DivisiveNormalisation", r#"{"dt": -1}"#, "dt"),
    ] {
        let err = build(
            Family::Audio2,
            Some(module),
            &Params::from_json_str(bad).unwrap(),
        )
        .err()
        .unwrap_or_else(|| panic!("{bad} accepted"))
        .to_string();
        assert!(err.contains(needle), "{bad}: {err}");
    }
    let mut sim = ideal();
    let two = Signal::Float(Array2::zeros((100, 2)));
    assert!(
        sim.run(&two, None)
            .unwrap_err()
            .to_string()
            .contains("1-dim")
    );
    assert!(
        sim.process(&[0.0; 3])
            .unwrap_err()
            .to_string()
            .contains("at least 4")
    );
    assert!(
        sim.process(&[0.0, f64::NAN, 0.0, 0.0, 0.0])
            .unwrap_err()
            .to_string()
            .contains("not finite")
    );
    assert!(
        sim.run(&Signal::Float(Array2::zeros((100, 1))), Some(-3.0))
            .is_err()
    );
    let mut dn = DivisiveNormalisation::new(DnConfig::default(), true).unwrap();
    assert!(
        dn.process(Array2::zeros((10, 2)).view())
            .unwrap_err()
            .to_string()
            .contains("channels")
    );
    assert!(
        dn.process(Array2::from_elem((10, 1), -1).view())
            .unwrap_err()
            .to_string()
            .contains(">= 0")
    );
    assert!(dn.process(Array2::zeros((0, 1)).view()).is_err());
    assert!(
        dn.run(&Signal::Float(Array2::from_elem((10, 1), 0.5)), None)
            .is_err()
    );
    assert!(
        dn.run(&Signal::Int(Array2::zeros((10, 1))), Some(16000.0))
            .is_err()
    );
    assert!(
        dn.run(&Signal::Int(Array2::zeros((10, 1))), Some(10000.0))
            .is_ok()
    );
}
