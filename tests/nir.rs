//! NIR import and export: the NIR paper's files import and run; the discretisation of a
//! `CubaLIF` matches the closed-form solution of NIR's equations at every step; a network
//! exported and imported again simulates exactly as before.

mod common;

use std::path::PathBuf;

use burn::tensor::{Distribution, Tensor, TensorData};
use common::device;
use rockpool::module::{Evolve, ModuleExt};
use rockpool::nir::{Source, export, import};
use rockpool_nir::{Array, CubaLif, Linear, NirGraph, Node};

/// The NIR paper's files (BSD-3, copied with their licence into rockpool-nir's fixtures).
fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("crates/rockpool-nir/tests/fixtures")
        .join(name)
}

fn a1(v: &[f64]) -> Array {
    Array::F64(ndarray::Array1::from(v.to_vec()).into_dyn())
}

/// One CubaLIF neuron behind a 1×1 weight: an impulse of weight 1 at t = 0 gives NIR's
/// closed form v(t) = R·w_in/(τ_syn − τ_mem)·(e^{−t/τ_syn} − e^{−t/τ_mem}); the imported neuron's
/// membrane at the end of step k equals v((k + 1)·dt) (threshold out of reach, no leak input).
#[test]
fn an_imported_cuba_lif_follows_the_closed_form_of_nirs_equations() {
    let (ts, tm, r, w_in, dt) = (5e-3, 20e-3, 2.5, 0.8, 1e-3);
    let g = NirGraph::new()
        .with_node("in", Node::Input { shape: vec![1] })
        .with_node(
            "w",
            Node::Linear(Linear {
                weight: Array::F64(ndarray::arr2(&[[1.0]]).into_dyn()),
            }),
        )
        .with_node(
            "lif",
            Node::CubaLif(CubaLif {
                tau_syn: a1(&[ts]),
                tau_mem: a1(&[tm]),
                r: a1(&[r]),
                v_leak: a1(&[0.0]),
                v_threshold: a1(&[1e9]),
                v_reset: a1(&[0.0]),
                w_in: a1(&[w_in]),
            }),
        )
        .with_node("out", Node::Output { shape: vec![1] })
        .with_edge("in", "w")
        .with_edge("w", "lif")
        .with_edge("lif", "out");
    let dev = device();
    let net = import(&g, Source::Nir, Some(dt), &dev).unwrap();
    let mut x = vec![0.0f32; 30];
    x[0] = 1.0;
    let input = Tensor::<3>::from_data(TensorData::new(x, [1, 30, 1]), &dev);
    let ev = net.evolve_with(input, net.zero_state(1), true).unwrap();
    let vmem: Vec<f64> = match ev.record.get_node("lif") {
        Some(rockpool::module::Node::Branch(t)) => match t.get_node("vmem") {
            Some(rockpool::module::Node::Leaf(v)) => common::values(v),
            _ => panic!("no vmem"),
        },
        _ => panic!("vmem recorded: {:?}", ev.record),
    };
    for (k, v) in vmem.iter().enumerate() {
        let t = (k + 1) as f64 * dt;
        let want = r * w_in / (ts - tm) * ((-t / ts).exp() - (-t / tm).exp());
        assert!(
            (v - want).abs() <= 1e-5 * want.abs().max(1e-3),
            "step {k}: {v} vs {want}"
        );
    }
}

#[test]
fn the_nir_papers_files_import_and_run() {
    let dev = device();
    for (file, source, size_in, size_out) in [
        ("two_lif_neurons.nir", Source::Nir, 1, 1),
        ("lif_norse.nir", Source::Norse, 1, 1),
        ("lif_rockpool.nir", Source::Rockpool, 1, 1),
        ("braille_noDelay_bias_zero.nir", Source::Snntorch, 12, 7),
        ("cnn_sinabs.nir", Source::Sinabs, 2 * 34 * 34, 10),
    ] {
        let (g, _) = rockpool::nir::read(&sample(file)).unwrap();
        let net = import(&g, source, None, &dev).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(
            (net.size_in(), net.size_out()),
            (size_in, size_out),
            "{file}"
        );
        let x = Tensor::<3>::random([2, 20, size_in], Distribution::Bernoulli(0.3), &dev);
        let ev = net.evolve_with(x, net.zero_state(2), false).unwrap();
        assert_eq!(ev.output.dims(), [2, 20, size_out], "{file}");
    }
    // The Braille network's hidden layer is recurrent (the cycle lif1.lif → lif1.w_rec).
    let g = rockpool_nir::read(sample("braille_noDelay_bias_zero.nir")).unwrap();
    let net = import(&g, Source::Snntorch, None, &dev).unwrap();
    let Some((_, rockpool::nn::Layer::Lif(lif))) = net.iter().find(|(n, _)| *n == "lif1_lif")
    else {
        panic!("{:?}", net.names())
    };
    assert!(lif.w_rec.is_some());
}

/// Linear → recurrent LIF → Linear → LIF, exported to a NIR file and imported back at the
/// stored dt, gives the same spikes and the same membrane potentials.
#[test]
fn an_exported_network_imports_back_to_the_same_simulation() {
    use rockpool::nn::{Layer, LifConfig, LinearConfig, PerNeuron, Sequential};
    let dev = device();
    rockpool::device::seed(&dev, 3);
    let lif = |n, rec| {
        LifConfig {
            tau_mem: PerNeuron::Vector((0..n).map(|i| 0.01 + 0.002 * i as f64).collect()),
            tau_syn: PerNeuron::Scalar(0.005),
            bias: PerNeuron::Scalar(0.01),
            threshold: PerNeuron::Scalar(0.2),
            max_spikes_per_dt: 1.0,
            has_rec: rec,
            ..LifConfig::new(n)
        }
        .init(&dev)
        .unwrap()
    };
    let net: Sequential = Sequential::from_modules([
        Layer::from(LinearConfig::new(6, 8).with_bias(true).init(&dev)),
        Layer::from(lif(8, true)),
        Layer::from(LinearConfig::new(8, 3).init(&dev)),
        Layer::from(lif(3, false)),
    ])
    .unwrap();
    let g = export(&net, 6).unwrap();
    let path = std::env::temp_dir().join(format!("rockpool-nir-{}.nir", std::process::id()));
    rockpool_nir::write(&g, &path).unwrap();
    let back = import(&rockpool_nir::read(&path).unwrap(), Source::Nir, None, &dev).unwrap();
    std::fs::remove_file(&path).ok();
    let x = Tensor::<3>::random([2, 80, 6], Distribution::Bernoulli(0.4), &dev) * 4.0;
    let a = net.evolve_with(x.clone(), net.zero_state(2), true).unwrap();
    let b = back.evolve_with(x, back.zero_state(2), true).unwrap();
    let (sa, sb) = (
        common::vals(a.output.clone()),
        common::vals(b.output.clone()),
    );
    assert_eq!(sa, sb, "the same spikes");
    let hidden = |ev: &rockpool::module::Evolution| match ev.record.get_node("1_LIF_output") {
        Some(rockpool::module::Node::Leaf(t)) => common::values(t),
        _ => panic!("hidden spikes recorded"),
    };
    let (ha, hb) = (hidden(&a), hidden(&b));
    assert_eq!(ha, hb, "the same hidden spikes");
    assert!(ha.iter().sum::<f64>() > 10.0, "the hidden layer spikes");
}
