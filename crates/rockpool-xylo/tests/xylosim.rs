//! Bit-exactness against SynSense's xylosim 0.1.3.
//!
//! Every case in `tests/fixtures/xylosim/` (written by `tests/fixtures/make_fixtures.py`) holds
//! a network, an input raster split into successive `evolve` calls, and everything xylosim
//! returned. The simulator must reproduce the output and every trace exactly, in every output
//! mode.

use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, ArrayD, Axis, Ix1, Ix2, Ix3, concatenate};
use rockpool_xylo::{OutputMode, XyloConfig, XyloFamily, XyloSim, XyloSpec};

const CASES: &[&str] = &[
    "feed_forward",
    "recurrent",
    "two_synapses",
    "biases",
    "aliases",
    "weight_shifts",
    "weight_shift_wrap",
    "saturation",
    "spike_caps",
    "hop_delay",
    "multi_call",
    "expansion",
    "odd_thresholds",
    "random_large",
    "example_config",
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

struct Case {
    arrays: Vec<(String, ArrayD<i64>)>,
}

impl Case {
    fn load(name: &str) -> Case {
        let path = fixtures().join("xylosim").join(format!("{name}.npz"));
        let arrays = rockpool_io::read_npz(&path)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|(k, a)| (k.trim_end_matches(".npy").to_string(), a.to_i64().unwrap()))
            .collect();
        Case { arrays }
    }

    fn get(&self, key: &str) -> &ArrayD<i64> {
        &self
            .arrays
            .iter()
            .find(|(k, _)| k == key)
            .unwrap_or_else(|| panic!("missing array {key}"))
            .1
    }

    fn i32s<D: ndarray::Dimension>(&self, key: &str) -> ndarray::Array<i32, D> {
        self.get(key)
            .mapv(|x| x as i32)
            .into_dimensionality::<D>()
            .unwrap()
    }

    fn spec(&self) -> XyloSpec<i32> {
        let shifts: Array1<i32> = self.i32s::<Ix1>("weight_shifts");
        let aliases: Array2<i32> = self.i32s::<Ix2>("aliases");
        XyloSpec {
            weights_in: self.i32s::<Ix3>("weights_in"),
            weights_rec: self.i32s::<Ix3>("weights_rec"),
            weights_out: self.i32s::<Ix2>("weights_out"),
            dash_mem: self.i32s::<Ix1>("dash_mem"),
            dash_syn: self.i32s::<Ix1>("dash_syn"),
            dash_syn_2: self.i32s::<Ix1>("dash_syn_2"),
            dash_mem_out: self.i32s::<Ix1>("dash_mem_out"),
            dash_syn_out: self.i32s::<Ix1>("dash_syn_out"),
            threshold: self.i32s::<Ix1>("threshold"),
            threshold_out: self.i32s::<Ix1>("threshold_out"),
            bias: self.i32s::<Ix1>("bias"),
            bias_out: self.i32s::<Ix1>("bias_out"),
            weight_shift_in: shifts[0],
            weight_shift_rec: shifts[1],
            weight_shift_out: shifts[2],
            aliases: aliases
                .outer_iter()
                .map(|row| {
                    row.iter()
                        .filter(|&&a| a >= 0)
                        .map(|&a| a as usize)
                        .collect()
                })
                .collect(),
            dt: 1e-3,
        }
    }

    fn input(&self) -> Array2<u32> {
        self.get("input")
            .mapv(|x| x as u32)
            .into_dimensionality::<Ix2>()
            .unwrap()
    }

    fn splits(&self) -> Vec<usize> {
        self.get("splits").iter().map(|&x| x as usize).collect()
    }

    fn expected(&self, key: &str) -> Array2<i64> {
        self.get(key).clone().into_dimensionality::<Ix2>().unwrap()
    }
}

