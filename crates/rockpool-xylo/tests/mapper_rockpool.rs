//! Agreement of `map_graph` with Rockpool 3.1.0's mappers: the same networks built with
//! rockpool-graph must give the same float specs, aliases and hardware ids (reference outputs
//! written by `tests/fixtures/make_mapper_fixtures.py`).

use std::collections::HashMap;
use std::path::Path;

use ndarray::{Array1, Array2, ArrayD, Ix1, Ix2, Ix3};
use rockpool_graph::{Graph, LifNeurons, SubGraph};
use rockpool_xylo::{
    MappedNetwork, OutputMode, QuantizeOptions, XyloFamily, XyloSim, XyloSpec, global_quantize,
    map_graph, validate_spec,
};

struct Fixture(HashMap<String, ArrayD<f64>>);

impl Fixture {
    fn load(case: &str) -> Self {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/mapper")
            .join(format!("{case}.npz"));
        Fixture(
            rockpool_io::read_npz(path)
                .unwrap()
                .into_iter()
                .map(|(k, a)| (k.trim_end_matches(".npy").to_string(), a.to_f64()))
                .collect(),
        )
    }

    fn get(&self, key: &str) -> &ArrayD<f64> {
        self.0
            .get(key)
            .unwrap_or_else(|| panic!("fixture has no `{key}`"))
    }

