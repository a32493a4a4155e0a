//! Hostile and broken input: clear errors naming the node, field or edge, never a panic.

mod common;

use common::{all_nodes_graph, fixture, scratch};
use hdf5_pure::{FileBuilder, GroupBuilder};
use rockpool_nir::{
    CheckOptions, Lif, NirError, NirGraph, Node, from_bytes, read, to_bytes, write,
};

/// A NIR file with one graph whose nodes are made by `fill` and with `edges`.
fn craft(fill: impl FnOnce(&mut GroupBuilder), edges: &[&str]) -> Vec<u8> {
    let mut file = FileBuilder::new();
    file.create_dataset("version")
        .with_vlen_strings(&["1.0.8"])
        .with_shape(&[]);
    let mut node = file.create_group("node");
    node.create_dataset("type")
        .with_vlen_strings(&["NIRGraph"])
        .with_shape(&[]);
    let mut nodes = node.create_group("nodes");
    fill(&mut nodes);
    node.add_group(nodes.finish());
    node.create_dataset("edges")
        .with_vlen_strings(edges)
        .with_shape(&[(edges.len() / 2) as u64, 2]);
    file.add_group(node.finish());
    file.finish().unwrap()
}

fn lif_group(nodes: &mut GroupBuilder, name: &str, n_tau: usize, n_thr: usize) {
    let mut g = nodes.create_group(name);
    g.create_dataset("type")
        .with_vlen_strings(&["LIF"])
        .with_shape(&[]);
    g.create_dataset("tau").with_f32_data(&vec![0.01; n_tau]);
    g.create_dataset("r").with_f32_data(&vec![1.0; n_tau]);
    g.create_dataset("v_leak").with_f32_data(&vec![0.0; n_tau]);
    g.create_dataset("v_threshold")
        .with_f32_data(&vec![1.0; n_thr]);
    nodes.add_group(g.finish());
}

fn input_group(nodes: &mut GroupBuilder, name: &str, n: i64) {
    let mut g = nodes.create_group(name);
    g.create_dataset("type")
        .with_vlen_strings(&["Input"])
        .with_shape(&[]);
    g.create_dataset("shape").with_i64_data(&[n]);
    nodes.add_group(g.finish());
}

fn error_of(bytes: Vec<u8>) -> String {
    from_bytes(bytes, CheckOptions::default())
        .unwrap_err()
        .to_string()
}

#[test]
fn mismatched_parameter_shapes_name_node_and_fields() {
    let bytes = craft(|n| lif_group(n, "lif1", 3, 4), &[]);
    assert_eq!(
        error_of(bytes),
        "node 'lif1': field 'tau' has shape (3,) but 'v_threshold' has (4,) \
         (all parameters of a LIF node have one shape)"
    );
}

#[test]
fn edge_naming_a_missing_node() {
    let bytes = craft(
        |n| {
            input_group(n, "in", 3);
            lif_group(n, "lif1", 3, 3);
        },
        &["in", "lif1", "lif1", "ghost"],
    );
    let err = error_of(bytes);
    assert!(
        err.starts_with("edge ('lif1', 'ghost'): no node named 'ghost' (nodes: 'in', 'lif1')"),
        "{err}"
    );
}

#[test]
fn edge_joining_mismatched_shapes() {
    let bytes = craft(
        |n| {
            input_group(n, "in", 2);
            lif_group(n, "lif1", 3, 3);
        },
        &["in", "lif1"],
    );
    assert_eq!(
        error_of(bytes.clone()),
        "edge ('in', 'lif1'): 'in' gives shape (2,) but 'lif1' takes (3,)"
    );
    // Python's type_check=False: loads.
    from_bytes(bytes, CheckOptions { edge_shapes: false }).unwrap();
}

#[test]
fn unknown_type_and_unknown_field() {
    let bytes = craft(
        |n| {
            let mut g = n.create_group("weird");
            g.create_dataset("type")
                .with_vlen_strings(&["Izhikevich"])
                .with_shape(&[]);
            n.add_group(g.finish());
        },
        &[],
    );
    let err = error_of(bytes);
    assert!(
        err.starts_with("node 'weird': unknown NIR node type 'Izhikevich' (known: Input, Output,"),
        "{err}"
    );

    let bytes = craft(
        |n| {
            let mut g = n.create_group("lif");
            g.create_dataset("type")
                .with_vlen_strings(&["LI"])
                .with_shape(&[]);
            for f in ["tau", "r", "v_leak", "dt"] {
                g.create_dataset(f).with_f64_data(&[1.0]);
            }
            n.add_group(g.finish());
        },
        &[],
    );
    assert_eq!(
        error_of(bytes),
        "node 'lif': field 'dt' is not a field of LI (fields: tau, r, v_leak)"
    );
}

