//! `map_graph` on hand-built graphs: every design rule, hardware-id allocation on each family,
//! synapse layouts, aliases, and the whole path graph → spec → quantise → validate → simulate.

use ndarray::{Array1, Array2};
use rockpool_graph::{Graph, LifNeurons, ModuleKind, RateNeurons, SubGraph};
use rockpool_xylo::{
    DesignRule, MapError, NeuronClass, OutputMode, QuantizeOptions, XyloFamily, XyloSim,
    channel_quantize, global_quantize, map_graph, validate_spec,
};

const A2: XyloFamily = XyloFamily::Audio2;
const A3: XyloFamily = XyloFamily::Audio3;
const IMU: XyloFamily = XyloFamily::Imu;

/// Deterministic pseudo-random numbers in `[-1, 1)` (a small LCG; no extra dependency).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }

    fn matrix(&mut self, rows: usize, cols: usize) -> Array2<f64> {
        Array2::from_shape_simple_fn((rows, cols), || self.next())
    }
}

fn lin(g: &mut Graph, name: &str, n_in: usize, n_out: usize) -> SubGraph {
    let w = Array2::from_shape_fn((n_in, n_out), |(i, j)| 0.1 + (i * n_out + j) as f64 * 0.01);
    g.linear(name, w, None).unwrap()
}

fn lif(g: &mut Graph, name: &str, n: usize) -> SubGraph {
    g.lif(name, LifNeurons::new(n, 1)).unwrap()
}

fn lif_syn(g: &mut Graph, name: &str, n: usize, n_syn: usize) -> SubGraph {
    g.lif(name, LifNeurons::new(n, n_syn)).unwrap()
}

/// `Linear(n[0] -> n[1]), LIF(n[1]), Linear(n[1] -> n[2]), LIF(n[2]), …`
fn chain(sizes: &[usize]) -> Graph {
    let mut g = Graph::new("chain");
    let mut blocks = Vec::new();
    for (k, pair) in sizes.windows(2).enumerate() {
        blocks.push(lin(&mut g, &format!("w{k}"), pair[0], pair[1]));
        blocks.push(lif(&mut g, &format!("lif{k}"), pair[1]));
    }
    let net = g.sequential("net", &blocks).unwrap();
    g.set_io(&net).unwrap();
    g
}

fn rule_of(e: &MapError) -> DesignRule {
    match e {
        MapError::DesignRule { rule, .. } => *rule,
        other => panic!("expected a design-rule error, got {other}"),
    }
}

fn expect_rule(g: &Graph, family: XyloFamily, rule: DesignRule, words: &[&str]) {
    let e = map_graph(g, family).unwrap_err();
    assert_eq!(rule_of(&e), rule, "{e}");
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!("Design rule {rule} triggered an error: ")),
        "{msg}"
    );
    for w in words {
        assert!(msg.contains(w), "`{w}` missing from: {msg}");
    }
}

#[test]
fn feed_forward_on_each_family() {
    let g = chain(&[3, 4, 2]);
    for family in XyloFamily::ALL {
        let m = map_graph(&g, family).unwrap();
        let d = m.spec.dims().unwrap();
        assert_eq!(
            (d.n_in, d.n_hidden, d.n_out, d.n_syn),
            (3, 4, 2, 1),
            "{family}"
        );
        // A single hidden layer is both input- and output-expansion neurons (Rockpool's
        // XyloIMU mapper fails on this network).
        assert_eq!((d.n_ien, d.n_oen), (4, 4), "{family}");
        assert_eq!(m.hidden[0].ids, [0, 1, 2, 3]);
        assert_eq!(m.outputs[0].ids, [0, 1]);
        assert_eq!(m.spec.weights_in[[2, 3, 0]], 0.1 + 11.0 * 0.01);
        assert_eq!(m.spec.weights_out[[3, 1]], 0.1 + 7.0 * 0.01);
        assert!(m.spec.weights_rec.iter().all(|&w| w == 0.0));
        // tau 20 ms, dt 1 ms: log2(20) in float32.
        assert_eq!(m.spec.dash_mem[0], f64::from(20f32.log2()));
        assert_eq!(m.spec.dash_syn_out[1], f64::from(20f32.log2()));
        assert_eq!(m.spec.dash_syn_2, Array1::<f64>::zeros(4));
        assert_eq!(m.spec.dt, 1e-3);
        assert!(m.warnings.is_empty());
        let ids = m.hidden_ids(m.hidden[0].module).unwrap();
        assert_eq!(ids.len(), 4);
        assert_eq!(m.output_ids(m.outputs[0].module).unwrap(), &[0, 1]);
    }
}

