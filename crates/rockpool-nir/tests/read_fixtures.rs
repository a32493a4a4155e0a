//! Reading real files: the NIR paper's three sample files (expected values read independently
//! with h5py and hard-coded), a file of every node type written by Python `nir` 1.0.8 (gzip),
//! and an old-style file (fixed-length strings, uncompressed, no `v_reset`/`w_in`).

mod common;

use common::{all_nodes_graph, fixture, ramp32, ramp64};
use rockpool_nir::{Array, Dtype, Node, read, read_version};

/// Element `index` of a node's field, as f64 (exact for float32 and float64 data).
fn value(node: &Node, field: &str, index: &[usize]) -> f64 {
    let (_, a) = node
        .arrays()
        .into_iter()
        .find(|(f, _)| *f == field)
        .unwrap_or_else(|| panic!("no field {field}"));
    a.to_f64()[index]
}

fn dtype(node: &Node, field: &str) -> Dtype {
    node.arrays()
        .into_iter()
        .find(|(f, _)| *f == field)
        .unwrap()
        .1
        .dtype()
}

#[test]
fn braille_paper_file() {
    let path = fixture("braille_noDelay_bias_zero.nir");
    assert_eq!(read_version(&path).unwrap(), "0.2.0");
    let g = read(&path).unwrap();
    let kinds: Vec<(&str, &str)> = g
        .nodes
        .iter()
        .map(|(n, node)| (n.as_str(), node.type_name()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("fc1", "Affine"),
            ("fc2", "Affine"),
            ("input", "Input"),
            ("lif1.lif", "CubaLIF"),
            ("lif1.w_rec", "Affine"),
            ("lif2", "CubaLIF"),
            ("output", "Output"),
        ]
    );
    assert_eq!(g.edges.len(), 7);
    assert_eq!(g.edges[0], ("lif1.w_rec".into(), "lif1.lif".into()));
    assert_eq!(g.edges[6], ("lif1.lif".into(), "fc2".into()));

    let fc1 = &g.nodes["fc1"];
    assert_eq!(fc1.input_shape(), Some(vec![12]));
    assert_eq!(fc1.output_shape(), Some(vec![38]));
    assert_eq!(dtype(fc1, "weight"), Dtype::F32);
    assert_eq!(value(fc1, "weight", &[0, 0]), -1.338_063_597_679_138_2);
    assert_eq!(
        value(fc1, "weight", &[37, 11]),
        -0.000_583_322_253_078_222_3
    );
    assert_eq!(value(fc1, "bias", &[0]), -0.066_604_666_411_876_68);
    assert_eq!(
        value(&g.nodes["lif1.w_rec"], "weight", &[1, 2]),
        -0.925_179_064_273_834_2
    );
    assert_eq!(
        value(&g.nodes["fc2"], "bias", &[6]),
        0.315_714_657_306_671_14
    );

    let lif1 = &g.nodes["lif1.lif"];
    assert!(matches!(lif1, Node::CubaLif(_)));
    assert_eq!(lif1.input_shape(), Some(vec![38]));
    assert_eq!(dtype(lif1, "tau_mem"), Dtype::F64);
    assert_eq!(value(lif1, "tau_mem", &[0]), 0.000_999_999_761_581_477_7);
    assert_eq!(value(lif1, "w_in", &[5]), 2.222_222_281_091_008_6);
    // No v_reset in a 0.2.0 file: zeros of v_threshold's shape and dtype.
    let Node::CubaLif(c) = lif1 else {
        unreachable!()
    };
    assert_eq!(c.v_reset, c.v_threshold.full_like(0.0));
    assert_eq!(c.v_reset.dtype(), Dtype::F64);

    let lif2 = &g.nodes["lif2"];
    assert_eq!(lif2.output_shape(), Some(vec![7]));
    assert_eq!(value(lif2, "tau_syn", &[3]), 0.0002);
    assert_eq!(g.nodes["output"], Node::Output { shape: vec![7] });
    assert!(g.metadata.is_empty());
}

