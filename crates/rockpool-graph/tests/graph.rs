//! Hand-built graphs. The expected discovery orders and node lists are those Rockpool 3.1.0's
//! `bag_graph` / `connect_modules` / `find_recurrent_modules` give for the same graphs built
//! with `rockpool.graph` (observed by running the installed package).

use ndarray::{Array1, Array2};
use rockpool_graph::{
    Graph, GraphError, LifNeurons, ModuleId, ModuleKind, NodeId, RateNeurons, SubGraph,
};

fn w(g: &mut Graph, name: &str, n_in: usize, n_out: usize) -> SubGraph {
    g.linear(name, Array2::ones((n_in, n_out)), None).unwrap()
}

fn n(g: &mut Graph, name: &str, size: usize) -> SubGraph {
    g.lif(name, LifNeurons::new(size, 1)).unwrap()
}

fn c(g: &mut Graph, a: &SubGraph, b: &SubGraph) {
    g.connect(&a.outputs, &b.inputs).unwrap();
}

fn names(g: &Graph, ids: impl IntoIterator<Item = ModuleId>) -> Vec<String> {
    ids.into_iter()
        .map(|m| g.module(m).name().to_string())
        .collect()
}

fn order(g: &Graph) -> Vec<String> {
    names(g, g.modules_in_discovery_order())
}

fn module_named(g: &Graph, name: &str) -> ModuleId {
    g.modules().find(|(_, m)| m.name() == name).unwrap().0
}

#[test]
fn shared_inputs_are_walked_depth_first() {
    // Rockpool: ['Wa', 'Wb', 'Nb', 'Na'].
    let mut g = Graph::new("g");
    let wa = w(&mut g, "Wa", 2, 2);
    let outs = g.add_nodes(2);
    let kind = ModuleKind::LinearWeights(rockpool_graph::LinearWeights::new(Array2::ones((2, 2))));
    g.add_module("Wb", kind, &wa.inputs, &outs).unwrap();
    let na = n(&mut g, "Na", 2);
    let nb = n(&mut g, "Nb", 2);
    c(&mut g, &wa, &na);
    g.connect(&outs, &nb.inputs).unwrap();
    g.set_inputs(&wa.inputs).unwrap();
    g.set_outputs(&[na.outputs.clone(), nb.outputs.clone()].concat())
        .unwrap();
    assert_eq!(order(&g), ["Wa", "Wb", "Nb", "Na"]);
}

#[test]
fn branches_follow_sink_order() {
    // Rockpool: ['W1', 'N1', 'W2', 'W3', 'N3', 'N2'].
    let mut g = Graph::new("g");
    let (w1, n1, w2, n2, w3, n3) = (
        w(&mut g, "W1", 2, 2),
        n(&mut g, "N1", 2),
        w(&mut g, "W2", 2, 2),
        n(&mut g, "N2", 2),
        w(&mut g, "W3", 2, 2),
        n(&mut g, "N3", 2),
    );
    c(&mut g, &w1, &n1);
    c(&mut g, &n1, &w2);
    c(&mut g, &w2, &n2);
    c(&mut g, &n1, &w3);
    c(&mut g, &w3, &n3);
    g.set_inputs(&w1.inputs).unwrap();
    g.set_outputs(&[n2.outputs.clone(), n3.outputs.clone()].concat())
        .unwrap();
    assert_eq!(order(&g), ["W1", "N1", "W2", "W3", "N3", "N2"]);
    assert_eq!(
        names(&g, g.output_neuron_modules()),
        ["N3", "N2"],
        "output neurons come in discovery order, not in output-node order"
    );
    assert_eq!(names(&g, g.hidden_neuron_modules()), ["N1"]);
}