#[test]
fn expansion_neurons_on_imu_and_audio3() {
    // 5 -> 6 -> 7 -> 8 -> 2: hidden layers of 6 (IEN), 7, 8 (OEN).
    let g = chain(&[5, 6, 7, 8, 2]);
    let a2 = map_graph(&g, A2).unwrap();
    let ids = |m: &rockpool_xylo::MappedNetwork| -> Vec<Vec<usize>> {
        m.hidden.iter().map(|h| h.ids.clone()).collect()
    };
    assert_eq!(
        ids(&a2),
        [
            (0..6).collect(),
            (6..13).collect::<Vec<_>>(),
            (13..21).collect()
        ]
    );
    let d = a2.spec.dims().unwrap();
    assert_eq!((d.n_hidden, d.n_ien, d.n_oen), (21, 21, 21));
    for family in [IMU, A3] {
        let m = map_graph(&g, family).unwrap();
        assert_eq!(ids(&m), ids(&a2), "{family}");
        let d = m.spec.dims().unwrap();
        assert_eq!((d.n_hidden, d.n_ien, d.n_oen), (21, 6, 8), "{family}");
        assert_eq!(m.spec.weights_in.dim(), (5, 6, 1));
        assert_eq!(m.spec.weights_out.dim(), (8, 2));
        // Row k of weights_out is hidden neuron 13 + k.
        assert_eq!(
            m.spec.weights_out,
            a2.spec.weights_out.slice(ndarray::s![13.., ..])
        );
        assert_eq!(m.spec.weights_rec, a2.spec.weights_rec);
    }
}

#[test]
fn more_than_128_hidden_neurons_on_imu() {
    // Rockpool issue #18: 12 -> 64 -> 196 -> 64 -> 4 on XyloIMU.
    let g = chain(&[12, 64, 196, 64, 4]);
    let m = map_graph(&g, IMU).unwrap();
    let d = m.spec.dims().unwrap();
    assert_eq!((d.n_hidden, d.n_ien, d.n_oen), (324, 64, 64));
    let q = channel_quantize(&m.spec, &QuantizeOptions::default()).unwrap();
    let report = validate_spec(&q, IMU);
    assert!(report.is_valid(), "{report}");
}

#[test]
fn expansion_limits() {
    // 129 neurons fed by the input: too many input-expansion neurons on IMU and A3 only.
    let g = chain(&[2, 129, 3, 2]);
    assert!(map_graph(&g, A2).is_ok());
    for family in [IMU, A3] {
        let e = map_graph(&g, family).unwrap_err();
        assert!(
            matches!(
                &e,
                MapError::Resources { class: NeuronClass::InputExpansion, needed: 129, available: 128, module, .. } if module == "lif0"
            ),
            "{e}"
        );
        assert!(
            e.to_string()
                .starts_with("Failed to allocate HW resources for input-expansion neurons"),
            "{e}"
        );
    }
    let g = chain(&[2, 3, 129, 2]);
    for family in [IMU, A3] {
        let e = map_graph(&g, family).unwrap_err();
        assert!(
            matches!(
                e,
                MapError::Resources {
                    class: NeuronClass::OutputExpansion,
                    needed: 129,
                    ..
                }
            ),
            "{e}"
        );
    }
}

