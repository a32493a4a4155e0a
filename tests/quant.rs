//! Xylo mode (`rockpool::quant`): fake-quantised weights, integer thresholds on the weight
//! grid, the network rewrite, and the export of what the training used. Values are worked
//! out by hand in the comments.

mod common;

use burn::tensor::{Device, Tensor, TensorData};
use common::device;
use rockpool::module::{DynTensor, Evolve, ModuleExt};
use rockpool::network::NetworkConfig;
use rockpool::nn::{Layer, LifConfig, Linear, Sequential};
use rockpool::quant::{LayerQuant, XyloMode, integer_threshold_bias};
use rockpool::xylo::{Quantization, export, probe_raster};
use rockpool_xylo::XyloFamily;

/// A Linear (2 → 2) whose weights have column maxima 0.5 and 0.001, so that int8 with one
/// scale per target neuron has grid steps Δ = (0.5/127, 0.001/127).
fn linear(dev: &Device) -> Linear {
    let w = Tensor::<2>::from_floats([[0.5, 0.001], [-0.2, 0.0004]], dev);
    Linear::from_weights(w, None)
}

fn host(t: Tensor<1>) -> Vec<f64> {
    t.into_data().try_to_vec_as::<f64>().unwrap()
}

/// Channel quantisation of a Linear feeding one-synapse neurons, then the neurons.
fn int8_int16() -> XyloMode {
    XyloMode::new(vec![
        LayerQuant::Weights { bits: 8, group: 1 },
        LayerQuant::Thresholds { bits: 16 },
    ])
    .unwrap()
}

