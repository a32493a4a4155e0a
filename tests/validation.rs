//! Values validated where they enter (issue 13): unknown keys in every network table, the same
//! value checks through TOML, builders and `set_attributes`, sizes refused before allocation,
//! empty evolutions, and non-finite inputs refused by the checked entry point.

mod common;

use burn::tensor::Tensor;
use rockpool::module::{Evolve, ModuleExt, Tree, Value};
use rockpool::network::NetworkConfig;
use rockpool::nn::{Layer, LifConfig, LinearConfig, RateConfig, Sequential};

/// One network file per built-in module kind, each a single layer of 3 channels.
const LAYERS: &[&str] = &[
    "type = \"linear\"\nsize_in = 3\nsize_out = 3\nhas_bias = true",
    "type = \"rate\"\nn = 3\nhas_rec = true",
    "type = \"instant\"\nn = 3\nfunction = \"tanh\"",
    "type = \"lif\"\nn = 3\nhas_rec = true",
    "type = \"alif\"\nn = 3",
    "type = \"delay\"\nn = 3\nsteps = 2",
    "type = \"exp_syn\"\nn = 3",
    "type = \"lif_neuron\"\nn = 3",
    "type = \"sequential\"\n[[layers.layers]]\ntype = \"lif\"\nn = 3",
    "type = \"residual\"\n[[layers.layers]]\ntype = \"rate\"\nn = 3",
];

fn build(layer: &str) -> Sequential<Layer> {
    let text = format!("[[layers]]\n{layer}\n");
    NetworkConfig::from_toml_str(&text, "net.toml")
        .unwrap_or_else(|e| panic!("{layer}: {e}"))
        .build(&common::device())
        .unwrap_or_else(|e| panic!("{layer}: {e}"))
}

