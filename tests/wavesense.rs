//! `WaveSenseNet` (TOML `type = "wave_sense_net"`) against Rockpool 3.1.0's torch
//! `WaveSenseNet` (tests/fixtures/make_wavesense_fixture.py), its TOML form, its errors, and
//! that it trains.

mod common;

use burn::tensor::{Tensor, TensorData};
use common::{assert_close, device, fixture, npz, values};
use rockpool::module::{Evolve, ModuleExt, ModuleView, Tree, Value};
use rockpool::network::NetworkConfig;
use rockpool::nn::{Layer, LayerConfig, WaveSenseNetConfig};

/// The fixture's hyper-parameters (make_wavesense_fixture.py).
const NET: &str = r#"
[[layers]]
type = "wave_sense_net"
name = "wavesense"
dilations = [2, 4]
n_classes = 2
n_channels_in = 4
n_channels_res = 6
n_channels_skip = 5
n_hidden = 7
kernel_size = 2
bias = 0.02
tau_mem = 8e-3
base_tau_syn = 4e-3
tau_lp = 12e-3
threshold = 0.9
threshold_out = 1.1
dt = 1e-3
"#;

fn tensor<const D: usize>(v: &[f64], shape: &[usize], dev: &burn::tensor::Device) -> Tensor<D> {
    let v: Vec<f32> = v.iter().map(|&x| x as f32).collect();
    Tensor::from_data(TensorData::new(v, shape.to_vec()), dev)
}

#[test]
fn matches_rockpool() {
    let dev = device();
    let mut net = NetworkConfig::from_toml_str(NET, "wavesense.toml")
        .unwrap()
        .build(&dev)
        .unwrap();
    let f = npz(&fixture("torch/wavesense.npz"));
    let mut weights = Tree::new();
    for (key, v, shape) in &f {
        if let Some(path) = key.strip_prefix("param.") {
            let w = tensor::<2>(v, shape, &dev);
            weights.insert_path(&format!("wavesense.{path}"), Value::from(w));
        }
    }
    assert_eq!(weights.leaves().len(), 9, "{weights}");
    net.set_attributes(&weights).unwrap();
    // Every trainable parameter came from the fixture.
    assert_eq!(net.parameters(()).leaves().len(), 9);

    let (_, x, shape) = f.iter().find(|(k, _, _)| k == "input").unwrap();
    let ev = net.evolve(tensor::<3>(x, shape, &dev), true).unwrap();
    let mut compared = 0;
    for (key, want, shape) in &f {
        let got = if key == "output" {
            assert_eq!(&ev.output.dims().to_vec(), shape);
            let got: Vec<f64> = ev.output.to_data().try_to_vec_as::<f64>().unwrap();
            assert_eq!(&got, want, "read-out spike counts");
            got
        } else if let Some(path) = key.strip_prefix("record.") {
            let t = ev
                .record
                .get(&format!("wavesense.{path}"))
                .unwrap_or_else(|| panic!("no record {path}"));
            assert_eq!(&t.shape(), shape, "shape of {key}");
            let got = values(t);
            let spikes = path.ends_with("spikes")
                || (path.ends_with("_output")
                    && (path.contains("spk") || path.starts_with("wave")));
            if spikes {
                assert_eq!(&got, want, "{key}: spike counts");
            }
            got
        } else {
            continue;
        };
        // Float32 on both sides: 1e-5 relative, with a floor of 1e-5 of the trace's scale
        // for values near 0 after a subtractive reset (as in rockpool_reference.rs).
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert_close(key, &got, want, 1e-5, (1e-5 * scale).max(1e-6));
        compared += 1;
    }
    assert_eq!(compared, 14);
    // The stored state is batch 0 of the final state, keyed as in Rockpool.
    assert!(net.state().get("wavesense.wave1.spk1.isyn").is_some());
}

