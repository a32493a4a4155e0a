//! The road to a Xylo chip: graph → mapping (design-rule checks, hardware ids) →
//! quantisation → configuration → validation, with a deployment report, on top of
//! [`rockpool_xylo`] (chip descriptions, mapper, quantisers, samna-style JSON, validator and
//! the bit-exact simulator).

use std::fmt;

use ndarray::{Array2, ArrayD};
use rockpool_xylo::{
    MappedNetwork, OutputMode, QuantizeOptions, ValidationReport, XyloConfig, XyloFamily, XyloSim,
    XyloSpec, channel_quantize, config_from_spec, global_quantize, map_graph, validate_config,
};

use crate::error::{Error, Result};
use crate::graph::AsGraph;

pub use rockpool_xylo as core;

/// How float parameters become integers. Parses case-insensitively from `global` or
/// `channel` (in `[xylo] quantize = "channel"`, on the command line as `--quantize channel`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Quantization {
    /// One scale per weight group (input, recurrent, output) — Rockpool's `global_quantize`.
    Global,
    /// One scale per target neuron — Rockpool's `channel_quantize` (default).
    #[default]
    Channel,
}

rockpool_io::text_enum! {
    Quantization("quantisation") {
        Global => "global",
        Channel => "channel",
    }
}

fn xerr(e: impl fmt::Display) -> Error {
    Error::value("xylo", e.to_string())
}

/// A network ready for the chip.
#[derive(Clone, Debug)]
pub struct XyloExport {
    /// The chip family.
    pub family: XyloFamily,
    /// Mapping result (float specification, hardware ids, warnings).
    pub mapped: MappedNetwork,
    /// The quantised specification.
    pub spec: XyloSpec<i32>,
    /// The configuration (samna's JSON layout).
    pub config: XyloConfig,
    /// Every chip limit checked.
    pub validation: ValidationReport,
    /// Human-readable deployment report.
    pub report: Vec<String>,
}

/// Relative RMS error between float weights and integer weights rescaled by the
/// least-squares factor: one factor for the whole group (global quantisation), or one per
/// target neuron, axis 1 (channel quantisation).
fn weights_error(float: &ArrayD<f64>, int: &ArrayD<i32>, per_target: bool) -> Option<f64> {
    let groups = if per_target && float.ndim() > 1 {
        float.shape()[1]
    } else {
        1
    };
    let (mut err, mut total) = (0.0, 0.0);
    for g in 0..groups {
        let pick = |a: &ArrayD<f64>| -> Vec<f64> {
            if groups == 1 {
                a.iter().copied().collect()
            } else {
                a.index_axis(ndarray::Axis(1), g).iter().copied().collect()
            }
        };
        let f = pick(float);
        let q: Vec<f64> = if groups == 1 {
            int.iter().map(|&x| f64::from(x)).collect()
        } else {
            int.index_axis(ndarray::Axis(1), g)
                .iter()
                .map(|&x| f64::from(x))
                .collect()
        };
        let fq: f64 = f.iter().zip(&q).map(|(a, b)| a * b).sum();
        let qq: f64 = q.iter().map(|b| b * b).sum();
        let s = if qq > 0.0 { fq / qq } else { 0.0 };
        err += f
            .iter()
            .zip(&q)
            .map(|(a, b)| (a - s * b).powi(2))
            .sum::<f64>();
        total += f.iter().map(|a| a * a).sum::<f64>();
    }
    (total > 0.0).then(|| (err / total).sqrt())
}