#[test]
fn xylo_thresholds_sit_on_the_weight_grid_within_int16() {
    let dev = rockpool::device::autodiff(&device());
    let lif = LifConfig::new(2)
        .with_threshold(vec![0.3, 1.0])
        .with_bias(vec![0.01, -1.0])
        .init(&dev)
        .unwrap();
    let net =
        Sequential::<Layer>::from_modules([Layer::from(linear(&dev)), Layer::from(lif)]).unwrap();
    let mode = int8_int16();
    let (d0, d1) = (0.5 / 127.0, 0.001 / 127.0);
    let step = mode.weight_step(&net, 0).unwrap();
    let s = host(step.clone());
    assert!((s[0] - d0).abs() < 1e-9 && (s[1] - d1).abs() < 1e-12);
    assert!(mode.weight_step(&net, 1).is_none(), "layer 1 is no Linear");
    let Some(Layer::Lif(lif)) = net.get(1) else {
        panic!("layer 1 is the LIF")
    };
    // Neuron 0: θ/Δ = 0.3·254 = 76.2 → 76; b/Δ = 0.01·254 = 2.54 → 3.
    // Neuron 1: θ/Δ = 1.0·127000 → clamped to 32767; b/Δ = −127000 → −32767.
    let (thr, bias) = integer_threshold_bias(lif, 16, step);
    for (got, want) in host(thr).iter().zip([76.0 * d0, 32767.0 * d1]) {
        assert!(
            (got - want).abs() < 1e-7 * want,
            "threshold {got} vs {want}"
        );
    }
    for (got, want) in host(bias).iter().zip([3.0 * d0, -32767.0 * d1]) {
        assert!(
            (got - want).abs() < 1e-7 * want.abs(),
            "bias {got} vs {want}"
        );
    }

    // In Xylo mode the chain evolves with them: one event on channel 0 gives I = 0.5·β and
    // V = I + b, one spike, V − θ after the reset (β = exp(−dt/τ_syn), τ_syn = 20 ms).
    let x = Tensor::<3>::from_data(TensorData::new(vec![1.0f32, 0.0], [1, 1, 2]), &dev);
    let ev = mode
        .evolve(&net, x.clone(), net.zero_state(1), true)
        .unwrap();
    let beta = (-1e-3f64 / 20e-3).exp();
    let v = match ev.record.get("1_LIF.vmem") {
        Some(DynTensor::D3(t)) => t.clone().into_data().try_to_vec_as::<f32>().unwrap(),
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
    // The same chain evolved plainly uses θ = 0.3 and b = 0.01 as they are.
    let plain = net.evolve_with(x.clone(), net.zero_state(1), true).unwrap();
    let v_plain = match plain.record.get("1_LIF.vmem") {
        Some(DynTensor::D3(t)) => t.clone().into_data().try_to_vec_as::<f32>().unwrap(),
        other => panic!("no vmem record: {other:?}"),
    };
    let want_plain = 0.5 * beta + 0.01 - 0.3;
    assert!((f64::from(v_plain[0]) - want_plain).abs() < 1e-6);
    // The effective network evolves plainly as the Xylo-mode chain does.
    let eff = mode.effective(&net).unwrap();
    let ev_eff = eff.evolve_with(x, eff.zero_state(1), true).unwrap();
    match ev_eff.record.get("1_LIF.vmem") {
        Some(DynTensor::D3(t)) => {
            let v_eff = t.clone().into_data().try_to_vec_as::<f32>().unwrap();
            assert!((v_eff[0] - v[0]).abs() < 1e-7, "{v_eff:?} vs {v:?}");
        }
        other => panic!("no vmem record: {other:?}"),
    }

    // The rounding passes the gradient straight through; past the clamp it is zero.
    let grads = ev.output.sum().backward();
    let g = host(lif.threshold.val().grad(&grads).unwrap());
    assert!(g[0] < 0.0, "a higher threshold means fewer spikes: {g:?}");
    assert_eq!(g[1], 0.0, "clamped at 32767: no gradient");
}

#[test]
fn export_carries_the_integer_thresholds_the_training_used() {
    let dev = device();
    let toml = "[[layers]]\ntype = \"linear\"\nsize_in = 2\nsize_out = 2\n\
                [[layers]]\ntype = \"lif\"\nn = 2\nthreshold = [0.3, 1.0]\n\
                [[layers]]\ntype = \"linear\"\nsize_in = 2\nsize_out = 1\n\
                [[layers]]\ntype = \"lif\"\nn = 1\n";
    let plain = NetworkConfig::from_toml_str(toml, "n").unwrap();
    let (xylo, mode) =
        XyloMode::for_network(&plain, XyloFamily::Audio2.chip(), Quantization::Channel).unwrap();
    // Linear, LIF, Delay (the hop delay), Linear, LIF; caps 31 and 1; bit-shift decays.
    assert_eq!(
        mode.layers(),
        [
            LayerQuant::Weights { bits: 8, group: 1 },
            LayerQuant::Thresholds { bits: 16 },
            LayerQuant::Plain,
            LayerQuant::Weights { bits: 8, group: 1 },
            LayerQuant::Thresholds { bits: 16 },
        ]
    );
    let w_out = || Linear::from_weights(Tensor::<2>::from_floats([[0.8], [-0.3]], &dev), None);
    let probe = probe_raster(50, 2, 0.1, 0);
    let spec_of = |net: &Sequential<Layer>| {
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

    // Xylo-mode network: the thresholds it trains with are 76·Δ0 and 32767·Δ1 (see the test
    // above), and the export of its effective form gives back exactly those integers with
    // the weights on their full int8 range.
    let mut net = xylo.build(&dev).unwrap();
    assert_eq!(net.names()[2], "2_Delay");
    match (net.get(1), net.get(4)) {
        (Some(Layer::Lif(h)), Some(Layer::Lif(o))) => {
            assert_eq!((h.max_spikes_per_dt, o.max_spikes_per_dt), (31.0, 1.0));
            assert!(h.quantize_decays && o.quantize_decays);
        }
        _ => panic!("layers 1 and 4 are LIF"),
    }
    *net.get_mut(0).unwrap() = Layer::Linear(linear(&dev));
    *net.get_mut(3).unwrap() = Layer::Linear(w_out());
    let spec = spec_of(&mode.effective(&net).unwrap());
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
    *net.get_mut(0).unwrap() = Layer::Linear(linear(&dev));
    *net.get_mut(2).unwrap() = Layer::Linear(w_out());
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
    let err = XyloMode::new(vec![LayerQuant::Thresholds { bits: 40 }])
        .unwrap_err()
        .to_string();
    assert!(err.contains("40"), "{err}");
    // Settings that do not fit the network: a group that does not divide the outputs, a
    // threshold setting on a Linear, the wrong number of layers.
    let net = Sequential::<Layer>::from_modules([Layer::from(Linear::from_weights(
        Tensor::<2>::zeros([2, 5], &dev),
        None,
    ))])
    .unwrap();
    let x = Tensor::<3>::zeros([1, 3, 2], &dev);
    for (q, needle) in [
        (vec![LayerQuant::Weights { bits: 8, group: 2 }], "layer 0"),
        (vec![LayerQuant::Thresholds { bits: 16 }], "layer 0"),
        (vec![LayerQuant::Plain, LayerQuant::Plain], "2 layers"),
    ] {
        let mode = XyloMode::new(q).unwrap();
        let err = mode
            .evolve(&net, x.clone(), net.zero_state(1), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains(needle), "{err}");
    }
    // A recurrent hidden layer trains in Xylo mode; a recurrent read-out layer has no place
    // on the chip.
    let rec = |hidden: bool, readout: bool| {
        NetworkConfig::from_toml_str(
            &format!(
                "[[layers]]\ntype = \"linear\"\nsize_in = 2\nsize_out = 3\n\
                 [[layers]]\ntype = \"lif\"\nn = 3\nhas_rec = {hidden}\n\
                 [[layers]]\ntype = \"linear\"\nsize_in = 3\nsize_out = 1\n\
                 [[layers]]\ntype = \"lif\"\nn = 1\nhas_rec = {readout}\n"
            ),
            "n",
        )
        .unwrap()
    };
    assert!(
        XyloMode::for_network(
            &rec(true, false),
            XyloFamily::Audio2.chip(),
            Quantization::Channel
        )
        .is_ok()
    );
    let err = XyloMode::for_network(
        &rec(false, true),
        XyloFamily::Audio2.chip(),
        Quantization::Channel,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("layer 3") && err.contains("read-out"), "{err}");
}