#[test]
fn names_shapes_and_records_follow_rockpool() {
    let dev = device();
    let net = WaveSenseNetConfig::new(vec![1, 2], 3, 2)
        .init(&dev)
        .unwrap();
    let desc = net.describe();
    assert!(
        desc.starts_with("WaveSenseNet with shape (3, 2) {\n    Linear 'lin1' with shape (3, 16)"),
        "{desc}"
    );
    let names: Vec<String> = net.modules().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "lin1", "spk1", "wave0", "wave1", "hidden", "spk2", "readout", "spk_out"
        ]
    );
    let block: Vec<String> = net.blocks[0]
        .modules()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(
        block,
        [
            "lin1",
            "spk1",
            "lin2_res",
            "spk2_res",
            "lin2_skip",
            "spk2_skip"
        ]
    );
    let x = Tensor::<3>::ones([2, 5, 3], &dev);
    let ev = net.evolve_with(x, net.zero_state(2), true).unwrap();
    assert_eq!(ev.output.dims(), [2, 5, 2]);
    assert_eq!(ev.state.get("wave1.spk1.isyn").unwrap().shape(), [2, 16, 2]);
    assert_eq!(
        ev.record.get("wave0.spk1_output").unwrap().shape(),
        [2, 5, 16]
    );
    assert_eq!(
        ev.record.get("wave0.spk2_skip_output").unwrap().shape(),
        [2, 5, 32]
    );
    assert_eq!(ev.record.get("wave1_output").unwrap().shape(), [2, 5, 16]);
    assert!(ev.record.get("spk_out.vmem").is_some());
    assert!(ev.record.get("spk_out_output").is_none());
    // An empty input gives an empty output.
    let ev = net
        .evolve_with(Tensor::zeros([2, 0, 3], &dev), net.zero_state(2), false)
        .unwrap();
    assert_eq!(ev.output.dims(), [2, 0, 2]);
}