#[test]
fn too_many_neurons() {
    let e = map_graph(&chain(&[2, 1001, 2]), A2).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Failed to allocate HW resources for hidden neurons: graph module \"lif0\" brings the network to 1001 hidden neurons, but XyloAudio 2 has 1000"
    );
    let e = map_graph(&chain(&[2, 300, 197, 2]), IMU).unwrap_err();
    assert!(
        matches!(&e, MapError::Resources { class: NeuronClass::Hidden, needed: 497, available: 496, module, .. } if module == "lif1"),
        "{e}"
    );
    assert!(map_graph(&chain(&[2, 100, 392, 100, 2]), IMU).is_err());
    assert!(map_graph(&chain(&[2, 100, 396, 100, 2]), A3).is_ok());

    // Readout: 9 on A2 (warned and refused), 17 on IMU, 33 on A3.
    for (family, n, warns) in [(A2, 9, true), (IMU, 17, true), (A3, 33, true)] {
        let e = map_graph(&chain(&[2, 3, n]), family).unwrap_err();
        assert!(
            matches!(
                e,
                MapError::Resources {
                    class: NeuronClass::Output,
                    ..
                }
            ),
            "{family}: {e}"
        );
        assert!(warns);
    }
    // 17 readout channels are fine on A3, with Rockpool's warning above 16.
    let m = map_graph(&chain(&[17, 3, 17]), A3).unwrap();
    let rules: Vec<_> = m.warnings.iter().map(|w| w.rule).collect();
    assert_eq!(
        rules,
        [DesignRule::InputChannels, DesignRule::OutputChannels]
    );
    assert!(
        m.warnings[1]
            .to_string()
            .contains("XyloAudio 3 supports up to 16 output channels; the network has 17")
    );
    let m = map_graph(&chain(&[2, 3, 8]), A2).unwrap();
    assert!(m.warnings.is_empty());
}

#[test]
fn two_synapse_layout() {
    // Linear(2 -> 6) feeds LIF(3 neurons, 2 synapses): column 2i + s is synapse s of neuron i.
    let mut g = Graph::new("g");
    let mut p = LifNeurons::new(3, 2);
    p.tau_syn = Array1::from_vec(vec![0.002, 0.004, 0.008, 0.016, 0.032, 0.064]);
    let blocks = [
        lin(&mut g, "w_in", 2, 6),
        g.lif("two", p).unwrap(),
        lin(&mut g, "w_mid", 3, 2),
        lif(&mut g, "one", 2),
        lin(&mut g, "w_out", 2, 1),
        lif(&mut g, "out", 1),
    ];
    let net = g.sequential("net", &blocks).unwrap();
    g.set_io(&net).unwrap();
    for family in [A2, A3] {
        let m = map_graph(&g, family).unwrap();
        let s = &m.spec;
        assert_eq!(s.dims().unwrap().n_syn, 2);
        // w_in[0, 3] is neuron 1, synapse 1.
        assert_eq!(s.weights_in[[0, 1, 1]], 0.1 + 3.0 * 0.01);
        assert_eq!(s.weights_in[[1, 2, 0]], 0.1 + 10.0 * 0.01);
        // Exact powers of two: dash_syn = 1, 3, 5 and dash_syn_2 = 2, 4, 6 (A3 included).
        assert_eq!(s.dash_syn.slice(ndarray::s![..3]).to_vec(), [1.0, 3.0, 5.0]);
        assert_eq!(
            s.dash_syn_2.slice(ndarray::s![..3]).to_vec(),
            [2.0, 4.0, 6.0]
        );
        // The one-synapse module uses synapse 0.
        assert_eq!(s.weights_rec[[0, 3, 0]], 0.1);
        assert_eq!(s.weights_rec[[0, 3, 1]], 0.0);
        assert_eq!(s.dash_syn_2[3], 0.0);
    }
    expect_rule(
        &g,
        IMU,
        DesignRule::MaxSynapsesPerNeuron,
        &["\"two\"", "2 synapses", "XyloIMU"],
    );

    // Three synapses, and two on a readout module.
    let mut g = Graph::new("g");
    let blocks = [
        lin(&mut g, "w_in", 2, 9),
        lif_syn(&mut g, "three", 3, 3),
        lin(&mut g, "w_out", 3, 1),
        lif(&mut g, "out", 1),
    ];
    let net = g.sequential("net", &blocks).unwrap();
    g.set_io(&net).unwrap();
    expect_rule(
        &g,
        A2,
        DesignRule::MaxSynapsesPerNeuron,
        &["\"three\"", "3 synapses"],
    );
    let mut g = Graph::new("g");
    let blocks = [
        lin(&mut g, "w_in", 2, 3),
        lif(&mut g, "hid", 3),
        lin(&mut g, "w_out", 3, 4),
        lif_syn(&mut g, "out", 2, 2),
    ];
    let net = g.sequential("net", &blocks).unwrap();
    g.set_io(&net).unwrap();
    expect_rule(
        &g,
        A3,
        DesignRule::MaxSynapsesPerNeuron,
        &["Output neurons have one synapse"],
    );
}