    fn has(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    fn a1(&self, key: &str) -> Array1<f64> {
        self.get(key).clone().into_dimensionality::<Ix1>().unwrap()
    }

    fn a2(&self, key: &str) -> Array2<f64> {
        self.get(key).clone().into_dimensionality::<Ix2>().unwrap()
    }

    fn scalar(&self, key: &str) -> f64 {
        *self.get(key).first().unwrap()
    }

    fn linear(&self, g: &mut Graph, label: &str) -> SubGraph {
        g.linear(label, self.a2(&format!("p_{label}_weights")), None)
            .unwrap()
    }

    fn lif_params(&self, label: &str) -> LifNeurons {
        LifNeurons {
            tau_mem: self.a1(&format!("p_{label}_tau_mem")),
            tau_syn: self.a1(&format!("p_{label}_tau_syn")),
            threshold: self.a1(&format!("p_{label}_threshold")),
            bias: self.a1(&format!("p_{label}_bias")),
            dt: Some(1e-3),
        }
    }

    fn lif(&self, g: &mut Graph, label: &str) -> SubGraph {
        g.lif(label, self.lif_params(label)).unwrap()
    }

    fn lif_rec(&self, g: &mut Graph, label: &str) -> SubGraph {
        let w_rec = self.a2(&format!("p_{label}_recurrent_weights"));
        g.lif_recurrent(label, self.lif_params(label), w_rec)
            .unwrap()
    }

    /// Rockpool's spec for `family`, in rockpool-xylo's layout (3-D weights).
    fn spec(&self, family: XyloFamily) -> XyloSpec<f64> {
        let f = family.part_number();
        let k = |key: &str| format!("{f}_{key}");
        let threshold = self.a1(&k("threshold"));
        let aliases = self
            .a1(&k("aliases"))
            .iter()
            .map(|&a| if a < 0.0 { vec![] } else { vec![a as usize] })
            .collect();
        XyloSpec {
            weights_in: self
                .get(&k("weights_in"))
                .clone()
                .into_dimensionality::<Ix3>()
                .unwrap(),
            weights_rec: self
                .get(&k("weights_rec"))
                .clone()
                .into_dimensionality::<Ix3>()
                .unwrap(),
            weights_out: self.a2(&k("weights_out")),
            dash_mem: self.a1(&k("dash_mem")),
            dash_syn: self.a1(&k("dash_syn")),
            dash_syn_2: self.a1(&k("dash_syn_2")),
            dash_mem_out: self.a1(&k("dash_mem_out")),
            dash_syn_out: self.a1(&k("dash_syn_out")),
            bias: self.a1(&k("bias")),
            bias_out: self.a1(&k("bias_out")),
            threshold_out: self.a1(&k("threshold_out")),
            threshold,
            weight_shift_in: 0,
            weight_shift_rec: 0,
            weight_shift_out: 0,
            aliases,
            dt: self.scalar(&k("dt")),
        }
    }

    /// Compares everything the mapper returns with Rockpool's, field by field, exactly.
    fn check(&self, case: &str, family: XyloFamily, got: &MappedNetwork, skip: &[&str]) {
        let want = self.spec(family);
        let s = &got.spec;
        assert_eq!(
            s.dims().unwrap(),
            want.dims().unwrap(),
            "{case} {family}: dims"
        );
        let fields: [(&str, Vec<f64>, Vec<f64>); 15] = [
            ("weights_in", flat(&s.weights_in), flat(&want.weights_in)),
            ("weights_rec", flat(&s.weights_rec), flat(&want.weights_rec)),
            ("weights_out", flat(&s.weights_out), flat(&want.weights_out)),
            ("dash_mem", s.dash_mem.to_vec(), want.dash_mem.to_vec()),
            ("dash_syn", s.dash_syn.to_vec(), want.dash_syn.to_vec()),
            (
                "dash_syn_2",
                s.dash_syn_2.to_vec(),
                want.dash_syn_2.to_vec(),
            ),
            (
                "dash_mem_out",
                s.dash_mem_out.to_vec(),
                want.dash_mem_out.to_vec(),
            ),
            (
                "dash_syn_out",
                s.dash_syn_out.to_vec(),
                want.dash_syn_out.to_vec(),
            ),
            ("threshold", s.threshold.to_vec(), want.threshold.to_vec()),
            (
                "threshold_out",
                s.threshold_out.to_vec(),
                want.threshold_out.to_vec(),
            ),
            ("bias", s.bias.to_vec(), want.bias.to_vec()),
            ("bias_out", s.bias_out.to_vec(), want.bias_out.to_vec()),
            ("dt", vec![s.dt], vec![want.dt]),
            (
                "weight_shifts",
                vec![
                    s.weight_shift_in as f64,
                    s.weight_shift_rec as f64,
                    s.weight_shift_out as f64,
                ],
                vec![0.0; 3],
            ),
            (
                "n_aliases",
                vec![s.aliases.len() as f64],
                vec![want.aliases.len() as f64],
            ),
        ];
        for (name, a, b) in fields {
            if skip.contains(&name) {
                continue;
            }
            assert_eq!(a, b, "{case} {family}: `{name}` differs from Rockpool");
        }
        assert_eq!(s.aliases, want.aliases, "{case} {family}: aliases");

        let f = family.part_number();
        let max_hidden = self.scalar(&format!("{f}_max_hidden")) as usize;
        let mut n_tables = 0;
        for (table, offset) in [(&got.hidden, 0), (&got.outputs, max_hidden)] {
            for h in table {
                let want: Vec<usize> = self
                    .a1(&format!("{f}_hw_{}", h.name))
                    .iter()
                    .map(|&x| x as usize - offset)
                    .collect();
                assert_eq!(h.ids, want, "{case} {family}: hardware ids of `{}`", h.name);
                n_tables += 1;
            }
        }
        let n_want = self
            .0
            .keys()
            .filter(|k| k.starts_with(&format!("{f}_hw_")))
            .count();
        assert_eq!(
            n_tables, n_want,
            "{case} {family}: number of neuron modules"
        );
    }
}

fn flat<D: ndarray::Dimension>(a: &ndarray::Array<f64, D>) -> Vec<f64> {
    a.iter().copied().collect()
}

fn seq_residual_rec(fx: &Fixture) -> Graph {
    let mut g = Graph::new("seq_residual_rec");
    let lin0 = fx.linear(&mut g, "lin0");
    let lif1 = fx.lif_rec(&mut g, "lif1");
    let res = {
        let blocks = [
            fx.linear(&mut g, "res_lin0"),
            fx.lif(&mut g, "res_lif1"),
            fx.linear(&mut g, "res_lin2"),
            fx.lif(&mut g, "res_lif3"),
        ];
        let inner = g.sequential("res_inner", &blocks).unwrap();
        g.residual("res", &inner).unwrap()
    };
    let lin3 = fx.linear(&mut g, "lin3");
    let out = fx.lif(&mut g, "out");
    let net = g.sequential("net", &[lin0, lif1, res, lin3, out]).unwrap();
    g.set_io(&net).unwrap();
    g
}

fn recurrent(fx: &Fixture) -> Graph {
    let mut g = Graph::new("recurrent");
    let blocks = [
        fx.linear(&mut g, "lin_in"),
        fx.lif_rec(&mut g, "hidden"),
        fx.linear(&mut g, "lin_out"),
        fx.lif(&mut g, "out"),
    ];
    let net = g.sequential("net", &blocks).unwrap();
    g.set_io(&net).unwrap();
    g
}

fn imu_large(fx: &Fixture) -> Graph {
    let mut g = Graph::new("imu_large");
    let blocks = [
        fx.linear(&mut g, "lin0"),
        fx.lif(&mut g, "lif0"),
        fx.linear(&mut g, "lin1"),
        fx.lif(&mut g, "lif1"),
        fx.linear(&mut g, "lin2"),
        fx.lif(&mut g, "lif2"),
        fx.linear(&mut g, "lin3"),
        fx.lif(&mut g, "out"),
    ];
    let net = g.sequential("net", &blocks).unwrap();
    g.set_io(&net).unwrap();
    g
}

/// Wired node by node as the fixture script does with `connect_modules`.
fn two_synapses(fx: &Fixture) -> Graph {
    let mut g = Graph::new("two_synapses");
    let w1 = fx.linear(&mut g, "w1");
    let n1 = fx.lif(&mut g, "lif1");
    let wr = fx.linear(&mut g, "lif1_recurrent");
    let w2 = fx.linear(&mut g, "w2");
    let n2 = fx.lif(&mut g, "lif2");
    let w3 = fx.linear(&mut g, "w3");
    let out = fx.lif(&mut g, "out");
    for (a, b) in [
        (&w1, &n1),
        (&n1, &w2),
        (&w2, &n2),
        (&n2, &w3),
        (&w3, &out),
        (&n1, &wr),
        (&wr, &n1),
    ] {
        g.connect(&a.outputs, &b.inputs).unwrap();
    }
    g.set_inputs(&w1.inputs).unwrap();
    g.set_outputs(&out.outputs).unwrap();
    g
}

fn branches(fx: &Fixture) -> Graph {
    let mut g = Graph::new("branches");
    let w1 = fx.linear(&mut g, "w1");
    let n1 = fx.lif(&mut g, "lif1");
    let w2 = fx.linear(&mut g, "w2");
    let n2 = fx.lif(&mut g, "lif2");
    let w3 = fx.linear(&mut g, "w3");
    let wa = fx.linear(&mut g, "wa");
    let na = fx.lif(&mut g, "out_a");
    let wb = fx.linear(&mut g, "wb");
    let nb = fx.lif(&mut g, "out_b");
    for (a, b) in [
        (&w1, &n1),
        (&n1, &w2),
        (&w2, &n2),
        (&n2, &w3),
        (&w3, &n1),
        (&n1, &wa),
        (&n1, &wb),
        (&wa, &na),
        (&wb, &nb),
    ] {
        g.connect(&a.outputs, &b.inputs).unwrap();
    }
    g.set_inputs(&w1.inputs).unwrap();
    g.set_outputs(&[na.outputs.clone(), nb.outputs.clone()].concat())
        .unwrap();
    g
}

fn check_case(case: &str, build: fn(&Fixture) -> Graph) -> (Fixture, Graph, usize) {
    let fx = Fixture::load(case);
    let g = build(&fx);
    let mut compared = 0;
    for family in XyloFamily::ALL {
        if !fx.has(&format!("{}_dt", family.part_number())) {
            continue;
        }
        let mapped = map_graph(&g, family).unwrap();
        assert!(
            mapped.warnings.is_empty(),
            "{case} {family}: {:?}",
            mapped.warnings
        );
        fx.check(case, family, &mapped, &[]);
        compared += 1;
    }
    (fx, g, compared)
}

#[test]
fn sequential_with_recurrence_and_residual() {
    // The residual's alias is discovered before its first LIF: on XyloAudio 2 its last LIF
    // gets the lower ids; XyloIMU and XyloAudio 3 put it last as output-expansion neurons.
    let (_, _, n) = check_case("seq_residual_rec", seq_residual_rec);
    assert_eq!(n, 3);
}

#[test]
fn issue_18_more_than_128_hidden_neurons_on_imu() {
    let (_, g, n) = check_case("imu_large", imu_large);
    assert_eq!(n, 3);
    let mapped = map_graph(&g, XyloFamily::Imu).unwrap();
    let d = mapped.spec.dims().unwrap();
    assert_eq!(
        (d.n_hidden, d.n_ien, d.n_oen, d.oen_offset()),
        (324, 64, 64, 260)
    );
    let q = global_quantize(&mapped.spec, &QuantizeOptions::default()).unwrap();
    let report = validate_spec(&q, XyloFamily::Imu);
    assert!(report.is_valid(), "{report}");
    let mut sim = XyloSim::from_spec(&q, OutputMode::Spike).unwrap();
    let raster = Array2::<u32>::from_shape_fn((20, 12), |(t, c)| ((t * 7 + c * 3) % 5 == 0) as u32);
    assert_eq!(sim.evolve(&raster, false).unwrap().output.dim(), (20, 4));
}

#[test]
fn two_synapses_match_rockpool() {
    let fx = Fixture::load("two_synapses");
    let g = two_synapses(&fx);
    let a2 = map_graph(&g, XyloFamily::Audio2).unwrap();
    fx.check("two_synapses", XyloFamily::Audio2, &a2, &[]);
    assert_eq!(a2.spec.dims().unwrap().n_syn, 2);
    // One-synapse modules in a two-synapse network: synapse 0, dash_syn_2 = 0 (as Rockpool).
    let lif2 = a2.hidden.iter().find(|h| h.name == "lif2").unwrap();
    assert!(lif2.ids.iter().all(|&i| a2.spec.dash_syn_2[i] == 0.0));

    // XyloAudio 3: Rockpool writes dash_syn from the interleaved (neuron, synapse) list and
    // leaves dash_syn_2 at 0; everything else agrees, and the dashes here are XyloAudio 2's.
    let a3 = map_graph(&g, XyloFamily::Audio3).unwrap();
    fx.check(
        "two_synapses",
        XyloFamily::Audio3,
        &a3,
        &["dash_syn", "dash_syn_2"],
    );
    assert_eq!(a3.spec.dash_syn, a2.spec.dash_syn);
    assert_eq!(a3.spec.dash_syn_2, a2.spec.dash_syn_2);
    assert_eq!(a3.hidden, a2.hidden);
}

#[test]
fn branches_and_loops_match_rockpool() {
    // Outputs get readout ids in discovery order (out_b before out_a), and the loop
    // lif1 -> lif2 -> lif1 is discovered through lif1's sources (lif2 gets ids first).
    let (_, _, n) = check_case("branches", branches);
    assert_eq!(n, 1);
}

#[test]
fn recurrent_network_maps_quantises_and_simulates_like_rockpool() {
    let (fx, g, n) = check_case("recurrent", recurrent);
    assert_eq!(
        n, 2,
        "XyloAudio 2 and XyloAudio 3 (Rockpool's XyloIMU mapper fails here)"
    );

    let mapped = map_graph(&g, XyloFamily::Audio2).unwrap();
    let q = global_quantize(&mapped.spec, &QuantizeOptions::default()).unwrap();
    let want = |key: &str| fx.get(&format!("syns61201_q_{key}")).clone();
    assert_eq!(q.weights_in.mapv(f64::from).into_dyn(), want("weights_in"));
    assert_eq!(
        q.weights_rec.mapv(f64::from).into_dyn(),
        want("weights_rec")
    );
    assert_eq!(
        q.weights_out.mapv(f64::from).into_dyn(),
        want("weights_out")
    );
    for (key, got) in [
        ("threshold", &q.threshold),
        ("threshold_out", &q.threshold_out),
        ("dash_mem", &q.dash_mem),
        ("dash_syn", &q.dash_syn),
        ("dash_mem_out", &q.dash_mem_out),
        ("dash_syn_out", &q.dash_syn_out),
        ("bias", &q.bias),
        ("bias_out", &q.bias_out),
    ] {
        assert_eq!(
            got.mapv(f64::from).into_dyn(),
            want(key),
            "quantised `{key}`"
        );
    }
    let report = validate_spec(&q, XyloFamily::Audio2);
    assert!(report.is_valid(), "{report}");

    let raster = fx
        .get("raster")
        .mapv(|x| x as u32)
        .into_dimensionality::<Ix2>()
        .unwrap();
    let mut sim = XyloSim::from_spec(&q, OutputMode::Spike).unwrap();
    let out = sim.evolve(&raster, false).unwrap().output;
    let want = fx
        .get("sim_output")
        .mapv(|x| x as i32)
        .into_dimensionality::<Ix2>()
        .unwrap();
    assert!(want.sum() > 0);
    assert_eq!(out, want, "XyloSim output differs from Rockpool's XyloSim");
}

/// Builds a `drc.json` chain: `["w", n_in, n_out]` or `["n", n, {options}]` blocks in sequence.
fn drc_graph(case: &serde_json::Value) -> Graph {
    let mut g = Graph::new(case["name"].as_str().unwrap());
    let extras = &case["extras"];
    let biased: Vec<u64> = extras["bias"]
        .as_array()
        .map(|a| a.iter().map(|x| x.as_u64().unwrap()).collect())
        .unwrap_or_default();
    let mut blocks = Vec::new();
    for (i, b) in case["blocks"].as_array().unwrap().iter().enumerate() {
        let b = b.as_array().unwrap();
        let name = format!("b{i}");
        let size = |k: usize| b[k].as_u64().unwrap() as usize;
        let block = if b[0] == "w" {
            let bias = biased.contains(&(i as u64)).then(|| Array1::ones(size(2)));
            g.linear(name, Array2::from_elem((size(1), size(2)), 0.5), bias)
                .unwrap()
        } else {
            let n = size(1);
            let none = serde_json::Value::Null;
            let opt = b.get(2).unwrap_or(&none);
            let syn = opt["syn"].as_u64().unwrap_or(1) as usize;
            let dt = match opt.get("dt") {
                Some(v) => v.as_f64(),
                None => Some(1e-3),
            };
            if opt["kind"] == "rate" {
                let p = rockpool_graph::RateNeurons {
                    tau: Array1::from_elem(n, 0.02),
                    bias: Array1::zeros(n),
                    dt,
                };
                g.rate(name, p).unwrap()
            } else {
                let mut p = LifNeurons::new(n, syn);
                p.dt = dt;
                // float32 taus, as the fixture's.
                let f32_tau = |v: Option<f64>| f64::from(v.unwrap_or(0.02) as f32);
                p.tau_mem.fill(f32_tau(opt["tau_mem"].as_f64()));
                p.tau_syn.fill(f32_tau(opt["tau_syn"].as_f64()));
                if opt["rec"] == true {
                    g.lif_recurrent(name, p, Array2::from_elem((n, n * syn), 0.1))
                        .unwrap()
                } else {
                    g.lif(name, p).unwrap()
                }
            }
        };
        blocks.push(block);
    }
    let net = g.sequential("net", &blocks).unwrap();
    if let Some(a) = extras["alias"].as_array() {
        let (i, j) = (
            a[0].as_u64().unwrap() as usize,
            a[1].as_u64().unwrap() as usize,
        );
        g.alias("alias", &blocks[i].outputs, &blocks[j].outputs)
            .unwrap();
    }
    g.set_io(&net).unwrap();
    g
}

/// Every design rule, resource limit and conversion error on the same small graphs as
/// Rockpool's mappers: same outcome (rule name, resource class) and same warnings. Where
/// Rockpool crashes without a design rule, the intended outcome is listed here.
#[test]
fn design_rules_match_rockpool() {
    use rockpool_xylo::{DesignRule, MapError, NeuronClass};
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mapper/drc.json");
    let cases: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(cases.len() >= 20);
    // (case, family, Rockpool's outcome, rockpool-xylo's): Rockpool crashes, or misses a limit.
    let deviations = [
        ("ok_one_hidden", "syns63300", "crash:ValueError", "ok"),
        (
            "rate_neurons",
            "syns61201",
            "crash:ValueError",
            "rule:neurons_are_lif",
        ),
        (
            "rate_neurons",
            "syns63300",
            "crash:IndexError",
            "rule:neurons_are_lif",
        ),
        (
            "rate_neurons",
            "syns65302",
            "crash:IndexError",
            "rule:neurons_are_lif",
        ),
        ("ien_129", "syns63300", "ok", "resources:input-expansion"),
        ("ien_129", "syns65302", "ok", "resources:input-expansion"),
        ("oen_129", "syns63300", "ok", "resources:output-expansion"),
        ("oen_129", "syns65302", "ok", "resources:output-expansion"),
    ];
    let rockpool_warnings = [
        DesignRule::InputChannels,
        DesignRule::OutputChannels,
        DesignRule::WeightNodesHaveNoBiases,
    ];
    let mut checked = 0;
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let g = drc_graph(case);
        for family in XyloFamily::ALL {
            let f = family.part_number();
            let entry = &case["families"][f];
            let mut want = entry["outcome"].as_str().unwrap().to_string();
            if let Some(d) = deviations.iter().find(|d| d.0 == name && d.1 == f) {
                assert_eq!(want, d.2, "{name} {f}: Rockpool's outcome changed");
                want = d.3.to_string();
            }
            assert!(
                !want.starts_with("crash:"),
                "{name} {f}: Rockpool crashes ({want}), no intended outcome listed"
            );
            let want = match want.as_str() {
                "replace:time_constants" => "rule:time_constants_longer_than_dt".to_string(),
                "replace:synapses" => "rule:max_synapses_per_neuron".to_string(),
                w => w.to_string(),
            };
            let got = match map_graph(&g, family) {
                Ok(m) => {
                    let warned: Vec<&str> = m
                        .warnings
                        .iter()
                        .filter(|w| rockpool_warnings.contains(&w.rule))
                        .map(|w| w.rule.name())
                        .collect();
                    let want_warned: Vec<&str> = entry["warnings"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|w| w.as_str().unwrap())
                        .collect();
                    assert_eq!(warned, want_warned, "{name} {f}: warnings");
                    "ok".to_string()
                }
                Err(MapError::DesignRule { rule, .. }) => format!("rule:{rule}"),
                Err(MapError::Resources { class, .. }) => format!(
                    "resources:{}",
                    match class {
                        NeuronClass::Hidden => "hidden",
                        NeuronClass::Output => "output",
                        NeuronClass::InputExpansion => "input-expansion",
                        NeuronClass::OutputExpansion => "output-expansion",
                    }
                ),
                Err(e) => panic!("{name} {f}: unexpected error {e}"),
            };
            assert_eq!(got, want, "{name} {f}");
            checked += 1;
        }
    }
    assert_eq!(checked, cases.len() * 3);
}