/// Runs `sim` over the case's raster in its successive calls and concatenates the results.
fn run(sim: &mut XyloSim, case: &Case) -> (Array2<i64>, Vec<(&'static str, Array2<i64>)>) {
    let input = case.input();
    let mut outputs = Vec::new();
    let mut traces: Vec<Vec<Array2<i64>>> = vec![Vec::new(); 6];
    let mut start = 0;
    for n in case.splits() {
        let res = sim
            .evolve(input.slice(ndarray::s![start..start + n, ..]), true)
            .unwrap();
        start += n;
        outputs.push(res.output.mapv(i64::from));
        let r = res.record.unwrap();
        for (slot, a) in traces.iter_mut().zip([
            r.vmem.mapv(i64::from),
            r.isyn.mapv(i64::from),
            r.isyn2.mapv(i64::from),
            r.spikes.mapv(i64::from),
            r.vmem_out.mapv(i64::from),
            r.isyn_out.mapv(i64::from),
        ]) {
            slot.push(a);
        }
    }
    let cat = |v: &[Array2<i64>]| {
        concatenate(Axis(0), &v.iter().map(|a| a.view()).collect::<Vec<_>>()).unwrap()
    };
    let names = ["Vmem", "Isyn", "Isyn2", "Spikes", "Vmem_out", "Isyn_out"];
    (
        cat(&outputs),
        names
            .iter()
            .zip(&traces)
            .map(|(n, t)| (*n, cat(t)))
            .collect(),
    )
}

fn first_difference(a: &Array2<i64>, b: &Array2<i64>) -> String {
    if a.shape() != b.shape() {
        return format!("shapes {:?} vs {:?}", a.shape(), b.shape());
    }
    let ((t, n), _) = a
        .indexed_iter()
        .zip(b.iter())
        .find(|((_, x), y)| x != y)
        .map(|(p, _)| p)
        .unwrap();
    format!(
        "first difference at step {t}, neuron {n}: ours {} xylosim {}",
        a[[t, n]],
        b[[t, n]]
    )
}

fn check_case(name: &str, mut sim: XyloSim, case: &Case) {
    for mode in [OutputMode::Spike, OutputMode::Vmem, OutputMode::Isyn] {
        sim.reset_state();
        sim.set_output_mode(mode);
        let (output, traces) = run(&mut sim, case);
        let want = match mode {
            OutputMode::Spike => case.expected("output"),
            OutputMode::Vmem => case.expected("Vmem_out"),
            OutputMode::Isyn => case.expected("Isyn_out"),
        };
        assert!(
            output == want,
            "{name}: output ({mode}) differs: {}",
            first_difference(&output, &want)
        );
        for (key, got) in traces {
            let want = case.expected(key);
            assert!(
                got == want,
                "{name}: {key} differs: {}",
                first_difference(&got, &want)
            );
        }
    }
}

#[test]
fn every_case_matches_xylosim_bit_for_bit() {
    for name in CASES {
        let case = Case::load(name);
        let sim = XyloSim::from_spec(&case.spec(), OutputMode::Spike).unwrap();
        check_case(name, sim, &case);
    }
}

#[test]
fn fixture_directory_holds_exactly_the_listed_cases() {
    let mut found: Vec<String> = std::fs::read_dir(fixtures().join("xylosim"))
        .unwrap()
        .map(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .trim_end_matches(".npz")
                .to_string()
        })
        .collect();
    found.sort();
    let mut listed: Vec<String> = CASES.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(found, listed);
}

#[test]
fn example_configuration_simulates_like_xylosim() {
    let config = XyloConfig::load(
        fixtures().join("example_config_syns61201.json"),
        XyloFamily::Audio2,
    )
    .unwrap();
    let case = Case::load("example_config");
    let spec = rockpool_xylo::spec_from_config(&config).unwrap();
    assert_eq!(spec, case.spec());
    let sim = XyloSim::from_config(&config, OutputMode::Spike).unwrap();
    check_case("example_config (from the JSON file)", sim, &case);
}

#[test]
fn hop_delay_case_shows_one_step_per_hop() {
    let case = Case::load("hop_delay");
    let spikes = case.expected("Spikes");
    let out = case.expected("output");
    let first = |col: ndarray::ArrayView1<i64>| col.iter().position(|&x| x > 0).unwrap();
    // Input arrives at step 1; h0 fires at 1, h1 at 2, h2 at 3, the readout at 4.
    assert_eq!(first(spikes.column(0)), 1);
    assert_eq!(first(spikes.column(1)), 2);
    assert_eq!(first(spikes.column(2)), 3);
    assert_eq!(first(out.column(0)), 4);
}

#[test]
fn spike_caps_case_reaches_the_caps() {
    let case = Case::load("spike_caps");
    assert!(case.get("input").iter().any(|&x| x > 15));
    assert_eq!(case.get("Spikes").iter().max(), Some(&31));
    assert_eq!(case.get("output").iter().max(), Some(&1));
}

#[test]
fn saturation_case_reaches_the_int16_limits() {
    let case = Case::load("saturation");
    // Currents are recorded after their decay, which takes at least one step off the limit.
    for key in ["Isyn", "Isyn2"] {
        let a = case.get(key);
        assert!(
            a.iter().any(|&x| x >= 32766) && a.iter().any(|&x| x <= -32766),
            "{key}"
        );
    }
    assert!(case.get("Vmem").iter().any(|&x| x == -32768));
}