#[test]
fn missing_and_mistyped_fields() {
    let bytes = craft(
        |n| {
            let mut g = n.create_group("fc");
            g.create_dataset("type")
                .with_vlen_strings(&["Affine"])
                .with_shape(&[]);
            g.create_dataset("weight")
                .with_f32_data(&[1.0; 6])
                .with_shape(&[2, 3]);
            n.add_group(g.finish());
        },
        &[],
    );
    assert_eq!(
        error_of(bytes),
        "node 'fc': field 'bias' is missing (a Affine node needs it)"
    );
    let bytes = craft(
        |n| {
            let mut g = n.create_group("fc");
            g.create_dataset("type")
                .with_vlen_strings(&["Linear"])
                .with_shape(&[]);
            g.create_dataset("weight").with_vlen_strings(&["oops"]);
            n.add_group(g.finish());
        },
        &[],
    );
    let err = error_of(bytes);
    assert!(
        err.starts_with("node 'fc': field 'weight' has type"),
        "{err}"
    );
    let bytes = craft(
        |n| {
            let mut g = n.create_group("in");
            g.create_dataset("type")
                .with_vlen_strings(&["Input"])
                .with_shape(&[]);
            g.create_dataset("shape").with_f64_data(&[2.5]);
            n.add_group(g.finish());
        },
        &[],
    );
    let err = error_of(bytes);
    assert!(err.contains("field 'shape' holds 2.5"), "{err}");
    let bytes = craft(
        |n| {
            let mut g = n.create_group("notype");
            g.create_dataset("r").with_f64_data(&[1.0]);
            n.add_group(g.finish());
        },
        &[],
    );
    assert_eq!(error_of(bytes), "node 'notype': has no 'type' dataset");
}

#[test]
fn not_nir_and_not_hdf5() {
    let dir = scratch("not_nir");
    let path = dir.join("empty.nir");
    std::fs::write(&path, b"").unwrap();
    let err = read(&path).unwrap_err().to_string();
    assert!(
        err.contains("empty.nir") && err.contains("not a readable HDF5 file"),
        "{err}"
    );
    std::fs::write(&path, b"this is a text file, not HDF5").unwrap();
    assert!(
        read(&path)
            .unwrap_err()
            .to_string()
            .contains("not a readable HDF5 file")
    );

    let mut file = FileBuilder::new();
    file.create_dataset("x").with_f64_data(&[1.0]);
    let err = error_of(file.finish().unwrap());
    assert_eq!(err, "/: has no group 'node' (not a NIR file)");

    let err = read(dir.join("missing.nir")).unwrap_err();
    assert!(matches!(err, NirError::Io(_)), "{err:?}");
    assert!(err.to_string().contains("missing.nir"));
}

#[test]
fn truncated_files_are_errors_not_panics() {
    for name in ["braille_noDelay_bias_zero.nir", "python_all_nodes.nir"] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let mut cuts: Vec<usize> = (0..bytes.len()).step_by(97).collect();
        cuts.extend([1, 7, 8, 9, bytes.len() / 2, bytes.len() - 1]);
        for cut in cuts {
            let result = std::panic::catch_unwind(|| {
                from_bytes(bytes[..cut].to_vec(), CheckOptions::default())
            });
            let result = result.unwrap_or_else(|_| panic!("{name} cut at {cut} panicked"));
            // A cut after all the data the reader needs may still parse; it must then be the
            // whole graph.
            if let Ok(g) = result {
                assert_eq!(g, read(fixture(name)).unwrap(), "{name} cut at {cut}");
            }
        }
        let path = scratch("truncated").join(name);
        std::fs::write(&path, &bytes[..bytes.len() / 3]).unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(err.starts_with(&path.display().to_string()), "{err}");
    }
}

#[test]
fn corrupted_bytes_are_errors_not_panics() {
    let bytes = std::fs::read(fixture("python_all_nodes.nir")).unwrap();
    // Flip bytes across the file, one at a time (a cheap deterministic fuzz).
    for i in (0..bytes.len()).step_by(61) {
        let mut b = bytes.clone();
        b[i] ^= 0xA5;
        let r = std::panic::catch_unwind(|| from_bytes(b, CheckOptions::default()));
        assert!(r.is_ok(), "byte {i} flipped: panicked");
    }
}

#[test]
fn writer_refuses_what_the_reader_would() {
    let bad = NirGraph::new().with_node(
        "lif1",
        Node::Lif(Lif {
            tau: common::ramp32(&[3], 0.1),
            r: common::ramp32(&[3], 1.0),
            v_leak: common::ramp32(&[3], 0.0),
            v_threshold: common::ramp32(&[4], 1.0),
            v_reset: common::ramp32(&[3], 0.0),
        }),
    );
    let dir = scratch("writer_refuses");
    let path = dir.join("bad.nir");
    let err = write(&bad, &path).unwrap_err().to_string();
    assert!(
        err.contains("node 'lif1': field 'tau' has shape (3,) but 'v_threshold' has (4,)"),
        "{err}"
    );
    assert!(!path.exists(), "nothing is written");

    let g = all_nodes_graph().with_edge("sub", "nowhere");
    assert!(
        to_bytes(&g, CheckOptions::default())
            .unwrap_err()
            .to_string()
            .contains("no node named 'nowhere'")
    );
    let g = NirGraph::new().with_node("a/b", Node::Input { shape: vec![1] });
    assert!(
        to_bytes(&g, CheckOptions::default())
            .unwrap_err()
            .to_string()
            .contains("not a valid node name")
    );
}

#[test]
fn hard_link_cycles_end_with_an_error() {
    // Python nir 1.0.8 dies of RecursionError on this file.
    let start = std::time::Instant::now();
    let err = read(fixture("hostile_cycle.nir")).unwrap_err().to_string();
    assert!(
        err.contains("nested deeper than") || err.contains("a cycle of hard links"),
        "{err}"
    );
    println!("{err} ({:?})", start.elapsed());
}