fn parse_err(text: &str) -> String {
    match NetworkConfig::from_toml_str(text, "net.toml") {
        Ok(cfg) => panic!("accepted: {cfg:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn unknown_keys_are_refused_in_every_table_with_the_accepted_keys() {
    // aLIF (its LIF part was flattened, which disabled the check).
    let err = parse_err("[[layers]]\ntype = \"alif\"\nn = 3\ntau_ahpp = 0.1\n");
    assert!(
        err.contains("tau_ahpp") && err.contains("tau_ahp") && err.contains("tau_mem"),
        "{err}"
    );
    // Sequential and residual blocks: `layerz` used to build an empty block.
    for kind in ["sequential", "residual"] {
        let err = parse_err(&format!(
            "[[layers]]\ntype = \"{kind}\"\n[[layers.layerz]]\ntype = \"rate\"\nn = 3\n"
        ));
        assert!(
            err.contains("layerz") && err.contains("`layers`"),
            "{kind}: {err}"
        );
    }
    // Inside a nested block, and next to a name.
    let err = parse_err(
        "[[layers]]\ntype = \"residual\"\n[[layers.layers]]\ntype = \"lif\"\nname = \"a\"\nn = 3\nthreshhold = 2\n",
    );
    assert!(
        err.contains("threshhold") && err.contains("threshold"),
        "{err}"
    );
    // Every kind still parses with its own keys.
    for layer in LAYERS {
        build(layer);
    }
    // An empty block is refused with a clear message rather than building nothing.
    let text = "[[layers]]\ntype = \"sequential\"\n";
    let err = NetworkConfig::from_toml_str(text, "net.toml")
        .unwrap()
        .build(&common::device())
        .unwrap_err()
        .to_string();
    assert!(err.contains("no layers"), "{err}");
}

#[test]
fn alif_round_trips_through_toml() {
    let text = "[[layers]]\ntype = \"alif\"\nn = 2\ntau_ahp = 0.05\nw_ahp = -0.5\ntau_mem = 0.03\n";
    let cfg = NetworkConfig::from_toml_str(text, "net.toml").unwrap();
    let again = NetworkConfig::from_toml_str(&cfg.to_toml(), "again.toml").unwrap();
    assert_eq!(format!("{:?}", cfg.layers), format!("{:?}", again.layers));
    let net = again.build(&common::device()).unwrap();
    let taus = net.parameters("taus");
    let tau_ahp = taus.get("0_aLIF.tau_ahp").expect("tau_ahp");
    assert!((tau_ahp.value.as_f64().unwrap_or(0.05) - 0.05).abs() < 1e-6);
}

fn set_err(net: &mut Sequential<Layer>, path: &[&str], value: Value) -> String {
    let mut tree = Tree::new().with(*path.last().unwrap(), value);
    for name in path[..path.len() - 1].iter().rev() {
        tree = Tree::new().with_branch(*name, tree);
    }
    match net.set_attributes(&tree) {
        Ok(()) => panic!("{path:?}: accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn set_attributes_applies_the_checks_of_the_builders() {
    let dev = common::device();
    let mut net = build("type = \"lif\"\nn = 3\nhas_rec = true");
    let cases: &[(&str, f64, &str)] = &[
        ("tau_mem", 0.0, "positive"),
        ("tau_mem", -0.01, "positive"),
        ("tau_syn", f64::NAN, "finite"),
        ("tau_syn", f64::INFINITY, "finite"),
        ("threshold", f64::NAN, "finite"),
        ("threshold", 0.0, "positive"),
        ("bias", f64::NEG_INFINITY, "finite"),
        ("w_rec", f64::NAN, "finite"),
        ("dt", 0.0, "positive"),
        ("dt", f64::INFINITY, "finite"),
        ("noise_std", -1.0, "non-negative"),
        ("max_spikes_per_dt", 0.5, "at least 1"),
    ];
    for &(name, x, rule) in cases {
        let err = set_err(&mut net, &["0_LIF", name], Value::Float(x));
        assert!(
            err.contains(&format!("LIF.{name}"))
                && err.contains(rule)
                && err.contains(&format!("{x}")),
            "{name} = {x}: {err}"
        );
    }
    // A tensor names the entry.
    let tau = Tensor::<1>::from_floats([0.02, f32::NAN, 0.02], &dev);
    let err = set_err(&mut net, &["0_LIF", "tau_mem"], tau.into());
    assert!(err.contains("NaN") && err.contains("entry 1"), "{err}");
    // Nothing was changed by the refused values.
    let p = net.parameters(());
    let tau_mem = p.get("0_LIF.tau_mem").unwrap().value.to_data();
    let v = tau_mem.convert::<f32>().try_to_vec::<f32>().unwrap();
    assert!(v.iter().all(|&x| (x - 0.02).abs() < 1e-7), "{v:?}");
    // Good values still go in.
    let ok = Tree::new().with_branch(
        "0_LIF",
        Tree::new()
            .with("tau_mem", Value::Float(0.05))
            .with("dt", Value::Float(5e-4)),
    );
    net.set_attributes(&ok).unwrap();

    // Rate: τ checked, a zero or negative threshold is fine (it is a shift).
    let mut net = build("type = \"rate\"\nn = 3");
    let err = set_err(&mut net, &["0_Rate", "tau"], Value::Float(-1.0));
    assert!(
        err.contains("Rate.tau") && err.contains("positive"),
        "{err}"
    );
    let ok = Tree::new().with_branch("0_Rate", Tree::new().with("threshold", Value::Float(-0.5)));
    net.set_attributes(&ok).unwrap();

    // aLIF: its own and its LIF part's attributes.
    let mut net = build("type = \"alif\"\nn = 3");
    for (name, x) in [("tau_ahp", 0.0), ("threshold", -1.0), ("w_ahp", f64::NAN)] {
        let err = set_err(&mut net, &["0_aLIF", name], Value::Float(x));
        assert!(err.contains(&format!("aLIF.{name}")), "{name}: {err}");
    }
    // LIFNeuron threshold, ExpSyn tau, Linear weight.
    let mut net = build("type = \"lif_neuron\"\nn = 3");
    let err = set_err(&mut net, &["0_LIFNeuron", "threshold"], Value::Float(0.0));
    assert!(err.contains("positive"), "{err}");
    let mut net = build("type = \"exp_syn\"\nn = 3");
    let err = set_err(&mut net, &["0_ExpSyn", "tau"], Value::Float(0.0));
    assert!(err.contains("positive"), "{err}");
    let mut net = build("type = \"linear\"\nsize_in = 3\nsize_out = 3");
    let err = set_err(
        &mut net,
        &["0_Linear", "weight"],
        Value::Float(f64::INFINITY),
    );
    assert!(
        err.contains("Linear.weight") && err.contains("finite"),
        "{err}"
    );
}

#[test]
fn builders_and_toml_refuse_the_same_values() {
    let dev = common::device();
    let bad_lif = [
        LifConfig::new(2).with_tau_mem(f64::INFINITY),
        LifConfig::new(2).with_threshold(f64::NAN),
        LifConfig::new(2).with_rec(true).with_rec_scale(f64::NAN),
        LifConfig::new(2).with_dt(f64::INFINITY),
        LifConfig::new(2).with_noise_std(f64::INFINITY),
        LifConfig::new(2).with_max_spikes(f64::INFINITY),
    ];
    for cfg in bad_lif {
        assert!(cfg.init(&dev).is_err(), "{cfg:?}");
    }
    assert!(
        RateConfig::new(2)
            .with_dt(f64::INFINITY)
            .init(&dev)
            .is_err()
    );
    assert!(
        RateConfig::new(2)
            .with_noise_std(f64::NAN)
            .init(&dev)
            .is_err()
    );
    let text = "[[layers]]\ntype = \"lif\"\nn = 2\nhas_rec = true\nrec_scale = nan\n";
    let err = NetworkConfig::from_toml_str(text, "net.toml")
        .unwrap()
        .build(&dev)
        .unwrap_err()
        .to_string();
    assert!(err.contains("rec_scale") && err.contains("NaN"), "{err}");
}

#[test]
fn sizes_are_refused_before_allocation() {
    let dev = common::device();
    let err = LinearConfig::new(1 << 32, 1 << 32)
        .try_init(&dev)
        .unwrap_err()
        .to_string();
    assert!(err.contains("Linear") && err.contains("limit"), "{err}");
    let err = LinearConfig::new(100_000, 100_000)
        .try_init(&dev)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("10000000000") && err.contains("ROCKPOOL_MAX_ELEMENTS"),
        "{err}"
    );
    for layer in [
        "type = \"lif\"\nn = 1000000000000",
        "type = \"alif\"\nn = 1000000000000",
        "type = \"rate\"\nn = 1000000000000",
        "type = \"lif_neuron\"\nn = 1000000000000",
        "type = \"exp_syn\"\nn = 1000000000000",
        "type = \"instant\"\nn = 1000000000000",
        "type = \"delay\"\nn = 1000000000000",
        "type = \"lif\"\nn = 100000\nhas_rec = true",
        "type = \"rate\"\nn = 100000\nhas_rec = true",
        "type = \"lif\"\nn = 4294967296\nn_syn = 4294967296",
    ] {
        let text = format!("[[layers]]\n{layer}\n");
        let err = NetworkConfig::from_toml_str(&text, "net.toml")
            .unwrap()
            .build(&dev)
            .unwrap_err()
            .to_string();
        assert!(err.contains("limit"), "{layer}: {err}");
    }
}

#[test]
fn empty_evolutions_give_empty_results_and_keep_the_state() {
    let dev = common::device();
    for layer in LAYERS {
        let mut net = build(layer);
        let n_out = net.size_out();
        // Move the state away from zero first, so that "unchanged" means something.
        net.evolve(Tensor::<3>::ones([1, 4, 3], &dev), false)
            .unwrap();
        let before = format!("{:?}", net.state().map(&mut |a| a.value.to_string()));
        for (b, t) in [(1, 0), (0, 5), (0, 0), (2, 0)] {
            let ev = net
                .evolve(Tensor::<3>::zeros([b, t, 3], &dev), true)
                .unwrap_or_else(|e| panic!("{layer} [{b}, {t}, 3]: {e}"));
            assert_eq!(ev.output.dims(), [b, t, n_out], "{layer}");
            let after = format!("{:?}", net.state().map(&mut |a| a.value.to_string()));
            assert_eq!(
                before, after,
                "{layer}: state changed by an empty evolution"
            );
            // The pure form too.
            let state = net.batched_state(b);
            let ev = net
                .evolve_with(Tensor::<3>::zeros([b, t, 3], &dev), state, true)
                .unwrap_or_else(|e| panic!("{layer} evolve_with [{b}, {t}, 3]: {e}"));
            assert_eq!(ev.output.dims(), [b, t, n_out], "{layer}");
        }
        // The `[T, N]` form with no time steps.
        let ev = net.evolve(Tensor::<2>::zeros([0, 3], &dev), false).unwrap();
        assert_eq!(ev.output.dims(), [1, 0, n_out], "{layer}");
        // Zero channels is a shape error naming the expected size.
        let err = net
            .evolve(Tensor::<3>::zeros([1, 5, 0], &dev), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("(batch, time, 3)"), "{layer}: {err}");
    }
}

#[test]
fn non_finite_and_huge_inputs_are_refused_with_their_index() {
    let dev = common::device();
    for layer in LAYERS {
        let mut net = build(layer);
        for (x, rule) in [
            (f32::INFINITY, "finite"),
            (f32::NEG_INFINITY, "finite"),
            (f32::NAN, "finite"),
            (3e38, "magnitude"),
        ] {
            let mut v = vec![0.5f32; 2 * 4 * 3];
            v[4 * 3 + 2 * 3 + 1] = x; // batch 1, step 2, channel 1
            let input = Tensor::<1>::from_floats(v.as_slice(), &dev).reshape([2, 4, 3]);
            let err = net.evolve(input, false).unwrap_err().to_string();
            assert!(
                err.contains(rule)
                    && err.contains(&format!("got {x:e}"))
                    && err.contains("[batch 1, time step 2, channel 1]"),
                "{layer} {x}: {err}"
            );
        }
    }
}

#[test]
fn timed_inputs_without_values_are_refused() {
    use ndarray::Array2;
    use rockpool::timed::TimedExt;
    use rockpool::timeseries::{TimeSeries, TsContinuous, TsEvent};

    let net = build("type = \"rate\"\nn = 3");
    let mut timed = net.timed(Some(1e-3)).unwrap();
    let all_nan = TsContinuous::new(vec![0.0, 0.01], Array2::from_elem((2, 3), f64::NAN))
        .unwrap()
        .with_name("silence");
    let err = timed
        .evolve(Some(&TimeSeries::Continuous(all_nan)), None, None, false)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("'silence'")
            && err.contains("every sample is NaN")
            && err.contains("10 time steps"),
        "{err}"
    );
    // One NaN: its time and channel, at the user's dt.
    let mut v = Array2::from_elem((3, 3), 0.5);
    v[[1, 2]] = f64::NAN;
    let one = TsContinuous::new(vec![0.0, 0.002, 0.004], v).unwrap();
    timed.reset_all();
    let err = timed
        .evolve(Some(&TimeSeries::Continuous(one)), None, None, false)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("t = 0.002 s") && err.contains("channel 2") && err.contains("NaN"),
        "{err}"
    );
    // Too many steps for the element limit: refused before the input is built.
    timed.reset_all();
    let err = timed
        .evolve(None, None, Some(usize::MAX / 2), false)
        .unwrap_err()
        .to_string();
    assert!(err.contains("limit"), "{err}");

    // A raster of too many steps states the user's dt, not 1 s.
    let events = TsEvent::new(vec![0.0], vec![0], 1.0).unwrap();
    let err = events
        .raster_counts(1e-3, None, None, Some(usize::MAX), None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("of 0.001 s") && !err.contains("of 1 s"),
        "{err}"
    );
    let err = events
        .raster_counts(1e-3, None, None, Some(1 << 20), Some(&vec![0; 1 << 13]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("8192 channels") && err.contains("cells"),
        "{err}"
    );
}

#[test]
fn parameter_files_get_the_same_checks() {
    use rockpool::persist::{load_parameters, parameter_arrays};
    use rockpool_io::NpyArray;

    let dir = std::env::temp_dir().join(format!("rockpool-validation-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut net = build("type = \"lif\"\nn = 3");
    let before = format!("{:?}", net.parameters(()).map(&mut |a| a.value.to_string()));
    for (key, x, rule) in [
        ("0_LIF.tau_mem", 0.0f32, "positive"),
        ("0_LIF.tau_syn", f32::NAN, "finite"),
        ("0_LIF.threshold", f32::INFINITY, "finite"),
        ("0_LIF.threshold", -1.0, "positive"),
    ] {
        let arrays: Vec<(String, NpyArray)> = parameter_arrays(&net)
            .into_iter()
            .map(|(k, a)| {
                if k == key {
                    let shape = a.shape().to_vec();
                    (k, NpyArray::F32(ndarray::ArrayD::from_elem(shape, x)))
                } else {
                    (k, a)
                }
            })
            .collect();
        let path = dir.join("params.npz");
        rockpool_io::write_npz(&path, &arrays).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let err = load_parameters(&mut net, &path).unwrap_err().to_string();
        assert!(
            err.contains("params.npz") && err.contains(rule),
            "{key} = {x}: {err}"
        );
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "the file is unchanged"
        );
        let after = format!("{:?}", net.parameters(()).map(&mut |a| a.value.to_string()));
        assert_eq!(before, after, "{key}: the module is unchanged");
    }
    std::fs::remove_dir_all(&dir).ok();
}
