//! Networks against reference outputs of Rockpool 3.1.0, through the library API and through
//! `rockpool evolve`: the numpy `Rate`, `Linear`, `LIF`, `ExpSyn` modules
//! (tests/fixtures/make_reference_fixtures.py), the torch `LIFTorch`, `LIFBitshiftTorch`,
//! `LIFNeuronTorch`, `aLIFTorch` modules and `PeakLoss` (make_torch_fixtures.py).

mod common;

use burn::tensor::Tensor;
use common::{assert_close, device, fixture, npz, values};
use rockpool::module::{ModuleExt, ModuleView};
use rockpool::network::load_network;
use rockpool::persist::{load_parameters, npy_to_data};

const CASES: [&str; 13] = [
    "rate/rate_relu",
    "rate/rate_rec_tanh",
    "rate/rate_sigmoid_clip",
    "rate/linear_rate_linear",
    "rate/broadcast_input",
    "lif/linear_lif",
    "lif/lif_two_synapses",
    "lif/lif_recurrent_multispike",
    "lif/exp_syn",
    "torch/liftorch_two_syn_recurrent",
    "torch/lif_bitshift",
    "torch/lif_neuron",
    "torch/alif_two_syn_recurrent",
];

/// 1e-5 relative, as the issue asks, plus a float32-sized absolute floor for values near 0.
const RTOL: f64 = 1e-5;
const ATOL: f64 = 1e-6;

#[test]
fn library_matches_rockpool_rate_and_lif_fixtures() {
    let dev = device();
    for case in CASES {
        let mut net = load_network(fixture(&format!("{case}.toml")), &dev).unwrap();
        let report = load_parameters(&mut net, fixture(&format!("{case}_params.npz"))).unwrap();
        assert!(
            report.missing.is_empty(),
            "{case}: missing {:?}",
            report.missing
        );
        let arr = rockpool_io::read_npy(fixture(&format!("{case}_input.npy"))).unwrap();
        let data = npy_to_data(&arr);
        let ev = match data.shape().len() {
            2 => net
                .evolve(Tensor::<2>::from_data(data, &dev), true)
                .unwrap(),
            3 => net
                .evolve(Tensor::<3>::from_data(data, &dev), true)
                .unwrap(),
            r => panic!("unexpected rank {r}"),
        };
        let expected = npz(&fixture(&format!("{case}_expected.npz")));
        let mut checked = 0;
        for (key, want, shape) in &expected {
            let got: Vec<f64> = if key == "output" {
                assert_eq!(&ev.output.dims().to_vec(), shape, "{case}: output shape");
                ev.output.to_data().try_to_vec_as::<f64>().unwrap()
            } else if let Some(path) = key.strip_prefix("record.") {
                let t = ev
                    .record
                    .get(path)
                    .unwrap_or_else(|| panic!("{case}: no record {path}"));
                assert_eq!(&t.shape(), shape, "{case}: shape of {key}");
                values(t)
            } else if let Some(path) = key.strip_prefix("state.") {
                // The module keeps batch 0 of the final state, as Rockpool does.
                let attr = net.state();
                let a = attr
                    .get(path)
                    .unwrap_or_else(|| panic!("{case}: no state {path}"));
                match &a.value {
                    rockpool::module::Value::Tensor(t) => values(t),
                    other => panic!("{case}: state {path} is {other}"),
                }
            } else {
                panic!("{case}: unexpected key {key}");
            };
            let neurons = case.starts_with("lif/") || case.starts_with("torch/");
            if key == "output" && neurons && !case.ends_with("exp_syn") {
                // Spike counts match exactly.
                assert_eq!(&got, want, "{case}: spike counts");
            }
            // LIF traces: 1e-5 relative, with an absolute floor of 1e-5 of the trace's scale.
            // The floor is for values near 0 after a subtractive reset, where U − θ cancels and
            // the f32 parameters (θ, τ, inputs: rounded by ~6e-8 from Rockpool's f64) leave an
            // error of a few 1e-6 of the scale. The decays themselves are formed in f64 by the
            // fused op from accurate f32 leaks (with f32 decays this floor had to be 5e-5).
            // Rate traces and all spike counts are held to 1e-5 relative / exactly.
            let atol = if neurons {
                1e-5 * want.iter().fold(0.0f64, |m, v| m.max(v.abs()))
            } else {
                ATOL
            };
            assert_close(&format!("{case}: {key}"), &got, want, RTOL, atol.max(ATOL));
            checked += 1;
        }
        assert!(checked >= 3, "{case}: only {checked} arrays compared");
    }
}