#[test]
fn merges_keep_rockpools_source_and_sink_order() {
    // Recurrent weights connected last: Rockpool gives N1's input nodes the sources
    // [Wr, W1] and discovers ['W1', 'Wr', 'N1', 'W2', 'N2'].
    let mut g = Graph::new("g");
    let (w1, n1, wr, w2, n2) = (
        w(&mut g, "W1", 2, 2),
        n(&mut g, "N1", 2),
        w(&mut g, "Wr", 2, 2),
        w(&mut g, "W2", 2, 2),
        n(&mut g, "N2", 2),
    );
    c(&mut g, &w1, &n1);
    c(&mut g, &n1, &w2);
    c(&mut g, &w2, &n2);
    c(&mut g, &n1, &wr);
    c(&mut g, &wr, &n1);
    g.set_inputs(&w1.inputs).unwrap();
    g.set_outputs(&n2.outputs).unwrap();
    assert_eq!(order(&g), ["W1", "Wr", "N1", "W2", "N2"]);
    assert_eq!(names(&g, g.sources(n1.inputs[0]).to_vec()), ["Wr", "W1"]);
    assert_eq!(names(&g, g.sinks(n1.outputs[0]).to_vec()), ["W2", "Wr"]);
    assert_eq!(names(&g, g.find_recurrent_modules()), ["Wr", "N1"]);

    // Recurrent weights connected first: sources [W1, Wr], sinks [Wr, W2].
    let mut g = Graph::new("g");
    let (w1, n1, wr, w2, n2) = (
        w(&mut g, "W1", 2, 2),
        n(&mut g, "N1", 2),
        w(&mut g, "Wr", 2, 2),
        w(&mut g, "W2", 2, 2),
        n(&mut g, "N2", 2),
    );
    c(&mut g, &n1, &wr);
    c(&mut g, &wr, &n1);
    c(&mut g, &w1, &n1);
    c(&mut g, &n1, &w2);
    c(&mut g, &w2, &n2);
    g.set_inputs(&w1.inputs).unwrap();
    g.set_outputs(&n2.outputs).unwrap();
    assert_eq!(order(&g), ["W1", "Wr", "N1", "W2", "N2"]);
    assert_eq!(names(&g, g.sources(n1.inputs[1]).to_vec()), ["W1", "Wr"]);
    assert_eq!(names(&g, g.sinks(n1.outputs[1]).to_vec()), ["Wr", "W2"]);
    // Merged-away ids resolve to the surviving node.
    assert_eq!(
        g.resolve(wr.outputs[0]).unwrap(),
        g.resolve(n1.inputs[0]).unwrap()
    );
    assert_eq!(
        g.module(module_named(&g, "N1")).inputs(),
        &g.resolve_all(&w1.outputs).unwrap()[..]
    );
}

#[test]
fn node_level_branches_and_upstream_walks() {
    // N1's output 0 -> Wa -> Na, output 1 -> Wb -> Nb: Rockpool ['W1','N1','Wa','Na','Wb','Nb'].
    let mut g = Graph::new("g");
    let (w1, n1, wa, na, wb, nb) = (
        w(&mut g, "W1", 2, 2),
        n(&mut g, "N1", 2),
        w(&mut g, "Wa", 1, 1),
        n(&mut g, "Na", 1),
        w(&mut g, "Wb", 1, 1),
        n(&mut g, "Nb", 1),
    );
    c(&mut g, &w1, &n1);
    g.connect(&n1.outputs[..1], &wa.inputs).unwrap();
    g.connect(&n1.outputs[1..], &wb.inputs).unwrap();
    c(&mut g, &wa, &na);
    c(&mut g, &wb, &nb);
    g.set_inputs(&w1.inputs).unwrap();
    g.set_outputs(&[na.outputs.clone(), nb.outputs.clone()].concat())
        .unwrap();
    assert_eq!(order(&g), ["W1", "N1", "Wa", "Na", "Wb", "Nb"]);

    // Separate input paths: ['Wa', 'Na', 'Wb', 'Nb'].
    let mut g = Graph::new("g");
    let (wa, na, wb, nb) = (
        w(&mut g, "Wa", 1, 1),
        n(&mut g, "Na", 1),
        w(&mut g, "Wb", 1, 1),
        n(&mut g, "Nb", 1),
    );
    c(&mut g, &wa, &na);
    c(&mut g, &wb, &nb);
    g.set_inputs(&[wa.inputs.clone(), wb.inputs.clone()].concat())
        .unwrap();
    g.set_outputs(&[na.outputs.clone(), nb.outputs.clone()].concat())
        .unwrap();
    assert_eq!(order(&g), ["Wa", "Na", "Wb", "Nb"]);

    // A module reachable only upstream is found through the sources: ['W1','Wx','Ny','N1'].
    let mut g = Graph::new("g");
    let (w1, n1, wx, ny) = (
        w(&mut g, "W1", 1, 1),
        n(&mut g, "N1", 1),
        w(&mut g, "Wx", 1, 1),
        n(&mut g, "Ny", 1),
    );
    c(&mut g, &w1, &n1);
    c(&mut g, &wx, &n1);
    c(&mut g, &ny, &wx);
    g.set_inputs(&w1.inputs).unwrap();
    g.set_outputs(&n1.outputs).unwrap();
    assert_eq!(order(&g), ["W1", "Wx", "Ny", "N1"]);
}

