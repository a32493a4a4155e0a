//! Throughput of [`XyloSim`], for comparison with SynSense's C++ simulator xylosim 0.1.3.
//!
//! Two cases, each one `evolve` call over a Poisson input raster of 10 000 time steps:
//!
//! - `full`: a full-size XyloAudio 2 network (16 inputs, 1000 hidden neurons with two
//!   synapses, 8 readout neurons), seeded random int8 weights: each hidden neuron receives
//!   about 4 of the 16 input channels, has 30 recurrent targets (30 000 recurrent synapses,
//!   within the chip's 32 000 and its fan-out of 64), and each readout neuron reads 64 hidden
//!   neurons. Dashes and thresholds give moderate activity: about 0.06 events per hidden neuron
//!   and step (the bench prints the activity of each case).
//! - `example`: `tests/fixtures/example_config_syns61201.json` (3 inputs, 5 hidden, 2 outputs),
//!   where per-step overhead dominates. Its hidden neurons fire near the cap of 31 events per
//!   step on this input.
//!
//! Each case is timed without recording (`evolve`) and with every trace recorded
//! (`evolve_record`; xylosim always records its traces, so that is the like-for-like figure).
//! Criterion reports throughput as elements per second = hidden neuron-steps per second.
//!
//! Before timing, every case writes its network and input under the data directory
//! (`$ROCKPOOL_XYLOSIM_BENCH_DIR`, default `<target dir>/xylosim-bench`), one folder per case:
//! `config.json` (samna's XyloAudio 2 JSON, read with [`XyloConfig::load`]), `input.npy`
//! `(T, Nin)` uint8 event counts, and this simulator's results on it: `output.npy`
//! `(T, Nout)` readout events and `spikes.npy` `(T, Nhid)` hidden events, both uint8.
//! `scripts/bench_xylosim.py` runs xylosim on the same files, checks that its results are
//! identical and prints the comparison. Everything is seeded, so every run writes the same
//! files.
//!
//! `cargo bench -p rockpool-xylo --bench sim` (about 20 s).

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ndarray::{Array2, Array3};
use rockpool_io::{NpyArray, write_npy};
use rockpool_xylo::{
    OutputMode, XyloConfig, XyloFamily, XyloSim, XyloSpec, config_from_spec, validate_spec,
};

/// Time steps of every input raster.
const STEPS: usize = 10_000;

/// SplitMix64: a small, seeded, portable generator, so the files do not depend on a crate's
/// version.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `lo..=hi`.
    fn int(&mut self, lo: i32, hi: i32) -> i32 {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as i32
    }

    /// Poisson-distributed count with mean `lambda` (Knuth's method; small `lambda` only).
    fn poisson(&mut self, lambda: f64) -> u32 {
        let limit = (-lambda).exp();
        let (mut k, mut p) = (0, self.uniform());
        while p > limit {
            k += 1;
            p *= self.uniform();
        }
        k
    }

    /// `k` distinct indices of `0..n`, excluding `skip` (partial Fisher-Yates).
    fn choose(&mut self, n: usize, k: usize, skip: Option<usize>) -> Vec<usize> {
        let mut pool: Vec<usize> = (0..n).filter(|&i| Some(i) != skip).collect();
        for i in 0..k {
            let j = i + (self.next_u64() % (pool.len() - i) as u64) as usize;
            pool.swap(i, j);
        }
        pool.truncate(k);
        pool
    }
}

/// A signed int8 weight: magnitude uniform in `lo..=hi`, positive with probability `p_pos`.
fn weight(rng: &mut Rng, lo: i32, hi: i32, p_pos: f64) -> i32 {
    let m = rng.int(lo, hi);
    if rng.uniform() < p_pos { m } else { -m }
}

/// Hidden thresholds, uniform in this range. With the weights below they give about 0.06
/// events per hidden neuron and step, from about half of the neurons (the others get too
/// little excitatory input), and about 0.03 per readout neuron and step.
const THRESHOLD: (i32, i32) = (5000, 15000);
/// Readout thresholds, uniform in this range.
const THRESHOLD_OUT: (i32, i32) = (6000, 16000);

/// The full-size XyloAudio 2 network (see the module docs).
fn full_spec() -> XyloSpec<i32> {
    let (n_in, n_hid, n_out) = (16, 1000, 8);
    let mut rng = Rng(0x5EED_0001);
    let mut spec = XyloSpec::<i32>::zeros(n_in, n_hid, n_out, 2);
    // Input: each channel reaches about a quarter of the hidden neurons, 85 % excitatory.
    let mut w_in = Array3::<i32>::zeros((n_in, n_hid, 2));
    for c in 0..n_in {
        for h in 0..n_hid {
            if rng.uniform() < 0.25 {
                let s = usize::from(rng.uniform() < 0.3);
                w_in[[c, h, s]] = weight(&mut rng, 16, 127, 0.85);
            }
        }
    }
    spec.weights_in = w_in;
    // Recurrent: 30 random targets per neuron on either synapse, 45 % excitatory.
    for pre in 0..n_hid {
        for post in rng.choose(n_hid, 30, Some(pre)) {
            let s = usize::from(rng.uniform() < 0.5);
            spec.weights_rec[[pre, post, s]] = weight(&mut rng, 8, 127, 0.45);
        }
    }
    // Readout: each output neuron reads 64 hidden neurons.
    for o in 0..n_out {
        for h in rng.choose(n_hid, 64, None) {
            spec.weights_out[[h, o]] = weight(&mut rng, 16, 127, 0.6);
        }
    }
    for h in 0..n_hid {
        spec.dash_mem[h] = rng.int(2, 5);
        spec.dash_syn[h] = rng.int(1, 4);
        spec.dash_syn_2[h] = rng.int(3, 6);
        spec.threshold[h] = rng.int(THRESHOLD.0, THRESHOLD.1);
    }
    for o in 0..n_out {
        spec.dash_mem_out[o] = rng.int(3, 5);
        spec.dash_syn_out[o] = rng.int(2, 4);
        spec.threshold_out[o] = rng.int(THRESHOLD_OUT.0, THRESHOLD_OUT.1);
    }
    spec
}