#[test]
fn peak_loss_matches_rockpool() {
    use rockpool::train::loss::{Loss, PeakLoss, Target};
    let dev = device().autodiff();
    let f = npz(&fixture("torch/peak_loss.npz"));
    let get = |k: &str| f.iter().find(|(n, _, _)| n == k).unwrap().clone();
    let (_, pred, shape) = get("prediction");
    let labels: Vec<usize> = get("labels").1.iter().map(|&l| l as usize).collect();
    let p = get("params").1;
    let loss = Loss::Peak(PeakLoss {
        max_interval: p[0] as usize,
        weight_nontarget: p[1],
        target_output: p[2],
        nontarget_output: 0.0,
    });
    let y = Tensor::<3>::from_data(
        burn::tensor::TensorData::new(
            pred.iter().map(|&v| v as f32).collect::<Vec<_>>(),
            [shape[0], shape[1], shape[2]],
        ),
        &dev,
    )
    .require_grad();
    let l = loss.compute(y.clone(), &Target::Classes(labels)).unwrap();
    let got = f64::from(l.clone().into_scalar::<f32>());
    assert_close("peak loss", &[got], &get("loss").1, 1e-5, 0.0);
    let g = y.grad(&l.backward()).unwrap().into_data();
    let g: Vec<f64> = g.try_to_vec_as::<f64>().unwrap();
    assert_close("peak loss gradient", &g, &get("grad").1, 1e-5, 1e-7);
}