/// Maps, quantises, configures and validates `net` for `family`, and runs the quantised
/// network on a probe raster (`(T, N_in)` input event counts) to catch a silent network.
pub fn export<M: AsGraph>(
    net: &M,
    family: XyloFamily,
    quantization: Quantization,
    fuzzy_scaling: bool,
    probe: &Array2<u32>,
) -> Result<XyloExport> {
    let graph = net.as_graph()?;
    let mapped = map_graph(&graph, family).map_err(xerr)?;
    let opts = QuantizeOptions {
        fuzzy_scaling,
        ..QuantizeOptions::default()
    };
    let spec = match quantization {
        Quantization::Global => global_quantize(&mapped.spec, &opts),
        Quantization::Channel => channel_quantize(&mapped.spec, &opts),
    }
    .map_err(xerr)?;
    let config = config_from_spec(&spec, family).map_err(xerr)?;
    let validation = validate_config(&config);
    let chip = family.chip();
    let dims = spec.dims().map_err(xerr)?;
    let mut report = vec![format!(
        "{} ({}): {quantization:?} quantisation",
        family.product_name(),
        family.part_number()
    )];
    report.push(format!(
        "  input channels  {:>5} / {}",
        dims.n_in, chip.input_channels
    ));
    report.push(format!(
        "  hidden neurons  {:>5} / {}",
        dims.n_hidden, chip.hidden_neurons
    ));
    report.push(format!(
        "  output neurons  {:>5} / {}",
        dims.n_out, chip.output_neurons
    ));
    let nz = |a: &ndarray::ArrayViewD<i32>| a.iter().filter(|&&w| w != 0).count();
    report.push(format!(
        "  synapses (non-zero weights): input {}, recurrent {} (limit {}), output {}",
        nz(&spec.weights_in.view().into_dyn()),
        nz(&spec.weights_rec.view().into_dyn()),
        chip.max_recurrent_synapses,
        nz(&spec.weights_out.view().into_dyn()),
    ));
    for (name, f, q) in [
        (
            "input",
            mapped.spec.weights_in.clone().into_dyn(),
            spec.weights_in.clone().into_dyn(),
        ),
        (
            "recurrent",
            mapped.spec.weights_rec.clone().into_dyn(),
            spec.weights_rec.clone().into_dyn(),
        ),
        (
            "output",
            mapped.spec.weights_out.clone().into_dyn(),
            spec.weights_out.clone().into_dyn(),
        ),
    ] {
        if let Some(e) = weights_error(&f, &q, quantization == Quantization::Channel) {
            report.push(format!(
                "  quantisation error of {name} weights: {:.2} % (relative RMS)",
                100.0 * e
            ));
        }
    }
    for w in &mapped.warnings {
        report.push(format!("  warning: {w}"));
    }
    let zero_dash: Vec<usize> = spec
        .dash_mem
        .iter()
        .chain(spec.dash_syn.iter())
        .enumerate()
        .filter(|(_, d)| **d == 0)
        .map(|(i, _)| i)
        .collect();
    if !zero_dash.is_empty() {
        report.push(format!(
            "  warning: {} hidden time constants round to dash 0 (no memory: the state is cleared every step); increase tau or decrease dt",
            zero_dash.len()
        ));
    }
    if spec
        .dash_mem_out
        .iter()
        .chain(spec.dash_syn_out.iter())
        .any(|d| *d == 0)
    {
        report.push("  warning: an output time constant rounds to dash 0".into());
    }
    // Probe: does the quantised network still do anything?
    let mut sim = XyloSim::from_spec(&spec, OutputMode::Spike).map_err(xerr)?;
    let out = sim.evolve(probe.view(), true).map_err(xerr)?;
    let hidden_spikes: u64 = out
        .record
        .as_ref()
        .map(|r| r.spikes.iter().map(|&s| u64::from(s)).sum())
        .unwrap_or(0);
    let out_spikes: i64 = out.output.iter().map(|&s| i64::from(s)).sum();
    report.push(format!(
        "  probe ({} steps): {hidden_spikes} hidden spikes, {out_spikes} output spikes",
        probe.nrows()
    ));
    if out_spikes == 0 {
        report.push(
            "  warning: the quantised network is silent on the probe input (see Rockpool issue #19): check thresholds, time constants and the quantisation".into(),
        );
    }
    for p in validation.errors() {
        report.push(format!("  error: {p}"));
    }
    for p in validation.warnings() {
        report.push(format!("  warning: {p}"));
    }
    Ok(XyloExport {
        family,
        mapped,
        spec,
        config,
        validation,
        report,
    })
}

/// A Poisson probe raster `(T, n_in)` with event probability `p` per step and channel.
pub fn probe_raster(t: usize, n_in: usize, p: f64, seed: u64) -> Array2<u32> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    Array2::from_shape_fn((t, n_in), |_| u32::from(rng.random::<f64>() < p))
}

/// Classification accuracy of a configuration on the simulated chip: each sample `x[i]`
/// (`[N, T, C]` input event counts) is run from a reset state, followed by `tail_steps` silent
/// steps, and the output channel with the most events is the prediction (none if silent).
pub fn chip_accuracy(
    config: &XyloConfig,
    x: &ndarray::Array3<f32>,
    labels: &[usize],
    tail_steps: usize,
) -> Result<f64> {
    let mut sim = XyloSim::from_config(config, OutputMode::Spike).map_err(xerr)?;
    let (n, t, c) = x.dim();
    let mut correct = 0usize;
    for (i, &label) in labels.iter().enumerate().take(n) {
        sim.reset_state();
        let raster = Array2::from_shape_fn((t + tail_steps, c), |(k, ch)| {
            if k < t {
                x[[i, k, ch]].max(0.0).round() as u32
            } else {
                0
            }
        });
        let out = sim.evolve(raster.view(), false).map_err(xerr)?.output;
        let counts: Vec<i64> = (0..out.ncols())
            .map(|j| out.column(j).iter().map(|&v| i64::from(v)).sum())
            .collect();
        let (best, max) =
            counts.iter().enumerate().fold(
                (0, 0i64),
                |acc, (j, &v)| if v > acc.1 { (j, v) } else { acc },
            );
        if max > 0 && best == label {
            correct += 1;
        }
    }
    Ok(correct as f64 / n.max(1) as f64)
}
