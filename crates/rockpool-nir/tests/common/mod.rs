//! Shared test helpers: the every-node-type graph of `scripts/make_fixtures.py`, rebuilt in
//! Rust with the same values, and fixture paths.
#![allow(dead_code)]

use std::path::PathBuf;

use ndarray::{ArrayD, IxDyn, arr0, arr1};
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

/// Variants of every field's form: paddings as words and pairs, convolutions with and without
/// `input_shape`, groups, integer weights, batched weights, 0-d and empty parameters, extreme
/// float values, metadata of every kind. `python`: only what Python `nir` 1.0.8 can read and
/// write back (it cannot read a convolution without `input_shape`, nor write a `Flatten`
/// without `input_type` or a list of strings).
pub fn field_variants_graph(python: bool) -> NirGraph {
    use rockpool_nir::Lif;
    let conv2d = |padding, input_shape| {
        Node::Conv2d(Conv2d {
            weight: ramp64(&[4, 1, 3, 2], -1.0),
            stride: [2, 1],
            padding,
            dilation: [1, 2],
            groups: 2,
            bias: ramp64(&[4], 0.0),
            input_shape,
        })
    };
    let conv1d = |padding, input_shape| {
        Node::Conv1d(Conv1d {
            weight: ramp32(&[2, 3, 3], 0.5),
            stride: 2,
            padding,
            dilation: 1,
            groups: 1,
            bias: ramp32(&[2], 0.0),
            input_shape,
        })
    };
    let int_weights =
        Array::I64(ArrayD::from_shape_vec(IxDyn(&[2, 3]), vec![-3, 0, 7, 1, 2, -128]).unwrap());
    let mut g = NirGraph::new()
        .with_node("c2_valid", conv2d(Padding::Valid, Some([9, 9])))
        .with_node("c2_same", conv2d(Padding::Same, python.then_some([4, 4])))
        .with_node("c2_pad", conv2d(Padding::Explicit([0, 3]), Some([5, 7])))
        .with_node("c1_valid", conv1d(Padding::Valid, python.then_some(3)))
        .with_node("c1_pad", conv1d(Padding::Explicit(2), Some(11)))
        .with_node(
            "flat_unknown",
            Node::Flatten(Flatten {
                input_type: python.then(|| vec![2, 3, 4]),
                start_dim: 1,
                end_dim: -1,
            }),
        )
        .with_node(
            "int_linear",
            Node::Linear(Linear {
                weight: int_weights,
            }),
        )
        .with_node(
            "batched",
            Node::Linear(Linear {
                weight: ramp32(&[2, 3, 4], 0.0),
            }),
        )
        .with_node(
            "scalar_lif",
            Node::Lif(Lif {
                tau: Array::from(arr0(0.02_f32)),
                r: Array::from(arr0(1.0_f32)),
                v_leak: Array::from(arr0(0.0_f32)),
                v_threshold: Array::from(arr0(1.0_f32)),
                v_reset: Array::from(arr0(-0.5_f32)),
            }),
        )
        .with_node(
            "empty_lif",
            Node::Lif(Lif {
                tau: Array::F64(ArrayD::zeros(IxDyn(&[0]))),
                r: Array::F64(ArrayD::zeros(IxDyn(&[0]))),
                v_leak: Array::F64(ArrayD::zeros(IxDyn(&[0]))),
                v_threshold: Array::F64(ArrayD::zeros(IxDyn(&[0]))),
                v_reset: Array::F64(ArrayD::zeros(IxDyn(&[0]))),
            }),
        )
        .with_node("in", Node::Input { shape: vec![] })
        // 1.4 MB: written in several chunks.
        .with_node(
            "big",
            Node::Linear(Linear {
                weight: ramp32(&[700, 500], -1000.0),
            }),
        );
    // Values that must survive exactly: extremes, subnormals, signed zero, many digits.
    g = g.with_node(
        "exact",
        Node::Linear(Linear {
            weight: Array::from(ndarray::arr2(&[
                [f64::MAX, f64::MIN_POSITIVE, 5e-324],
                [-0.0, 0.1, 1.0 / 3.0],
            ])),
        }),
    );
    g.metadata.insert("dt".into(), MetaValue::from(1e-3));
    g.metadata
        .insert("name".into(), MetaValue::from("ünïcode ✓"));
    if !python {
        g.metadata.insert(
            "labels".into(),
            MetaValue::Strings(vec!["a".into(), "bb".into(), String::new()]),
        );
    }
    g.metadata.insert(
        "vector".into(),
        MetaValue::from(Array::from(arr1(&[1_i64, -2, 3]))),
    );
    g.metadata.insert("flag".into(), MetaValue::from(true));
    g.metadata.insert(
        "flags".into(),
        MetaValue::Bool(arr1(&[true, false, true]).into_dyn()),
    );
    let mut nested = Metadata::new();
    nested.insert("depth".into(), MetaValue::from(2_i64));
    nested.insert("f32".into(), MetaValue::from(Array::from(arr0(0.5_f32))));
    g.metadata.insert("nested".into(), MetaValue::Map(nested));
    let mut m = Metadata::new();
    m.insert("quantised".into(), MetaValue::from(1_i64));
    g.node_metadata.insert("int_linear".into(), m);

    g
}