#[test]
fn aliases_from_residual_blocks() {
    // Linear(2 -> 3), LIF(3), Residual(Linear(3 -> 3), LIF(3)), Linear(3 -> 1), LIF(1)
    let mut g = Graph::new("g");
    let res = {
        let a = lin(&mut g, "res_w", 3, 3);
        let b = lif(&mut g, "res_lif", 3);
        let inner = g.sequential("inner", &[a, b]).unwrap();
        g.residual("res", &inner).unwrap()
    };
    let blocks = [
        lin(&mut g, "w_in", 2, 3),
        lif(&mut g, "lif1", 3),
        res,
        lin(&mut g, "w_out", 3, 1),
        lif(&mut g, "out", 1),
    ];
    let net = g.sequential("net", &blocks).unwrap();
    g.set_io(&net).unwrap();
    let a2 = map_graph(&g, A2).unwrap();
    assert_eq!(
        a2.spec.aliases,
        [vec![3], vec![4], vec![5], vec![], vec![], vec![]]
    );
    // IMU / A3: res_lif drives the readout, so it is placed last; lif1 is first.
    let imu = map_graph(&g, IMU).unwrap();
    assert_eq!(imu.spec.aliases, a2.spec.aliases);
    let q = global_quantize(&a2.spec, &QuantizeOptions::default()).unwrap();
    assert!(validate_spec(&q, A2).is_valid());

    // An alias onto the readout is refused: as Rockpool, because an output node is then
    // driven by an alias; and, for a readout neuron that is not itself a network output,
    // because aliases link hidden neurons only. An alias onto itself is a warning.
    let mut g2 = g.clone();
    let out = g2.find_modules(|m| m.name() == "out")[0];
    let lif1 = g2.find_modules(|m| m.name() == "lif1")[0];
    let (src, dst) = (
        g2.module(lif1).outputs()[..1].to_vec(),
        g2.module(out).outputs().to_vec(),
    );
    g2.alias("bad", &src, &dst).unwrap();
    expect_rule(
        &g2,
        A2,
        DesignRule::OutputNodesHaveNeuronsAsSource,
        &["AliasConnection \"bad\""],
    );
    let mut g2 = chain(&[2, 3, 2]);
    let out = g2.find_modules(|m| m.name() == "lif1")[0];
    let hid = g2.find_modules(|m| m.name() == "lif0")[0];
    let out_nodes = g2.module(out).outputs().to_vec();
    g2.set_outputs(&out_nodes[..1]).unwrap();
    let src = g2.module(hid).outputs()[..1].to_vec();
    g2.alias("bad", &src, &out_nodes[1..]).unwrap();
    expect_rule(
        &g2,
        A2,
        DesignRule::AliasesLinkHiddenNeurons,
        &["\"bad\"", "\"lif1\""],
    );
    let mut g3 = g.clone();
    let nodes = g3.module(lif1).outputs()[..1].to_vec();
    g3.alias("self", &nodes, &nodes).unwrap();
    let m = map_graph(&g3, A2).unwrap();
    assert_eq!(m.warnings.len(), 1);
    assert_eq!(m.warnings[0].rule, DesignRule::AliasesLinkHiddenNeurons);
    assert_eq!(m.spec.aliases[0], [0, 3], "aliases in discovery order");
}