#[test]
fn longer_loops_and_self_loops() {
    // W1 -> N1 -> W2 -> N2 -> W3 -> N1: Rockpool ['W1','W3','N2','W2','N1'], no one-hop loop.
    let mut g = Graph::new("g");
    let (w1, n1, w2, n2, w3) = (
        w(&mut g, "W1", 2, 3),
        n(&mut g, "N1", 3),
        w(&mut g, "W2", 3, 2),
        n(&mut g, "N2", 2),
        w(&mut g, "W3", 2, 3),
    );
    let net = g
        .sequential(
            "chain",
            &[w1.clone(), n1.clone(), w2, n2.clone(), w3.clone()],
        )
        .unwrap();
    c(&mut g, &w3, &n1);
    g.set_inputs(&net.inputs).unwrap();
    g.set_outputs(&n2.outputs).unwrap();
    assert_eq!(order(&g), ["W1", "W3", "N2", "W2", "N1"]);
    assert!(g.find_recurrent_modules().is_empty());

    // Weights whose outputs are their own inputs: only they are recurrent.
    let mut g = Graph::new("g");
    let (w1, n1) = (w(&mut g, "W1", 2, 3), n(&mut g, "N1", 3));
    c(&mut g, &w1, &n1);
    let kind = ModuleKind::LinearWeights(rockpool_graph::LinearWeights::new(Array2::eye(3)));
    g.add_module("self", kind, &n1.outputs, &n1.outputs)
        .unwrap();
    g.set_inputs(&w1.inputs).unwrap();
    g.set_outputs(&n1.outputs).unwrap();
    assert_eq!(order(&g), ["W1", "N1", "self"]);
    assert_eq!(names(&g, g.find_recurrent_modules()), ["self"]);
}

/// Rockpool 3.1.0, `Sequential(Linear, LIF(has_rec=True), Residual(Linear, LIF, Linear, LIF),
/// Linear, LIF).as_graph()`: the residual's alias reaches the block's last LIF first.
#[test]
fn sequential_with_recurrence_and_residual_matches_rockpool() {
    let mut g = Graph::new("net");
    let l0 = w(&mut g, "lin0", 2, 2);
    let rec = g
        .lif_recurrent("lif1", LifNeurons::new(2, 1), Array2::zeros((2, 2)))
        .unwrap();
    let res = {
        let a = w(&mut g, "res_lin0", 2, 2);
        let b = n(&mut g, "res_lif1", 2);
        let c = w(&mut g, "res_lin2", 2, 2);
        let d = n(&mut g, "res_lif3", 2);
        let inner = g.sequential("res_inner", &[a, b, c, d]).unwrap();
        g.residual("res", &inner).unwrap()
    };
    let l3 = w(&mut g, "lin3", 2, 1);
    let l4 = n(&mut g, "lif4", 1);
    let net = g
        .sequential("net", &[l0, rec.clone(), res.clone(), l3, l4])
        .unwrap();
    g.set_io(&net).unwrap();

    assert_eq!(
        order(&g),
        [
            "lin0",
            "lif1_recurrent",
            "lif1",
            "res_lin0",
            "res_aliases",
            "res_lif3",
            "res_lin2",
            "res_lif1",
            "lin3",
            "lif4"
        ]
    );
    assert_eq!(g.discovery_order().nodes.len(), 16);
    assert_eq!(g.node_count(), 16);
    assert_eq!(
        names(&g, g.sources(rec.inputs[0]).to_vec()),
        ["lin0", "lif1_recurrent"]
    );
    assert_eq!(
        names(&g, g.sinks(rec.outputs[1]).to_vec()),
        ["lif1_recurrent", "res_lin0", "res_aliases"]
    );
    assert_eq!(
        names(&g, g.sources(res.outputs[0]).to_vec()),
        ["res_lif3", "res_aliases"]
    );
    assert_eq!(
        names(&g, g.find_recurrent_modules()),
        ["lif1_recurrent", "lif1"]
    );
    assert_eq!(names(&g, g.output_neuron_modules()), ["lif4"]);
    assert_eq!(
        names(&g, g.hidden_neuron_modules()),
        ["lif1", "res_lif3", "res_lif1"]
    );
    assert_eq!(g.inputs().len(), 2);
    assert_eq!(g.outputs().len(), 1);
    assert_eq!(g.input_index(net.inputs[1]), Some(1));
    assert_eq!(g.output_index(net.outputs[0]), Some(0));
    let shown = g.to_string();
    assert!(
        shown.starts_with("Graph \"net\" with 2 input nodes -> 1 output nodes\n  LinearWeights \"lin0\" with 2 input nodes -> 2 output nodes"),
        "{shown}"
    );
}

#[test]
fn pass_through_blocks_vanish_in_a_sequence() {
    let mut g = Graph::new("g");
    let a = w(&mut g, "a", 2, 3);
    let drop = g.pass_through("dropout", 3);
    let b = n(&mut g, "b", 3);
    let net = g.sequential("net", &[a.clone(), drop, b.clone()]).unwrap();
    g.set_io(&net).unwrap();
    assert_eq!(order(&g), ["a", "b"]);
    assert_eq!(
        g.module(module_named(&g, "b")).inputs(),
        &g.resolve_all(&a.outputs).unwrap()[..]
    );
    assert_eq!(g.node_count(), 8);
}