#[test]
fn binary_peak_loss_matches_rockpool() {
    use rockpool::train::loss::{Loss, PeakLoss, Target};
    let dev = device().autodiff();
    let f = npz(&fixture("torch/binary_peak_loss.npz"));
    let get = |k: &str| f.iter().find(|(n, _, _)| n == k).unwrap().clone();
    for case in 0..3 {
        let (_, pred, shape) = get(&format!("prediction_{case}"));
        let labels: Vec<usize> = get(&format!("labels_{case}"))
            .1
            .iter()
            .map(|&l| l as usize)
            .collect();
        let p = get(&format!("params_{case}")).1;
        let loss = Loss::BinaryPeak(PeakLoss {
            max_interval: p[0] as usize,
            weight_nontarget: p[1],
            target_output: p[2],
            nontarget_output: 0.0,
        });
        let y = Tensor::<3>::from_data(
            burn::tensor::TensorData::new(
                pred.iter().map(|&v| v as f32).collect::<Vec<_>>(),
                [shape[0], shape[1], shape[2]],
            ),
            &dev,
        )
        .require_grad();
        let l = loss
            .compute(y.clone(), &Target::Classes(labels.clone()))
            .unwrap();
        let got = f64::from(l.clone().into_scalar::<f32>());
        assert_close(
            &format!("binary peak loss, case {case}"),
            &[got],
            &get(&format!("loss_{case}")).1,
            1e-5,
            0.0,
        );
        let g = y.grad(&l.backward()).unwrap().into_data();
        let g: Vec<f64> = g.try_to_vec_as::<f64>().unwrap();
        assert_close(
            &format!("binary peak loss gradient, case {case}"),
            &g,
            &get(&format!("grad_{case}")).1,
            1e-5,
            1e-7,
        );
    }
    // A label other than 0/1 and a multi-channel read-out are refused.
    let loss = Loss::BinaryPeak(PeakLoss {
        max_interval: 2,
        weight_nontarget: 1.0,
        target_output: 1.0,
        nontarget_output: 0.0,
    });
    let y = Tensor::<3>::zeros([2, 4, 1], &dev);
    let e = loss
        .compute(y, &Target::Classes(vec![0, 2]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("labels 0"), "{e}");
    let y = Tensor::<3>::zeros([2, 4, 3], &dev);
    let e = loss
        .compute(y, &Target::Classes(vec![0, 1]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("single read-out"), "{e}");
}

#[test]
fn cli_evolve_matches_rockpool() {
    let dir = std::env::temp_dir().join(format!("rockpool-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("result.npz");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_rockpool"))
        .args(["evolve", "--net"])
        .arg(fixture("rate/linear_rate_linear.toml"))
        .arg("--params")
        .arg(fixture("rate/linear_rate_linear_params.npz"))
        .arg("--input")
        .arg(fixture("rate/linear_rate_linear_input.npy"))
        .arg("--out")
        .arg(&out)
        .arg("--record")
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let got = npz(&out);
    let want = npz(&fixture("rate/linear_rate_linear_expected.npz"));
    for (key, w, shape) in &want {
        let (_, g, gshape) = got.iter().find(|(k, _, _)| k == key).unwrap_or_else(|| {
            panic!(
                "result lacks {key}; has {:?}",
                got.iter().map(|x| &x.0).collect::<Vec<_>>()
            )
        });
        if key.starts_with("state.") {
            // The file holds the batched final state; Rockpool's holds batch 0.
            assert_close(key, &g[..w.len()], w, RTOL, ATOL);
        } else {
            assert_eq!(gshape, shape, "{key}");
            assert_close(key, g, w, RTOL, ATOL);
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn cli_reports_bad_input_shape_and_file() {
    let dir = std::env::temp_dir().join(format!("rockpool-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let x = dir.join("x.npy");
    let arr = ndarray::ArrayD::<f32>::zeros(ndarray::IxDyn(&[10, 5]));
    rockpool_io::write_npy(&x, &rockpool_io::NpyArray::F32(arr)).unwrap();
    let run = |args: &[&std::ffi::OsStr]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_rockpool"))
            .args(args)
            .output()
            .unwrap()
    };
    let net = fixture("rate/linear_rate_linear.toml");
    let out = dir.join("o.npz");
    let r = run(&[
        "evolve".as_ref(),
        "--net".as_ref(),
        net.as_os_str(),
        "--input".as_ref(),
        x.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert!(!r.status.success());
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("input of Sequential") && err.contains("(1, 10, 5)"),
        "{err}"
    );
    assert!(!out.exists(), "no output file on error");

    let missing = dir.join("nope.toml");
    let r = run(&[
        "evolve".as_ref(),
        "--net".as_ref(),
        missing.as_os_str(),
        "--input".as_ref(),
        x.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert!(!r.status.success());
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("nope.toml"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn display_matches_rockpool_layout() {
    let dev = device();
    let net = load_network(fixture("rate/linear_rate_linear.toml"), &dev).unwrap();
    assert_eq!(
        net.describe(),
        "Sequential with shape (2, 3) {\n    Linear '0_Linear' with shape (2, 6)\n    Rate '1_Rate' with shape (6,)\n    Linear '2_Linear' with shape (6, 3)\n}"
    );
    let view: &dyn ModuleView = &net;
    let weights: Vec<String> = view
        .parameters("weights")
        .leaves()
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    assert_eq!(weights, ["0_Linear.weight", "2_Linear.weight"]);
}

/// `.timed()` over a periodic sinusoid, against Rockpool's `TimedModuleWrapper`.
#[test]
fn timed_rate_matches_rockpool() {
    use rockpool::timed::TimedExt;
    use rockpool::timeseries::{TimeSeries, load_timeseries};
    let dev = device();
    let mut net = load_network(fixture("timed/sinusoid_net.toml"), &dev).unwrap();
    load_parameters(&mut net, fixture("timed/sinusoid_params.npz")).unwrap();
    let input = load_timeseries(fixture("timed/sinusoid_input.npz")).unwrap();
    let TimeSeries::Continuous(want) =
        load_timeseries(fixture("timed/sinusoid_output.npz")).unwrap()
    else {
        panic!("Rockpool wrote a continuous output")
    };
    let mut timed = net.timed(None).unwrap();
    let ev = timed.evolve(Some(&input), Some(0.25), None, false).unwrap();
    let TimeSeries::Continuous(got) = ev.output else {
        panic!("continuous output")
    };
    assert_eq!(got.samples().dim(), want.samples().dim());
    assert_close("times", got.times(), want.times(), 0.0, 1e-12);
    assert_eq!(got.t_stop(), want.t_stop());
    let g: Vec<f64> = got.samples().iter().copied().collect();
    let w: Vec<f64> = want.samples().iter().copied().collect();
    assert_close("timed output", &g, &w, RTOL, ATOL);
    let state = npz(&fixture("timed/sinusoid_state.npz"));
    let st = timed.module().state();
    let rockpool::module::Value::Tensor(x) = &st.get("0_Rate.x").unwrap().value else {
        panic!()
    };
    assert_close("final state", &values(x), &state[0].1, RTOL, ATOL);
}

/// `rockpool evolve` with a time-series input writes a time series Rockpool can read, and
/// `rockpool plot` draws it.
#[test]
fn cli_timed_evolve_and_plot() {
    let dir = std::env::temp_dir().join(format!("rockpool-cli-timed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("out.npz");
    let bin = env!("CARGO_BIN_EXE_rockpool");
    let r = std::process::Command::new(bin)
        .args(["evolve", "--net"])
        .arg(fixture("timed/sinusoid_net.toml"))
        .arg("--params")
        .arg(fixture("timed/sinusoid_params.npz"))
        .arg("--input")
        .arg(fixture("timed/sinusoid_input.npz"))
        .args(["--duration", "0.25", "--record", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let got = npz(&out);
    let want = npz(&fixture("timed/sinusoid_output.npz"));
    for key in [
        "times",
        "samples",
        "t_start",
        "t_stop",
        "periodic",
        "type_TSContinuous",
        "interp_kind_previous",
    ] {
        let g = got
            .iter()
            .find(|(k, _, _)| k == key)
            .unwrap_or_else(|| panic!("no {key}"));
        let w = want.iter().find(|(k, _, _)| k == key).unwrap();
        assert_eq!(g.2, w.2, "shape of {key}");
        assert_close(key, &g.1, &w.1, RTOL, ATOL);
    }
    let rec = dir.join("out.record.0_Rate.x.npz");
    assert!(rec.exists(), "record series written beside the output");
    let png = dir.join("out.png");
    let r = std::process::Command::new(bin)
        .arg("plot")
        .arg(&out)
        .arg("-o")
        .arg(&png)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // An array result, by key, as SVG.
    let arr_out = dir.join("arr.npz");
    let r = std::process::Command::new(bin)
        .args(["evolve", "--net"])
        .arg(fixture("rate/linear_rate_linear.toml"))
        .arg("--input")
        .arg(fixture("rate/linear_rate_linear_input.npy"))
        .arg("--out")
        .arg(&arr_out)
        .arg("--record")
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let svg = dir.join("x.svg");
    let r = std::process::Command::new(bin)
        .arg("plot")
        .arg(&arr_out)
        .args(["--key", "record.1_Rate.x", "-o"])
        .arg(&svg)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(
        std::fs::read_to_string(&svg)
            .unwrap()
            .contains("record.1_Rate.x")
    );
    let r = std::process::Command::new(bin)
        .arg("plot")
        .arg(&arr_out)
        .args(["--key", "nope", "-o"])
        .arg(dir.join("n.png"))
        .output()
        .unwrap();
    assert!(!r.status.success());
    assert!(
        String::from_utf8_lossy(&r.stderr).contains("record.1_Rate.x"),
        "lists the keys"
    );
    std::fs::remove_dir_all(&dir).ok();
}