#[test]
fn structural_design_rules() {
    // Outputs straight from weights.
    let mut g = Graph::new("g");
    let blocks = [
        lin(&mut g, "w1", 2, 3),
        lif(&mut g, "n1", 3),
        lin(&mut g, "w2", 3, 2),
    ];
    let net = g.sequential("net", &blocks).unwrap();
    g.set_io(&net).unwrap();
    expect_rule(
        &g,
        A2,
        DesignRule::OutputNodesHaveNeuronsAsSource,
        &["LinearWeights \"w2\""],
    );

    // Input straight into neurons.
    let mut g = Graph::new("g");
    let blocks = [
        lif(&mut g, "n0", 2),
        lin(&mut g, "w1", 2, 3),
        lif(&mut g, "n1", 3),
        lin(&mut g, "w2", 3, 2),
        lif(&mut g, "n2", 2),
    ];
    let net = g.sequential("net", &blocks).unwrap();
    g.set_io(&net).unwrap();
    expect_rule(
        &g,
        A2,
        DesignRule::FirstModuleIsAWeight,
        &["\"n0\"", "Input channel 0"],
    );

    // Neurons feeding neurons.
    let mut g = Graph::new("g");
    let blocks = [
        lin(&mut g, "w1", 2, 3),
        lif(&mut g, "n1", 3),
        lif(&mut g, "nx", 3),
        lin(&mut g, "w2", 3, 2),
        lif(&mut g, "n2", 2),
    ];
    let net = g.sequential("net", &blocks).unwrap();
    g.set_io(&net).unwrap();
    expect_rule(
        &g,
        A2,
        DesignRule::InputToNeuronsIsAWeight,
        &["\"nx\"", "\"n1\""],
    );

    // Weights feeding weights.
    let mut g = Graph::new("g");
    let blocks = [
        lin(&mut g, "w1", 2, 3),
        lin(&mut g, "w1b", 3, 3),
        lif(&mut g, "n1", 3),
        lin(&mut g, "w2", 3, 2),
        lif(&mut g, "n2", 2),
    ];
    let net = g.sequential("net", &blocks).unwrap();
    g.set_io(&net).unwrap();
    expect_rule(
        &g,
        IMU,
        DesignRule::NoConsecutiveWeights,
        &["\"w1\"", "\"w1b\""],
    );

    // A single neuron layer.
    expect_rule(
        &chain(&[2, 3]),
        A3,
        DesignRule::AtLeastTwoNeuronLayersNeeded,
        &["0 hidden and 1 output"],
    );

    // No declared inputs / outputs.
    let mut g = chain(&[2, 3, 2]);
    g.set_outputs(&[]).unwrap();
    expect_rule(
        &g,
        A2,
        DesignRule::GraphHasInputsAndOutputs,
        &["Graph::set_io"],
    );
}

#[test]
fn recurrence_rules() {
    // A recurrent readout is refused; a recurrent hidden layer is mapped to weights_rec.
    let mut g = Graph::new("g");
    let w_rec = Array2::from_elem((2, 2), 0.5);
    let blocks = [
        lin(&mut g, "w1", 2, 3),
        lif(&mut g, "n1", 3),
        lin(&mut g, "w2", 3, 2),
        g.lif_recurrent("out", LifNeurons::new(2, 1), w_rec)
            .unwrap(),
    ];
    let net = g.sequential("net", &blocks).unwrap();
    g.set_io(&net).unwrap();
    expect_rule(
        &g,
        A2,
        DesignRule::OutputNeuronsCannotBeRecurrent,
        &["\"out\""],
    );

    let mut g = Graph::new("g");
    let w_rec = Array2::from_shape_fn((3, 3), |(i, j)| (i * 3 + j) as f64);
    let blocks = [
        lin(&mut g, "w1", 2, 3),
        g.lif_recurrent("n1", LifNeurons::new(3, 1), w_rec.clone())
            .unwrap(),
        lin(&mut g, "w2", 3, 2),
        lif(&mut g, "out", 2),
    ];
    let net = g.sequential("net", &blocks).unwrap();
    g.set_io(&net).unwrap();
    let m = map_graph(&g, A2).unwrap();
    assert_eq!(m.spec.weights_rec.index_axis(ndarray::Axis(2), 0), w_rec);
}