#[test]
fn lif_parameters_and_synapses() {
    let mut p = LifNeurons::new(3, 2);
    p.tau_syn = Array1::from_vec(vec![1., 2., 3., 4., 5., 6.]);
    assert_eq!(p.n_neurons(), 3);
    assert_eq!(p.n_synapses(), 2);
    assert_eq!(p.tau_syn_matrix()[[1, 0]], 3.0);
    let mut g = Graph::new("g");
    let s = g.lif("two", p.clone()).unwrap();
    assert_eq!((s.n_in(), s.n_out()), (6, 3));

    let mut bad = p.clone();
    bad.tau_syn = Array1::zeros(5);
    let e = g.lif("bad", bad).unwrap_err().to_string();
    assert!(
        e.contains("\"bad\"") && e.contains("tau_syn") && e.contains("N = 3"),
        "{e}"
    );

    let mut bad = p.clone();
    bad.threshold = Array1::zeros(2);
    let e = g.lif("bad", bad).unwrap_err().to_string();
    assert!(e.contains("threshold") && e.contains("(3,)"), "{e}");

    let mut bad = p.clone();
    bad.dt = Some(0.0);
    assert!(matches!(
        g.lif("bad", bad),
        Err(GraphError::Value { field: "dt", .. })
    ));

    let e = g
        .lif_recurrent("rec", p, Array2::zeros((3, 3)))
        .unwrap_err()
        .to_string();
    assert!(e.contains("w_rec") && e.contains("(3, 6)"), "{e}");
    // Refused modules leave no nodes behind.
    assert_eq!(g.node_count(), 9);

    let r = g
        .rate(
            "rate",
            RateNeurons {
                tau: Array1::from_elem(4, 0.02),
                bias: Array1::zeros(4),
                dt: None,
            },
        )
        .unwrap();
    assert_eq!((r.n_in(), r.n_out()), (4, 4));
    let gen_block = g.generic_neurons("gen", 2, 5);
    assert_eq!((gen_block.n_in(), gen_block.n_out()), (2, 5));
}

#[test]
fn size_errors_are_clear() {
    let mut g = Graph::new("g");
    let a = w(&mut g, "a", 2, 3);
    let b = n(&mut g, "b", 4);
    let e = g.connect(&a.outputs, &b.inputs).unwrap_err().to_string();
    assert_eq!(
        e,
        "connect: 3 source output nodes cannot be paired with 4 destination input nodes"
    );
    let e = g
        .sequential("net", &[a.clone(), b.clone()])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("\"a\" to \"b\"") && e.contains('3') && e.contains('4'),
        "{e}"
    );
    let e = g.residual("res", &a).unwrap_err().to_string();
    assert!(e.contains("residual \"res\" around \"a\""), "{e}");
    let e = g
        .linear("lb", Array2::ones((2, 3)), Some(Array1::zeros(2)))
        .unwrap_err()
        .to_string();
    assert!(e.contains("biases") && e.contains("(3,)"), "{e}");
    let e = g.alias("al", &a.outputs, &b.outputs).unwrap_err();
    assert!(matches!(e, GraphError::SizeMismatch { .. }), "{e}");
    let kind = ModuleKind::LinearWeights(rockpool_graph::LinearWeights::new(Array2::ones((2, 2))));
    let e = g.add_module("w", kind, &a.inputs, &a.outputs).unwrap_err();
    assert!(
        matches!(
            e,
            GraphError::NodeCount {
                side: "output",
                expected: 2,
                got: 3,
                ..
            }
        ),
        "{e}"
    );
    let foreign = NodeId::clone(&Graph::new("other").add_nodes(100)[99]);
    assert!(matches!(
        g.connect(&[foreign], &[a.inputs[0]]),
        Err(GraphError::UnknownNode(_))
    ));
    assert!(
        g.get_module(ModuleId::clone(&module_named(&g, "a")))
            .is_some()
    );
}

#[test]
fn empty_and_unconnected_graphs() {
    let mut g = Graph::new("g");
    assert!(g.modules_in_discovery_order().is_empty());
    let empty = g.sequential("nothing", &[]).unwrap();
    assert_eq!((empty.n_in(), empty.n_out()), (0, 0));
    // Modules not reachable from the declared inputs/outputs are not discovered.
    let a = w(&mut g, "a", 1, 1);
    let _stray = w(&mut g, "stray", 1, 1);
    g.set_io(&a).unwrap();
    assert_eq!(order(&g), ["a"]);
    assert_eq!(g.module_count(), 2);
}
