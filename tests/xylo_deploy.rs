//! Deployment end to end: a trained network exports to a valid Xylo configuration whose
//! bit-exact simulation classifies about as well as the float model; bad networks are refused.

mod common;

use common::device;
use rockpool::job::{self, JobConfig};
use rockpool::module::{Evolve, ModuleExt};
use rockpool::network::NetworkConfig;
use rockpool::xylo::{Quantization, export, probe_raster};
use rockpool_xylo::{XyloConfig, XyloFamily};

#[test]
fn trained_network_runs_on_the_simulated_chip() {
    let dev = device();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/frozen_noise.toml");
    let mut cfg = JobConfig::load(path).unwrap();
    cfg.training.epochs = 6;
    let out = std::env::temp_dir().join(format!("rockpool-xylo-{}", std::process::id()));
    let report = job::run(&cfg, &out, &dev, false).unwrap().training;
    let mut net = cfg.network.build(&dev).unwrap();
    rockpool::persist::load_parameters(&mut net, out.join("params.npz")).unwrap();

    let probe = probe_raster(300, 16, 0.05, 0);
    let ex = export(
        &net,
        XyloFamily::Audio2,
        Quantization::Channel,
        false,
        &probe,
    )
    .unwrap();
    assert!(ex.validation.is_valid(), "{}", ex.validation);
    // Round trip through the JSON file.
    let json = out.join("config.json");
    ex.config.save(&json).unwrap();
    let config = XyloConfig::load(&json, XyloFamily::Audio2).unwrap();

    // Float and chip accuracy on the validation set.
    let (_, valid) = cfg.datasets().unwrap();
    let labels = valid.y.as_class().unwrap().to_vec();
    let (n, t, c) = valid.x.dim();
    let x = burn::tensor::Tensor::<3>::from_data(
        burn::tensor::TensorData::new(valid.x.iter().copied().collect::<Vec<f32>>(), [n, t, c]),
        &dev,
    );
    let float_out = net.evolve_with(x, net.zero_state(n), false).unwrap().output;
    let float_acc = rockpool::train::loss::correct(&float_out, &labels) as f64 / n as f64;
    // Two extra silent steps let the last events cross the chip's hop delay (the float model
    // was trained without it).
    let chip_acc = rockpool::xylo::chip_accuracy(&config, &valid.x, &labels, 2).unwrap();
    eprintln!(
        "float accuracy {float_acc:.3}, chip accuracy {chip_acc:.3} (best valid {:.3})",
        report.best_valid_acc
    );
    assert!(float_acc >= 0.8, "float model trained: {float_acc}");
    assert!(
        chip_acc >= float_acc - 0.15,
        "quantised chip model {chip_acc} vs float {float_acc}"
    );
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn undeployable_networks_are_refused_with_the_rule() {
    let dev = device();
    let probe = probe_raster(50, 4, 0.1, 0);
    let build = |toml: &str| {
        NetworkConfig::from_toml_str(toml, "n")
            .unwrap()
            .build(&dev)
            .unwrap()
    };
    // A single neuron layer: Xylo needs a hidden and an output layer.
    let one = build(
        "[[layers]]\ntype = \"linear\"\nsize_in = 4\nsize_out = 3\n[[layers]]\ntype = \"lif\"\nn = 3\n",
    );
    let err = export(
        &one,
        XyloFamily::Audio2,
        Quantization::Channel,
        false,
        &probe,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("at_least_two_neuron_layers_needed"), "{err}");
    // An Instant function cannot be mapped.
    let inst = build(
        "[[layers]]\ntype = \"linear\"\nsize_in = 4\nsize_out = 3\n[[layers]]\ntype = \"instant\"\nn = 3\n",
    );
    let err = export(
        &inst,
        XyloFamily::Audio2,
        Quantization::Channel,
        false,
        &probe,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("Instant"), "{err}");
    // Too many hidden neurons for XyloAudio 2.
    let big = build(
        "[[layers]]\ntype = \"linear\"\nsize_in = 4\nsize_out = 1001\n[[layers]]\ntype = \"lif\"\nn = 1001\n\
         [[layers]]\ntype = \"linear\"\nsize_in = 1001\nsize_out = 2\n[[layers]]\ntype = \"lif\"\nn = 2\n",
    );
    let err = export(
        &big,
        XyloFamily::Audio2,
        Quantization::Channel,
        false,
        &probe,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("1001") && err.contains("1000"), "{err}");
    // A time constant at or below dt.
    let fast = build(
        "[[layers]]\ntype = \"linear\"\nsize_in = 4\nsize_out = 3\n[[layers]]\ntype = \"lif\"\nn = 3\ntau_mem = 0.0009\n\
         [[layers]]\ntype = \"linear\"\nsize_in = 3\nsize_out = 2\n[[layers]]\ntype = \"lif\"\nn = 2\n",
    );
    assert!(
        export(
            &fast,
            XyloFamily::Audio2,
            Quantization::Global,
            false,
            &probe
        )
        .is_err()
    );
    let _ = fast.size_in();
}

#[test]
fn xylo_mode_training_exports_a_matching_configuration() {
    let dev = device();
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/xylo_frozen_noise.toml");
    let mut cfg = JobConfig::load(path).unwrap();
    cfg.training.epochs = 6;
    let out = std::env::temp_dir().join(format!("rockpool-xylo-mode-{}", std::process::id()));
    let report = job::run(&cfg, &out, &dev, false).unwrap();
    let chip = report
        .chip_acc
        .expect("classification task gives a chip accuracy");
    let report = report.training;
    eprintln!("float {:.3} chip {chip:.3}", report.best_valid_acc);
    assert!(report.best_valid_acc >= 0.85, "{}", report.best_valid_acc);
    // Trained under the chip's constraints, the exported network keeps its accuracy.
    assert!(
        chip >= report.best_valid_acc - 0.05,
        "chip {chip} vs float {}",
        report.best_valid_acc
    );
    let config = XyloConfig::load(out.join("config.json"), XyloFamily::Audio2).unwrap();
    assert!(rockpool_xylo::validate_config(&config).is_valid());
    // The trained network had a hop delay after the hidden layer and int8-grid weights.
    let net = cfg.training_network().unwrap().build(&dev).unwrap();
    assert_eq!(net.names()[2], "2_Delay");
    std::fs::remove_dir_all(&out).ok();
}

/// A Linear (2 → 2) fake-quantised to int8 with one scale per target neuron, and its weights:
/// column maxima 0.5 and 0.001, so the grid steps are Δ = (0.5/127, 0.001/127).
fn quantised_linear(dev: &burn::tensor::Device) -> rockpool::nn::Linear {
    let w = burn::tensor::Tensor::<2>::from_floats([[0.5, 0.001], [-0.2, 0.0004]], dev);
    let mut lin = rockpool::nn::Linear::from_weights(w, None);
    lin.quantize_bits = Some(8);
    lin.quantize_group = 1;
    lin
}

fn host(t: burn::tensor::Tensor<1>) -> Vec<f64> {
    t.into_data().try_to_vec_as::<f64>().unwrap()
}

#[test]
fn xylo_thresholds_sit_on_the_weight_grid_within_int16() {
    use burn::tensor::{Tensor, TensorData};
    use rockpool::nn::{Layer, LifConfig, Sequential};
    let dev = rockpool::device::autodiff(&device());
    let lin = quantised_linear(&dev);
    let (d0, d1) = (0.5 / 127.0, 0.001 / 127.0);
    let step = host(lin.quantization_step().unwrap());
    assert!((step[0] - d0).abs() < 1e-9 && (step[1] - d1).abs() < 1e-12);
    let lif = LifConfig::new(2)
        .with_threshold(vec![0.3, 1.0])
        .with_bias(vec![0.01, -1.0])
        .with_threshold_bits(Some(16))
        .init(&dev)
        .unwrap();
    // Neuron 0: θ/Δ = 0.3·254 = 76.2 → 76; b/Δ = 0.01·254 = 2.54 → 3.
    // Neuron 1: θ/Δ = 1.0·127000 → clamped to 32767; b/Δ = −127000 → −32767.
    let (thr, bias) = lif.integer_threshold_bias(lin.quantization_step());
    let want_thr = [76.0 * d0, 32767.0 * d1];
    let want_bias = [3.0 * d0, -32767.0 * d1];
    for (got, want) in host(thr).iter().zip(want_thr) {
        assert!(
            (got - want).abs() < 1e-7 * want,
            "threshold {got} vs {want}"
        );
    }
    for (got, want) in host(bias).iter().zip(want_bias) {
        assert!(
            (got - want).abs() < 1e-7 * want.abs(),
            "bias {got} vs {want}"
        );
    }
    // Without the grid (the LIF on its own) the parameters are used as they are.
    let (thr, _) = lif.integer_threshold_bias(None);
    assert_eq!(host(thr), [0.3f32 as f64, 1.0]);

    // In a chain the LIF evolves with them: one event on channel 0 gives I = 0.5·β and
    // V = I + b, one spike, V − θ after the reset (β = exp(−dt/τ_syn), τ_syn = 20 ms).
    let net = Sequential::<Layer>::from_modules([Layer::from(lin), Layer::from(lif)]).unwrap();
    let x = Tensor::<3>::from_data(TensorData::new(vec![1.0f32, 0.0], [1, 1, 2]), &dev);
    let ev = net.evolve_with(x, net.zero_state(1), true).unwrap();
    let beta = (-1e-3f64 / 20e-3).exp();
    let v = match ev.record.get("1_LIF.vmem") {
        Some(rockpool::module::DynTensor::D3(t)) => {
            t.clone().into_data().try_to_vec_as::<f32>().unwrap()
        }
        other => panic!("no vmem record: {other:?}"),
    };
    let want_v0 = 0.5 * beta + 3.0 * d0 - 76.0 * d0;
    assert!(
        (f64::from(v[0]) - want_v0).abs() < 1e-6,
        "{} vs {want_v0}",
        v[0]
    );
    let spikes = ev
        .output
        .clone()
        .into_data()
        .try_to_vec_as::<f32>()
        .unwrap();
    assert_eq!(spikes, [1.0, 0.0]);
    // The rounding passes the gradient straight through; past the clamp it is zero.
    let grads = ev.output.sum().backward();
    let Some(Layer::Lif(lif)) = net.get(1) else {
        panic!("layer 1 is the LIF")
    };
    let g = host(lif.threshold.val().grad(&grads).unwrap());
    assert!(g[0] < 0.0, "a higher threshold means fewer spikes: {g:?}");
    assert_eq!(g[1], 0.0, "clamped at 32767: no gradient");
}

#[test]
fn export_carries_the_integer_thresholds_the_training_used() {
    use rockpool::nn::{Layer, Linear};
    let dev = device();
    let toml = "[[layers]]\ntype = \"linear\"\nsize_in = 2\nsize_out = 2\n\
                [[layers]]\ntype = \"lif\"\nn = 2\nthreshold = [0.3, 1.0]\n\
                [[layers]]\ntype = \"linear\"\nsize_in = 2\nsize_out = 1\n\
                [[layers]]\ntype = \"lif\"\nn = 1\n";
    let plain = NetworkConfig::from_toml_str(toml, "n").unwrap();
    let xylo =
        rockpool::job::xylo_network(&plain, XyloFamily::Audio2, Quantization::Channel).unwrap();
    let set = |net: &mut rockpool::nn::Sequential<Layer>, i: usize, w: Linear| {
        let q = match net.get(i) {
            Some(Layer::Linear(l)) => (l.quantize_bits, l.quantize_group),
            _ => panic!("layer {i} is a Linear"),
        };
        let mut w = w;
        (w.quantize_bits, w.quantize_group) = q;
        *net.get_mut(i).unwrap() = Layer::Linear(w);
    };
    let w_out = || {
        Linear::from_weights(
            burn::tensor::Tensor::<2>::from_floats([[0.8], [-0.3]], &dev),
            None,
        )
    };
    let probe = probe_raster(50, 2, 0.1, 0);
    let spec_of = |net: &rockpool::nn::Sequential<Layer>| {
        export(
            net,
            XyloFamily::Audio2,
            Quantization::Channel,
            false,
            &probe,
        )
        .unwrap()
        .spec
    };

    // Xylo-mode network (Linear, LIF, Delay, Linear, LIF): the thresholds it trains with are
    // 76·Δ0 and 32767·Δ1 (see the test above), and the export gives back exactly those
    // integers with the weights on their full int8 range.
    let mut net = xylo.build(&dev).unwrap();
    set(&mut net, 0, quantised_linear(&dev));
    set(&mut net, 3, w_out());
    let spec = spec_of(&net);
    assert_eq!(spec.threshold.to_vec(), [76, 32767]);
    // 0.5, −0.2 → 127, −50.8 → −51; 0.001, 0.0004 → 127, 50.8 → 51.
    assert_eq!(
        spec.weights_in.iter().copied().collect::<Vec<_>>(),
        [127, 127, -51, 51]
    );
    // Readout: Δ = 0.8/127; θ = 1 → 158.75 → 159; −0.3 → −47.6 → −48.
    assert_eq!(spec.threshold_out.to_vec(), [159]);
    assert_eq!(
        spec.weights_out.iter().copied().collect::<Vec<_>>(),
        [127, -48]
    );

    // The same weights trained without the constraint: threshold 1.0 on neuron 1 would be
    // 127000 at its weights' scale, so the export rescales the neuron to fit 32767 and its
    // weights lose precision (0.001·32767 = 32.8 → 33, 0.0004·32767 = 13.1 → 13).
    let mut net = plain.build(&dev).unwrap();
    set(&mut net, 0, quantised_linear(&dev));
    set(&mut net, 2, w_out());
    let spec = spec_of(&net);
    assert_eq!(spec.threshold.to_vec(), [76, 32767]);
    assert_eq!(
        spec.weights_in.iter().copied().collect::<Vec<_>>(),
        [127, 33, -51, 13]
    );
}

#[test]
fn bad_xylo_training_settings_are_refused() {
    let dev = device();
    let err = rockpool::nn::LifConfig::new(2)
        .with_threshold_bits(Some(40))
        .init(&dev)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("threshold_bits") && err.contains("40"),
        "{err}"
    );
    let err = NetworkConfig::from_toml_str(
        "[[layers]]\ntype = \"linear\"\nsize_in = 2\nsize_out = 5\nquantize_bits = 8\nquantize_group = 2\n",
        "n",
    )
    .unwrap()
    .build(&dev)
    .unwrap_err()
    .to_string();
    assert!(err.contains("quantize_group") && err.contains("5"), "{err}");
    let rec = NetworkConfig::from_toml_str(
        "[[layers]]\ntype = \"linear\"\nsize_in = 2\nsize_out = 3\n\
         [[layers]]\ntype = \"lif\"\nn = 3\nhas_rec = true\n\
         [[layers]]\ntype = \"linear\"\nsize_in = 3\nsize_out = 1\n\
         [[layers]]\ntype = \"lif\"\nn = 1\n",
        "n",
    )
    .unwrap();
    let err = rockpool::job::xylo_network(&rec, XyloFamily::Audio2, Quantization::Channel)
        .unwrap_err()
        .to_string();
    assert!(err.contains("layer 1") && err.contains("w_rec"), "{err}");
}