/// A `(STEPS, n_in)` raster of Poisson event counts, each channel with its own rate in
/// `0.05..0.5` events per step.
fn poisson_raster(n_in: usize, seed: u64) -> Array2<u32> {
    let mut rng = Rng(seed);
    let rates: Vec<f64> = (0..n_in).map(|_| 0.05 + 0.45 * rng.uniform()).collect();
    Array2::from_shape_fn((STEPS, n_in), |(_, c)| rng.poisson(rates[c]).min(15))
}

/// Where the files for the Python side go.
fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ROCKPOOL_XYLOSIM_BENCH_DIR") {
        return dir.into();
    }
    // The bench runs as <target>/release/deps/sim-<hash>.
    let exe = std::env::current_exe().expect("the bench knows its path");
    exe.ancestors()
        .nth(3)
        .expect("the bench runs inside a target directory")
        .join("xylosim-bench")
}

/// One benchmark case: a simulator and its input.
struct Case {
    name: &'static str,
    sim: XyloSim,
    raster: Array2<u32>,
}

/// Writes `config.json`, `input.npy`, `output.npy` and `spikes.npy` of a case into
/// `dir/<name>` and prints its activity.
fn write_case(dir: &Path, case: &mut Case, config: &XyloConfig) {
    let dir = dir.join(case.name);
    std::fs::create_dir_all(&dir).expect("the data directory is writable");
    config.save(dir.join("config.json")).unwrap();
    let u8s = |a: Array2<u32>| NpyArray::from(a.mapv(|x| x as u8).into_dyn());
    write_npy(dir.join("input.npy"), &u8s(case.raster.clone())).unwrap();
    case.sim.reset_state();
    let out = case.sim.evolve(&case.raster, true).unwrap();
    let spikes = out.record.expect("recorded").spikes;
    let events = out.output.mapv(|x| x as u8);
    let mean = |sum: u64, len: usize| sum as f64 / len as f64;
    let hidden_rate = mean(spikes.iter().map(|&x| u64::from(x)).sum(), spikes.len());
    let firing = spikes
        .columns()
        .into_iter()
        .filter(|c| c.iter().any(|&x| x > 0))
        .count();
    let max = spikes.iter().max().copied().unwrap_or(0);
    let out_rate = mean(events.iter().map(|&x| u64::from(x)).sum(), events.len());
    let in_rate = mean(
        case.raster.iter().map(|&x| u64::from(x)).sum(),
        case.raster.len(),
    );
    eprintln!(
        "xylosim-bench {}: {} hidden, {} steps; hidden events/neuron/step {hidden_rate:.4} \
         ({firing} neurons ever fire, max {max}); readout events/neuron/step {out_rate:.4}; \
         input events/channel/step {in_rate:.3}; files in {}",
        case.name,
        spikes.ncols(),
        spikes.nrows(),
        dir.display(),
    );
    write_npy(dir.join("output.npy"), &NpyArray::from(events.into_dyn())).unwrap();
    write_npy(dir.join("spikes.npy"), &NpyArray::from(spikes.into_dyn())).unwrap();
}

/// Builds both cases and writes their files.
fn cases() -> Vec<Case> {
    let dir = data_dir();
    let spec = full_spec();
    let report = validate_spec(&spec, XyloFamily::Audio2);
    assert!(
        report.is_valid(),
        "the full network must fit XyloAudio 2: {report}"
    );
    let full_config = config_from_spec(&spec, XyloFamily::Audio2).unwrap();
    let example_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/example_config_syns61201.json");
    let example_config = XyloConfig::load(&example_path, XyloFamily::Audio2).unwrap();

    let mut out = Vec::new();
    for (name, config, seed) in [
        ("full", full_config, 0x5EED_0002),
        ("example", example_config, 0x5EED_0003),
    ] {
        // Both sides simulate what the written configuration holds.
        let sim = XyloSim::from_config(&config, OutputMode::Spike).unwrap();
        let raster = poisson_raster(sim.dims().n_in, seed);
        let mut case = Case { name, sim, raster };
        write_case(&dir, &mut case, &config);
        out.push(case);
    }
    out
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("xylo_sim");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    for mut case in cases() {
        let neuron_steps = case.sim.dims().n_hidden * case.raster.nrows();
        group.throughput(Throughput::Elements(neuron_steps as u64));
        for (id, record) in [("evolve", false), ("evolve_record", true)] {
            group.bench_function(BenchmarkId::new(id, case.name), |b| {
                b.iter(|| {
                    case.sim.reset_state();
                    case.sim.evolve(&case.raster, record).unwrap()
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
