//! write → read gives the same graph, for every node type and the variants of their fields.

mod common;

use common::{all_nodes_graph, fixture, ramp32, ramp64, scratch};
use ndarray::{ArrayD, IxDyn, arr0, arr1};
use rockpool_nir::{
    Array, Conv1d, Conv2d, Dtype, Flatten, Lif, Linear, MetaValue, Metadata, NirGraph, Node,
    Padding, read, read_version, write,
};

fn round_trip(graph: &NirGraph, name: &str) -> NirGraph {
    let path = scratch(name).join("graph.nir");
    write(graph, &path).unwrap();
    let back = read(&path).unwrap();
    assert_eq!(&back, graph, "round trip of {name}");
    assert_eq!(read_version(&path).unwrap(), rockpool_nir::NIR_VERSION);
    back
}

#[test]
fn every_node_type() {
    let g = all_nodes_graph();
    let types: std::collections::BTreeSet<&str> = g.nodes.values().map(Node::type_name).collect();
    // 18 leaf types + NIRGraph: all of NODE_TYPES.
    assert_eq!(types.len(), rockpool_nir::NODE_TYPES.len());
    round_trip(&g, "every_node_type");
}

#[test]
fn field_variants() {
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
        .with_node("c2_same", conv2d(Padding::Same, None))
        .with_node("c2_pad", conv2d(Padding::Explicit([0, 3]), Some([5, 7])))
        .with_node("c1_valid", conv1d(Padding::Valid, None))
        .with_node("c1_pad", conv1d(Padding::Explicit(2), Some(11)))
        .with_node(
            "flat_unknown",
            Node::Flatten(Flatten {
                input_type: None,
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
        .with_node("in", Node::Input { shape: vec![] });
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
    g.metadata.insert(
        "labels".into(),
        MetaValue::Strings(vec!["a".into(), "bb".into(), String::new()]),
    );
    g.metadata.insert(
        "vector".into(),
        MetaValue::from(Array::from(arr1(&[1_i64, -2, 3]))),
    );
    let mut nested = Metadata::new();
    nested.insert("depth".into(), MetaValue::from(2_i64));
    nested.insert("f32".into(), MetaValue::from(Array::from(arr0(0.5_f32))));
    g.metadata.insert("nested".into(), MetaValue::Map(nested));
    let mut m = Metadata::new();
    m.insert("quantised".into(), MetaValue::from(1_i64));
    g.node_metadata.insert("int_linear".into(), m);

    let back = round_trip(&g, "field_variants");
    let Node::Linear(l) = &back.nodes["int_linear"] else {
        panic!()
    };
    assert_eq!(l.weight.dtype(), Dtype::I64);
    let Node::Linear(e) = &back.nodes["exact"] else {
        panic!()
    };
    assert!(e.weight.to_f64()[[1, 0]].is_sign_negative());
}

#[test]
fn nested_subgraphs_with_dotted_edges() {
    let inner = NirGraph::new()
        .with_node("in", Node::Input { shape: vec![3] })
        .with_node(
            "w",
            Node::Linear(Linear {
                weight: ramp64(&[3, 3], 0.0),
            }),
        )
        .with_node("out", Node::Output { shape: vec![3] })
        .with_edge("in", "w")
        .with_edge("w", "out");
    let middle = NirGraph::new()
        .with_node("inner", Node::Graph(inner))
        .with_edge("inner.w", "inner.w");
    let g = NirGraph::new()
        .with_node("input", Node::Input { shape: vec![3] })
        .with_node("middle", Node::Graph(middle))
        .with_node("output", Node::Output { shape: vec![3] })
        .with_edge("input", "middle.inner.w")
        .with_edge("middle.inner.w", "output");
    round_trip(&g, "nested");
}

#[test]
fn empty_graph_and_no_edges() {
    round_trip(&NirGraph::new(), "empty");
    let g = NirGraph::new().with_node("in", Node::Input { shape: vec![4] });
    round_trip(&g, "no_edges");
}

#[test]
fn paper_files_survive_a_rewrite() {
    for name in [
        "braille_noDelay_bias_zero.nir",
        "lif_norse.nir",
        "two_lif_neurons.nir",
    ] {
        let g = read(fixture(name)).unwrap();
        round_trip(&g, name);
    }
}

#[test]
fn write_is_atomic_and_replaces() {
    let dir = scratch("atomic");
    let path = dir.join("g.nir");
    std::fs::write(&path, b"old content").unwrap();
    write(&all_nodes_graph(), &path).unwrap();
    assert_eq!(read(&path).unwrap(), all_nodes_graph());
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "g.nir")
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}
