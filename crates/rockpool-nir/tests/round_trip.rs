//! write → read gives the same graph, for every node type and the variants of their fields.

mod common;

use common::{all_nodes_graph, field_variants_graph, fixture, ramp64, scratch};
use rockpool_nir::{Dtype, Linear, NirGraph, Node, read, read_version, write};

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
    let g = field_variants_graph(false);
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
        "cnn_sinabs.nir",
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

#[test]
fn graphs_with_mismatched_edges_round_trip_when_asked() {
    let relaxed = rockpool_nir::CheckOptions { edge_shapes: false };
    let path = fixture("lif_rockpool.nir");
    let g = rockpool_nir::read_with_options(&path, relaxed).unwrap();
    let out = scratch("relaxed").join("lif_rockpool.nir");
    assert!(write(&g, &out).is_err(), "the default check refuses it");
    rockpool_nir::write_with_options(&g, &out, relaxed).unwrap();
    assert_eq!(rockpool_nir::read_with_options(&out, relaxed).unwrap(), g);
}
