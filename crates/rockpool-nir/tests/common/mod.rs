//! Shared test helpers: the every-node-type graph of `scripts/make_fixtures.py`, rebuilt in
//! Rust with the same values, and fixture paths.
#![allow(dead_code)]

use std::path::PathBuf;

use ndarray::{ArrayD, IxDyn};
use rockpool_nir::{
    Affine, Array, Conv1d, Conv2d, CubaLi, CubaLif, Delay, Flatten, IntegrateAndFire, Integrator,
    LeakyIntegrator, Lif, Linear, MetaValue, Metadata, NirGraph, Node, Padding, Pool2d, Scale,
    Threshold,
};

/// A fixture file's path.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A fresh scratch directory for one test.
pub fn scratch(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("rockpool-nir-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `start, start + 0.25, …` in row-major order, as float32 (`ramp` in make_fixtures.py).
pub fn ramp32(shape: &[usize], start: f32) -> Array {
    let n: usize = shape.iter().product();
    #[allow(clippy::cast_precision_loss)]
    let v: Vec<f32> = (0..n).map(|i| start + 0.25 * i as f32).collect();
    Array::F32(ArrayD::from_shape_vec(IxDyn(shape), v).unwrap())
}

/// As [`ramp32`], float64.
pub fn ramp64(shape: &[usize], start: f64) -> Array {
    let n: usize = shape.iter().product();
    #[allow(clippy::cast_precision_loss)]
    let v: Vec<f64> = (0..n).map(|i| start + 0.25 * i as f64).collect();
    Array::F64(ArrayD::from_shape_vec(IxDyn(shape), v).unwrap())
}

/// The graph `make_fixtures.py` writes as `python_all_nodes.nir`: every node type.
pub fn all_nodes_graph() -> NirGraph {
    let n = 6;
    let mut sub = NirGraph::new()
        .with_node("in", Node::Input { shape: vec![n] })
        .with_node(
            "lif",
            Node::Lif(Lif {
                tau: ramp32(&[n], 0.25),
                r: ramp32(&[n], 1.0),
                v_leak: ramp32(&[n], 0.0),
                v_threshold: ramp32(&[n], 1.0),
                v_reset: ramp32(&[n], 0.0).full_like(0.0),
            }),
        )
        .with_node("out", Node::Output { shape: vec![n] })
        .with_edge("in", "lif")
        .with_edge("lif", "out");
    sub.metadata
        .insert("role".into(), MetaValue::from("recurrent block"));

    let mut g = NirGraph::new()
        .with_node(
            "input",
            Node::Input {
                shape: vec![2, 8, 8],
            },
        )
        .with_node(
            "conv2d",
            Node::Conv2d(Conv2d {
                weight: ramp32(&[4, 2, 3, 3], 0.0),
                stride: [1, 1],
                padding: Padding::Explicit([1, 1]),
                dilation: [1, 1],
                groups: 1,
                bias: ramp32(&[4], -1.0),
                input_shape: Some([8, 8]),
            }),
        )
        .with_node(
            "sumpool",
            Node::SumPool2d(Pool2d {
                kernel_size: [2, 2],
                stride: [2, 2],
                padding: [0, 0],
            }),
        )
        .with_node(
            "avgpool",
            Node::AvgPool2d(Pool2d {
                kernel_size: [1, 1],
                stride: [1, 1],
                padding: [0, 0],
            }),
        )
        .with_node(
            "flatten",
            Node::Flatten(Flatten {
                input_type: Some(vec![4, 4, 4]),
                start_dim: 0,
                end_dim: -1,
            }),
        )
        .with_node(
            "affine",
            Node::Affine(Affine {
                weight: ramp32(&[n, 64], 0.0),
                bias: ramp32(&[n], -0.5),
            }),
        )
        .with_node(
            "lif",
            Node::Lif(Lif {
                tau: ramp64(&[n], 0.25),
                r: ramp64(&[n], 1.0),
                v_leak: ramp64(&[n], -0.25),
                v_threshold: ramp64(&[n], 1.0),
                v_reset: ramp64(&[n], -1.0),
            }),
        )
        .with_node(
            "linear",
            Node::Linear(Linear {
                weight: ramp64(&[n, n], 0.0),
            }),
        )
        .with_node(
            "cubalif",
            Node::CubaLif(CubaLif {
                tau_syn: ramp32(&[n], 0.5),
                tau_mem: ramp32(&[n], 0.75),
                r: ramp32(&[n], 1.0),
                v_leak: ramp32(&[n], 0.0),
                v_threshold: ramp32(&[n], 2.0),
                v_reset: ramp32(&[n], 0.0),
                w_in: ramp32(&[n], 3.0),
            }),
        )
        .with_node(
            "scale",
            Node::Scale(Scale {
                scale: ramp32(&[n], 0.5),
            }),
        )
        .with_node(
            "threshold",
            Node::Threshold(Threshold {
                threshold: ramp32(&[n], 0.25),
            }),
        )
        .with_node(
            "delay",
            Node::Delay(Delay {
                delay: ramp64(&[n], 0.25),
            }),
        )
        .with_node(
            "i",
            Node::I(Integrator {
                r: ramp32(&[n], 1.0),
            }),
        )
        .with_node(
            "if",
            Node::If(IntegrateAndFire {
                r: ramp32(&[n], 1.0),
                v_threshold: ramp32(&[n], 1.0),
                v_reset: ramp32(&[n], 0.0),
            }),
        )
        .with_node(
            "li",
            Node::Li(LeakyIntegrator {
                tau: ramp32(&[n], 0.25),
                r: ramp32(&[n], 1.0),
                v_leak: ramp32(&[n], 0.0),
            }),
        )
        .with_node(
            "cubali",
            Node::CubaLi(CubaLi {
                tau_syn: ramp32(&[n], 0.25),
                tau_mem: ramp32(&[n], 0.5),
                r: ramp32(&[n], 1.0),
                v_leak: ramp32(&[n], 0.0),
                w_in: ramp32(&[n], 1.0),
            }),
        )
        .with_node("sub", Node::Graph(sub))
        .with_node("output", Node::Output { shape: vec![n] })
        .with_node("input1d", Node::Input { shape: vec![3, 10] })
        .with_node(
            "conv1d",
            Node::Conv1d(Conv1d {
                weight: ramp64(&[2, 3, 3], 0.0),
                stride: 1,
                padding: Padding::Same,
                dilation: 1,
                groups: 1,
                bias: ramp64(&[2], 0.0),
                input_shape: Some(10),
            }),
        )
        .with_node("output1d", Node::Output { shape: vec![2, 10] });
    let chain = [
        "input",
        "conv2d",
        "sumpool",
        "avgpool",
        "flatten",
        "affine",
        "lif",
        "linear",
        "cubalif",
        "scale",
        "threshold",
        "delay",
        "i",
        "if",
        "li",
        "cubali",
        "sub",
        "output",
    ];
    for pair in chain.windows(2) {
        g = g.with_edge(pair[0], pair[1]);
    }
    g = g
        .with_edge("input1d", "conv1d")
        .with_edge("conv1d", "output1d");
    g.metadata.insert("dt".into(), MetaValue::from(1e-4));
    g.metadata.insert(
        "exporter".into(),
        MetaValue::from("nir 1.0.8 (make_fixtures.py)"),
    );
    g.metadata.insert("steps".into(), MetaValue::from(3_i64));
    let mut lif_meta = Metadata::new();
    lif_meta.insert("reset".into(), MetaValue::from("subtract"));
    g.node_metadata.insert("lif".into(), lif_meta);
    g
}