fn wave_config(layers: &NetworkConfig) -> WaveSenseNetConfig {
    match &layers.layers[0].layer {
        LayerConfig::WaveSenseNet(c) => c.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn toml_round_trip_and_defaults() {
    let cfg = NetworkConfig::from_toml_str(NET, "a.toml").unwrap();
    let text = cfg.to_toml();
    assert!(text.contains("type = \"wave_sense_net\""), "{text}");
    let back = NetworkConfig::from_toml_str(&text, "b.toml").unwrap();
    assert_eq!(wave_config(&cfg), wave_config(&back));
    assert_eq!(wave_config(&cfg).base_tau_syn, 4e-3);
    // Missing keys take Rockpool's defaults; unknown keys are refused.
    let min = "[[layers]]\ntype = \"wave_sense_net\"\ndilations = [1]\n";
    let c = wave_config(&NetworkConfig::from_toml_str(min, "c.toml").unwrap());
    assert_eq!(
        c,
        WaveSenseNetConfig {
            dilations: vec![1],
            ..WaveSenseNetConfig::default()
        }
    );
    assert_eq!(
        (c.n_channels_in, c.n_channels_skip, c.kernel_size),
        (16, 32, 2)
    );
    let net = NetworkConfig::from_toml_str(min, "c.toml")
        .unwrap()
        .build(&device())
        .unwrap();
    assert!(matches!(net.get(0), Some(Layer::WaveSenseNet(_))));
    assert_eq!(net.shape(), [16, 2]);
    let bad = format!("{min}neuron_model = \"LIFTorch\"\n");
    let err = NetworkConfig::from_toml_str(&bad, "d.toml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("neuron_model"), "{err}");
}

#[test]
fn bad_hyper_parameters_name_the_field() {
    let dev = device();
    let base = WaveSenseNetConfig::new(vec![2], 4, 2);
    let cases = [
        (
            "dilations",
            WaveSenseNetConfig {
                dilations: vec![],
                ..base.clone()
            },
        ),
        (
            "dilations",
            WaveSenseNetConfig {
                dilations: vec![2, 0],
                ..base.clone()
            },
        ),
        (
            "kernel_size",
            WaveSenseNetConfig {
                kernel_size: 0,
                ..base.clone()
            },
        ),
        (
            "n_hidden",
            WaveSenseNetConfig {
                n_hidden: 0,
                ..base.clone()
            },
        ),
        (
            "n_channels_res",
            WaveSenseNetConfig {
                n_channels_res: 0,
                ..base.clone()
            },
        ),
        (
            "n_classes",
            WaveSenseNetConfig {
                n_classes: 0,
                ..base.clone()
            },
        ),
        (
            "tau_lp",
            WaveSenseNetConfig {
                tau_lp: -1.0,
                ..base.clone()
            },
        ),
        (
            "threshold_out",
            WaveSenseNetConfig {
                threshold_out: 0.0,
                ..base.clone()
            },
        ),
    ];
    for (field, c) in cases {
        let err = c.init(&dev).unwrap_err().to_string();
        assert!(err.contains(field), "{field}: {err}");
    }
    // The same through a network file, which names the layer too.
    let toml = "[[layers]]\ntype = \"wave_sense_net\"\nname = \"ws\"\nn_hidden = 4\n";
    let err = NetworkConfig::from_toml_str(toml, "e.toml")
        .unwrap()
        .build(&dev)
        .unwrap_err()
        .to_string();
    assert!(err.contains("dilations") && err.contains("'ws'"), "{err}");
    let toml = "[[layers]]\ntype = \"wave_sense_net\"\ndilations = [1]\nkernel_size = 0\n";
    let err = NetworkConfig::from_toml_str(toml, "f.toml")
        .unwrap()
        .build(&dev)
        .unwrap_err()
        .to_string();
    assert!(err.contains("kernel_size"), "{err}");
}

/// A few Adam steps on a tiny batch reduce a spike-count loss, with gradients reaching every
/// weight (through the residual and skip paths and both surrogates).
#[test]
fn gradient_steps_reduce_a_loss() {
    use burn::optim::{AdamConfig, GradientsParams};
    let dev = rockpool::device::autodiff(&device());
    rockpool::device::seed(&dev, 3);
    let c = WaveSenseNetConfig {
        n_channels_res: 6,
        n_channels_skip: 6,
        n_hidden: 6,
        base_tau_syn: 4e-3,
        tau_mem: 8e-3,
        tau_lp: 8e-3,
        threshold: 0.5,
        ..WaveSenseNetConfig::new(vec![1, 2], 3, 2)
    };
    let mut net = c.init(&dev).unwrap();
    // Positive read-out weights, so that the read-out fires from the start.
    let readout = Tensor::<2>::ones([6, 2], &dev) * 0.3;
    net.set_attributes(
        &Tree::new().with_branch("readout", Tree::new().with("weight", Value::from(readout))),
    )
    .unwrap();
    // A fixed spike raster, B = 2, T = 30: channel i fires every (i + 2) steps.
    let x: Vec<f32> = (0..2 * 30 * 3)
        .map(|k| {
            let (t, i) = ((k / 3) % 30, k % 3);
            f32::from(t % (i + 2) == 0)
        })
        .collect();
    let x = Tensor::<3>::from_data(TensorData::new(x, [2, 30, 3]), &dev);
    // Target: 3 read-out spikes on neuron 0 and none on neuron 1, per sample.
    let target = Tensor::<2>::from_data(TensorData::new(vec![3.0f32, 0.0, 3.0, 0.0], [2, 2]), &dev);
    let loss_of = |net: &rockpool::nn::WaveSenseNet| {
        let out = net
            .evolve_with(x.clone(), net.zero_state(2), false)
            .unwrap()
            .output;
        (out.sum_dim(1).squeeze_dim::<2>(1) - target.clone())
            .powi_scalar(2)
            .mean()
    };
    let mut optim = AdamConfig::new().init();
    let mut losses = Vec::new();
    for step in 0..6 {
        let loss = loss_of(&net);
        losses.push(loss.clone().into_scalar::<f32>());
        let grads = loss.backward();
        if step == 0 {
            let b = &net.blocks[0];
            for (name, g) in [
                ("lin1", net.lin1.weight.grad(&grads)),
                ("wave0.lin1", b.lin1.weight.grad(&grads)),
                ("wave0.lin2_skip", b.lin2_skip.weight.grad(&grads)),
                ("hidden", net.hidden.weight.grad(&grads)),
                ("readout", net.readout.weight.grad(&grads)),
            ] {
                let g = g.unwrap_or_else(|| panic!("no gradient for {name}"));
                let norm = g.abs().sum().into_scalar::<f32>();
                assert!(norm.is_finite() && norm > 0.0, "{name}: |grad| = {norm}");
            }
        }
        let grads = GradientsParams::from_grads(grads, &net);
        net = optim.step(3e-3, net, grads);
    }
    losses.push(loss_of(&net).into_scalar::<f32>());
    assert!(
        losses.windows(2).all(|w| w[1] <= w[0]) && losses[6] < 0.1 * losses[0],
        "{losses:?}"
    );
}