#[test]
fn neuron_parameter_rules() {
    let with = |f: &dyn Fn(&mut LifNeurons)| {
        let mut g = Graph::new("g");
        let mut p = LifNeurons::new(3, 1);
        f(&mut p);
        let blocks = [
            lin(&mut g, "w1", 2, 3),
            g.lif("n1", p).unwrap(),
            lin(&mut g, "w2", 3, 2),
            lif(&mut g, "n2", 2),
        ];
        let net = g.sequential("net", &blocks).unwrap();
        g.set_io(&net).unwrap();
        g
    };
    // tau <= dt: an error on XyloAudio 2 and XyloIMU, a warning on XyloAudio 3.
    let g = with(&|p| p.tau_syn[1] = 0.001);
    for family in [A2, IMU] {
        expect_rule(
            &g,
            family,
            DesignRule::TimeConstantsLongerThanDt,
            &["\"n1\"", "tau_syn[1] = 0.001 s <= dt = 0.001 s"],
        );
    }
    let m = map_graph(&g, A3).unwrap();
    assert_eq!(m.warnings[0].rule, DesignRule::TimeConstantsLongerThanDt);
    assert_eq!(m.spec.dash_syn[1], 0.0);
    let g = with(&|p| p.tau_mem[0] = -1.0);
    expect_rule(
        &g,
        A3,
        DesignRule::TimeConstantsLongerThanDt,
        &["tau_mem[0] = -1"],
    );

    // dt: shared to NumPy's isclose, and required somewhere.
    let g = with(&|p| p.dt = Some(1e-3 * (1.0 + 1e-9)));
    assert!(map_graph(&g, A2).is_ok());
    let g = with(&|p| p.dt = Some(2e-3));
    expect_rule(
        &g,
        A2,
        DesignRule::AllNeuronsHaveSameDt,
        &["\"n2\"", "network dt = 0.002 s"],
    );
    let g = with(&|p| p.dt = None);
    assert_eq!(map_graph(&g, A2).unwrap().spec.dt, 1e-3);

    // Non-finite values.
    let g = with(&|p| p.threshold[2] = f64::NAN);
    expect_rule(
        &g,
        A2,
        DesignRule::ParametersAreFinite,
        &["`threshold` (element 2)"],
    );
}

#[test]
fn no_dt_and_other_neuron_models() {
    let mut g = Graph::new("g");
    let mut p1 = LifNeurons::new(3, 1);
    p1.dt = None;
    let mut p2 = LifNeurons::new(2, 1);
    p2.dt = None;
    let blocks = [
        lin(&mut g, "w1", 2, 3),
        g.lif("n1", p1).unwrap(),
        lin(&mut g, "w2", 3, 2),
        g.lif("n2", p2).unwrap(),
    ];
    let net = g.sequential("net", &blocks).unwrap();
    g.set_io(&net).unwrap();
    expect_rule(
        &g,
        A2,
        DesignRule::AllNeuronsHaveSameDt,
        &["at least one neuron module"],
    );

    let mut g = Graph::new("g");
    let rate = RateNeurons {
        tau: Array1::from_elem(3, 0.02),
        bias: Array1::zeros(3),
        dt: Some(1e-3),
    };
    let blocks = [
        lin(&mut g, "w1", 2, 3),
        g.rate("r1", rate).unwrap(),
        lin(&mut g, "w2", 3, 2),
        lif(&mut g, "n2", 2),
    ];
    let net = g.sequential("net", &blocks).unwrap();
    g.set_io(&net).unwrap();
    expect_rule(
        &g,
        A2,
        DesignRule::NeuronsAreLif,
        &["RateNeuronWithSynsRealValue \"r1\""],
    );
}

