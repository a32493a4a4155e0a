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

fn host(t: burn::tensor::Tensor<1>) -> Vec<f64> {
    t.into_data().try_to_vec_as::<f64>().unwrap()
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
    let mode = cfg.xylo_mode().unwrap().expect("Xylo mode");
    let mut net = cfg.training_network().unwrap().build(&dev).unwrap();
    rockpool::persist::load_parameters(&mut net, out.join("params.npz")).unwrap();
    let config = XyloConfig::load(out.join("config.json"), XyloFamily::Audio2).unwrap();
    let spec = export(
        &mode.effective(&net).unwrap(),
        XyloFamily::Audio2,
        Quantization::Channel,
        false,
        &probe_raster(10, 16, 0.1, 0),
    )
    .unwrap()
    .spec;
    let trained = |lin: usize, lif: usize| -> Vec<i32> {
        let Some(Layer::Lif(n)) = net.get(lif) else {
            panic!("layer {lif} is a LIF")
        };
        let step = mode.weight_step(&net, lin).unwrap();
        let (thr, _) = rockpool::quant::integer_threshold_bias(n, 16, step.clone());
        let step = step.narrow(0, 0, n.n());
        host(thr / step).iter().map(|x| x.round() as i32).collect()
    };
    let hidden = trained(0, 1);
    assert!(hidden.iter().all(|&t| (1..=32767).contains(&t)));
    assert_eq!(spec.threshold.to_vec(), hidden);
    assert_eq!(spec.threshold_out.to_vec(), trained(3, 4));
    assert!(rockpool_xylo::validate_config(&config).is_valid());
    std::fs::remove_dir_all(&out).ok();
}

/// Xylo-mode training with a recurrent hidden layer: the recurrent weights are fake-quantised
/// on the grid of the input weights of the same neuron (as the exporter's per-neuron scale
/// takes both), so the trained network exports with its recurrence and keeps its accuracy on
/// the simulated chip.
#[test]
fn a_recurrent_hidden_layer_trains_in_xylo_mode_and_keeps_its_accuracy_on_the_chip() {
    let dev = device();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/xylo_keyword.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    // The first lif table is the hidden layer.
    let text = text.replacen(
        "type = \"lif\"\n",
        "type = \"lif\"\nhas_rec = true\nrec_scale = 0.1\n",
        1,
    );
    let mut cfg = JobConfig::from_toml_str(&text, "recurrent.toml").unwrap();
    cfg.training.epochs = 8;
    let out = std::env::temp_dir().join(format!("rockpool-xylo-rec-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let report = job::run(&cfg, &out, &dev, false).unwrap();
    let chip = report.chip_acc.unwrap();
    let float = report.training.best_valid_acc;
    eprintln!("recurrent keyword: float {float:.3} chip {chip:.3}");
    assert!(
        float >= 0.9 && chip >= 0.9 && chip >= float - 0.05,
        "float {float}, chip {chip}"
    );
    // The exported configuration has recurrent synapses.
    let config = XyloConfig::load(out.join("config.json"), XyloFamily::Audio2).unwrap();
    let spec = rockpool_xylo::spec_from_config(&config).unwrap();
    assert!(
        spec.weights_rec.iter().any(|&w| w != 0),
        "recurrent weights exported"
    );
    std::fs::remove_dir_all(&out).ok();
}