/// The keyword task trained in Xylo mode with the chip's caps (31 events per step for hidden
/// neurons, 1 for readout neurons), eight epochs of `configs/xylo_keyword.toml` (measured:
/// 100.0 % float and 100.0 % on the simulated chip; 15 epochs in the configuration).
#[test]
fn xylo_keyword_training_classifies_on_the_simulated_chip() {
    use rockpool::nn::Layer;
    let dev = device();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/xylo_keyword.toml");
    let mut cfg = JobConfig::load(path).unwrap();
    cfg.training.epochs = 8;
    let out = std::env::temp_dir().join(format!("rockpool-xylo-kw-{}", std::process::id()));
    let report = job::run(&cfg, &out, &dev, false).unwrap();
    let chip = report.chip_acc.unwrap();
    let report = report.training;
    eprintln!("keyword: float {:.3} chip {chip:.3}", report.best_valid_acc);
    assert!(report.best_valid_acc >= 0.9, "{}", report.best_valid_acc);
    assert!(chip >= 0.9, "chip {chip}");
    assert!(chip >= report.best_valid_acc - 0.05);

    // The exported integer thresholds are the ones the trained network evolves with.
    let mut net = cfg.training_network().unwrap().build(&dev).unwrap();
    rockpool::persist::load_parameters(&mut net, out.join("params.npz")).unwrap();
    let config = XyloConfig::load(out.join("config.json"), XyloFamily::Audio2).unwrap();
    let spec = export(
        &net,
        XyloFamily::Audio2,
        Quantization::Channel,
        false,
        &probe_raster(10, 16, 0.1, 0),
    )
    .unwrap()
    .spec;
    let trained = |lin: usize, lif: usize| -> Vec<i32> {
        let (Some(Layer::Linear(l)), Some(Layer::Lif(n))) = (net.get(lin), net.get(lif)) else {
            panic!("layers {lin}, {lif}")
        };
        let step = l.quantization_step().unwrap();
        let (thr, _) = n.integer_threshold_bias(Some(step.clone()));
        host(thr / step).iter().map(|x| x.round() as i32).collect()
    };
    let hidden = trained(0, 1);
    assert!(hidden.iter().all(|&t| (1..=32767).contains(&t)));
    assert_eq!(spec.threshold.to_vec(), hidden);
    assert_eq!(spec.threshold_out.to_vec(), trained(3, 4));
    assert!(rockpool_xylo::validate_config(&config).is_valid());
    std::fs::remove_dir_all(&out).ok();
}