#[test]
fn weight_biases_are_warned_about() {
    let mut g = Graph::new("g");
    let w = Array2::from_elem((2, 3), 0.5);
    let blocks = [
        g.linear("w1", w.clone(), Some(Array1::from_elem(3, 0.1)))
            .unwrap(),
        lif(&mut g, "n1", 3),
        g.linear("w2", Array2::ones((3, 2)), Some(Array1::zeros(2)))
            .unwrap(),
        lif(&mut g, "n2", 2),
    ];
    let net = g.sequential("net", &blocks).unwrap();
    g.set_io(&net).unwrap();
    let m = map_graph(&g, A2).unwrap();
    assert_eq!(m.warnings.len(), 1, "zero biases are not warned about");
    assert_eq!(m.warnings[0].rule, DesignRule::WeightNodesHaveNoBiases);
    assert_eq!(m.warnings[0].module.as_deref(), Some("w1"));
    assert_eq!(m.spec.weights_in.index_axis(ndarray::Axis(2), 0), w);
}

#[test]
fn wiring_rockpool_cannot_map() {
    // Input weights straight onto the readout (as well as through a hidden layer).
    let mut g = chain(&[2, 3, 2]);
    let w = g.find_modules(|m| m.name() == "w0")[0];
    let out = g.find_modules(|m| m.name() == "lif1")[0];
    let (ins, outs) = (
        g.module(w).inputs().to_vec(),
        g.module(out).inputs().to_vec(),
    );
    let kind = ModuleKind::LinearWeights(rockpool_graph::LinearWeights::new(Array2::ones((2, 2))));
    g.add_module("skip", kind, &ins, &outs).unwrap();
    expect_rule(
        &g,
        A2,
        DesignRule::InputWeightsTargetHiddenNeurons,
        &["\"skip\"", "\"lif1\""],
    );

    // A readout module that also drives a hidden layer.
    let mut g = Graph::new("g");
    let (w1, n1, w2, n2, w3, n3) = (
        lin(&mut g, "w1", 2, 2),
        lif(&mut g, "n1", 2),
        lin(&mut g, "w2", 2, 2),
        lif(&mut g, "n2", 2),
        lin(&mut g, "w3", 2, 2),
        lif(&mut g, "n3", 2),
    );
    g.sequential("net", &[w1.clone(), n1.clone(), w2, n2, w3, n3.clone()])
        .unwrap();
    g.set_inputs(&w1.inputs).unwrap();
    g.set_outputs(&[n1.outputs.clone(), n3.outputs.clone()].concat())
        .unwrap();
    expect_rule(
        &g,
        A2,
        DesignRule::OutputNeuronsDriveNothing,
        &["\"n1\"", "\"w2\""],
    );

    // Weights reading a node nothing drives.
    let mut g = chain(&[2, 3, 2]);
    let dangling = g.add_nodes(1);
    let out = g.find_modules(|m| m.name() == "lif1")[0];
    let target = g.module(out).inputs()[..1].to_vec();
    let kind = ModuleKind::LinearWeights(rockpool_graph::LinearWeights::new(Array2::ones((1, 1))));
    g.add_module("floating", kind, &dangling, &target).unwrap();
    expect_rule(
        &g,
        A2,
        DesignRule::WeightsReadInputsOrNeurons,
        &["\"floating\""],
    );
}