#[test]
fn lif_norse_paper_file() {
    let path = fixture("lif_norse.nir");
    assert_eq!(read_version(&path).unwrap(), "0.1.1");
    let g = read(&path).unwrap();
    assert_eq!(g.nodes.len(), 4);
    assert_eq!(g.nodes["0"].type_name(), "Affine");
    assert_eq!(g.nodes["1"].type_name(), "LIF");
    assert_eq!(g.nodes["input"], Node::Input { shape: vec![1] });
    assert_eq!(
        g.edges,
        [("input", "0"), ("0", "1"), ("1", "output")].map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    let lif = &g.nodes["1"];
    assert_eq!(dtype(lif, "tau"), Dtype::F32);
    assert_eq!(value(lif, "tau", &[0]), 0.002_499_999_944_120_645_5);
    assert_eq!(value(lif, "v_threshold", &[0]), 0.100_000_001_490_116_12);
    assert_eq!(value(lif, "r", &[0]), 1.0);
    assert_eq!(value(&g.nodes["0"], "weight", &[0, 0]), 1.0);
    let Node::Lif(l) = lif else { unreachable!() };
    assert_eq!(l.v_reset, Array::from(ndarray::arr1(&[0.0_f32])));
}

#[test]
fn two_lif_neurons_paper_file() {
    let g = read(fixture("two_lif_neurons.nir")).unwrap();
    let kinds: Vec<&str> = g.nodes.values().map(Node::type_name).collect();
    assert_eq!(kinds, ["Input", "LIF", "LIF", "Linear", "Linear", "Output"]);
    assert_eq!(g.edges.len(), 5);
    assert_eq!(g.edges[0], ("in".into(), "linear1".into()));
    assert_eq!(dtype(&g.nodes["lif1"], "v_leak"), Dtype::F64);
    assert_eq!(value(&g.nodes["lif1"], "v_leak", &[0]), 1.2);
    assert_eq!(value(&g.nodes["lif1"], "tau", &[0]), 0.01);
    assert_eq!(value(&g.nodes["lif2"], "v_threshold", &[0]), 20.0);
    assert_eq!(value(&g.nodes["linear2"], "weight", &[0, 0]), 1.0);
}

#[test]
fn every_node_type_written_by_python_nir() {
    let path = fixture("python_all_nodes.nir");
    assert_eq!(read_version(&path).unwrap(), "1.0.8");
    let g = read(&path).unwrap();
    let expected = all_nodes_graph();
    for (name, node) in &expected.nodes {
        assert_eq!(g.nodes.get(name), Some(node), "node {name}");
    }
    assert_eq!(g, expected);
    assert_eq!(g.metadata["dt"].as_f64(), Some(1e-4));
    assert_eq!(g.node_metadata["lif"]["reset"].as_str(), Some("subtract"));
    // Shapes inferred along the chain, as Python infers them.
    assert_eq!(g.nodes["conv2d"].output_shape(), Some(vec![4, 8, 8]));
    assert_eq!(g.nodes["conv1d"].output_shape(), Some(vec![2, 10]));
}

#[test]
fn old_style_file_fixed_strings_no_defaults() {
    let g = read(fixture("old_style.nir")).unwrap();
    assert_eq!(read_version(fixture("old_style.nir")).unwrap(), "0.2.0");
    let Node::Lif(lif) = &g.nodes["lif"] else {
        panic!("lif is {:?}", g.nodes["lif"])
    };
    assert_eq!(lif.tau, ramp32(&[3], 0.25));
    assert_eq!(lif.v_reset, ramp32(&[3], 0.0).full_like(0.0));
    let Node::CubaLif(cuba) = &g.nodes["cuba"] else {
        panic!()
    };
    assert_eq!(cuba.w_in, ramp64(&[3], 1.0).full_like(1.0));
    assert_eq!(cuba.v_reset, ramp64(&[3], 0.0).full_like(0.0));
    assert_eq!(g.edges.len(), 4);
}

#[test]
fn cnn_sinabs_paper_file() {
    let g = read(fixture("cnn_sinabs.nir")).unwrap();
    assert_eq!(g.nodes.len(), 15);
    assert_eq!(g.edges.len(), 14);
    let kinds: Vec<(&str, &str)> = ["0", "1", "4", "8", "9", "12"]
        .iter()
        .map(|n| (*n, g.nodes[*n].type_name()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("0", "Conv2d"),
            ("1", "IF"),
            ("4", "SumPool2d"),
            ("8", "Flatten"),
            ("9", "Affine"),
            ("12", "IF")
        ]
    );
    let Node::Conv2d(c) = &g.nodes["0"] else {
        panic!()
    };
    assert_eq!(c.weight.shape(), &[16, 2, 5, 5]);
    assert_eq!(c.stride, [2, 2]);
    assert_eq!(c.padding, rockpool_nir::Padding::Explicit([1, 1]));
    assert_eq!(c.input_shape, Some([34, 34]));
    assert_eq!(
        value(&g.nodes["0"], "weight", &[0, 0, 0, 0]),
        -0.257_342_189_550_399_8
    );
    assert_eq!(
        value(&g.nodes["0"], "weight", &[15, 1, 4, 4]),
        0.109_717_860_817_909_24
    );
    assert_eq!(
        value(&g.nodes["11"], "weight", &[9, 255]),
        -0.334_356_367_588_043_2
    );
    assert_eq!(
        value(&g.nodes["9"], "weight", &[0, 0]),
        -0.017_097_016_796_469_69
    );
    // Shapes along the chain: [2,34,34] → conv(5×5, s2, p1) → [16,16,16] → … → pool → [8,4,4].
    assert_eq!(g.nodes["0"].output_shape(), Some(vec![16, 16, 16]));
    assert_eq!(g.nodes["1"].input_shape(), Some(vec![16, 16, 16]));
    assert_eq!(g.nodes["5"].output_shape(), Some(vec![8, 8, 8]));
    assert_eq!(g.nodes["8"].input_shape(), Some(vec![8, 4, 4]));
    assert_eq!(g.nodes["8"].output_shape(), Some(vec![128]));
    let Node::If(neuron) = &g.nodes["1"] else {
        panic!()
    };
    assert_eq!(neuron.v_reset, neuron.v_threshold.full_like(0.0));
}

#[test]
fn lif_rockpool_paper_file_needs_the_edge_check_off() {
    let path = fixture("lif_rockpool.nir");
    let err = read(&path).unwrap_err().to_string();
    assert!(
        err.ends_with(
            "edge ('1_LIFNeuronTorch', 'output'): '1_LIFNeuronTorch' gives shape (1,) but \
             'output' takes (1, 1, 1)"
        ),
        "{err}"
    );
    let g =
        rockpool_nir::read_with_options(&path, rockpool_nir::CheckOptions { edge_shapes: false })
            .unwrap();
    assert_eq!(
        value(&g.nodes["1_LIFNeuronTorch"], "r", &[0]),
        24.019_737_243_652_344
    );
    assert_eq!(
        value(&g.nodes["0_LinearTorch"], "weight", &[0, 0]),
        0.039_999_999_105_930_33
    );
}

#[test]
fn braille_subgraph_paper_file_names_a_missing_inner_node() {
    let err = read(fixture("braille_noDelay_bias_zero_subgraph.nir"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("edge ('input', 'lif') of 'lif1': no node named 'lif' (nodes: 'input', 'lif1', 'lin', 'output')"),
        "{err}"
    );
}