#[test]
fn parallel_weights_add_and_split_inputs_map() {
    // Two weight modules between the same layers add up (Rockpool keeps the last one).
    let mut g = chain(&[2, 3, 2]);
    let n = g.find_modules(|m| m.name() == "lif0")[0];
    let o = g.find_modules(|m| m.name() == "lif1")[0];
    let (ins, outs) = (
        g.module(n).outputs().to_vec(),
        g.module(o).inputs().to_vec(),
    );
    let kind = ModuleKind::LinearWeights(rockpool_graph::LinearWeights::new(Array2::ones((3, 2))));
    g.add_module("extra", kind, &ins, &outs).unwrap();
    let m = map_graph(&g, A2).unwrap();
    assert_eq!(m.spec.weights_out[[0, 0]], 1.1);

    // One input matrix feeding two hidden modules (Rockpool crashes): both are IEN.
    let mut g = Graph::new("g");
    let w1 = lin(&mut g, "w1", 2, 5);
    let (na, nb) = (lif(&mut g, "na", 3), lif(&mut g, "nb", 2));
    let (wa, wb, out) = (
        lin(&mut g, "wa", 3, 2),
        lin(&mut g, "wb", 2, 2),
        lif(&mut g, "out", 2),
    );
    g.connect(&w1.outputs[..3], &na.inputs).unwrap();
    g.connect(&w1.outputs[3..], &nb.inputs).unwrap();
    g.connect(&na.outputs, &wa.inputs).unwrap();
    g.connect(&nb.outputs, &wb.inputs).unwrap();
    g.connect(&wa.outputs, &out.inputs).unwrap();
    g.connect(&wb.outputs, &out.inputs).unwrap();
    g.set_inputs(&w1.inputs).unwrap();
    g.set_outputs(&out.outputs).unwrap();
    for family in XyloFamily::ALL {
        let m = map_graph(&g, family).unwrap();
        let d = m.spec.dims().unwrap();
        assert_eq!((d.n_hidden, d.n_ien, d.n_oen), (5, 5, 5), "{family}");
        let na_ids = &m.hidden.iter().find(|h| h.name == "na").unwrap().ids;
        let nb_ids = &m.hidden.iter().find(|h| h.name == "nb").unwrap().ids;
        assert_eq!(m.spec.weights_in[[1, nb_ids[1], 0]], 0.1 + 9.0 * 0.01);
        assert_eq!(m.spec.weights_in[[0, na_ids[0], 0]], 0.1);
        assert_eq!(m.spec.weights_out[[nb_ids[0], 1]], 0.11);
    }
}

/// The whole path: Linear(16 -> 20), recurrent LIF(20), Linear(20 -> 8), LIF(8); map on every
/// family, quantise both ways, validate, and simulate a random raster.
#[test]
fn end_to_end_map_quantise_validate_simulate() {
    let mut rng = Lcg(42);
    let mut g = Graph::new("e2e");
    let mut hidden = LifNeurons::new(20, 1);
    hidden.tau_mem = Array1::from_shape_fn(20, |i| 0.01 + 0.002 * i as f64);
    hidden.tau_syn = Array1::from_shape_fn(20, |i| 0.004 + 0.001 * i as f64);
    hidden.bias = Array1::from_shape_fn(20, |_| 0.05 * rng.next());
    let blocks = [
        g.linear("w_in", rng.matrix(16, 20), None).unwrap(),
        g.lif_recurrent("hidden", hidden, rng.matrix(20, 20) * 0.3)
            .unwrap(),
        g.linear("w_out", rng.matrix(20, 8), None).unwrap(),
        g.lif("readout", LifNeurons::new(8, 1)).unwrap(),
    ];
    let net = g.sequential("net", &blocks).unwrap();
    g.set_io(&net).unwrap();

    let raster = Array2::<u32>::from_shape_simple_fn((200, 16), || {
        let x = rng.next();
        if x > 0.6 { 1 + (x > 0.9) as u32 } else { 0 }
    });
    for family in XyloFamily::ALL {
        let mapped = map_graph(&g, family).unwrap();
        assert!(
            mapped.warnings.is_empty(),
            "{family}: {:?}",
            mapped.warnings
        );
        let d = mapped.spec.dims().unwrap();
        assert_eq!((d.n_in, d.n_hidden, d.n_out, d.n_syn), (16, 20, 8, 1));
        assert!(mapped.spec.weights_rec.iter().any(|&w| w != 0.0));
        for (how, q) in [
            (
                "global",
                global_quantize(&mapped.spec, &QuantizeOptions::default()),
            ),
            (
                "channel",
                channel_quantize(&mapped.spec, &QuantizeOptions::default()),
            ),
        ] {
            let q = q.unwrap();
            let report = validate_spec(&q, family);
            assert!(report.is_valid(), "{family} {how}: {report}");
            let mut sim = XyloSim::from_spec(&q, OutputMode::Spike).unwrap();
            let out = sim.evolve(&raster, true).unwrap();
            assert_eq!(out.output.dim(), (200, 8));
            let hidden_events: u64 = out
                .record
                .unwrap()
                .spikes
                .iter()
                .map(|&s| u64::from(s))
                .sum();
            assert!(
                hidden_events > 0,
                "{family} {how}: the hidden layer never fired"
            );
        }
    }
}
