//! NIR graphs ([`rockpool_nir`]) to and from rockpool networks.
//!
//! **Import** walks a graph from its `Input` to its `Output` as a chain (a node whose two
//! successors meet again is a residual block: NIR adds what arrives at a node) and builds a
//! [`Sequential`](crate::nn::Sequential) of our modules. NIR states continuous-time ODEs; we discretise them exactly at
//! a time step `dt`, taking every input spike of weight `x` as an impulse at the start of its
//! step, and fold the constants into the weights before each neuron (`g`, one per neuron, scales
//! the neuron's column of the preceding `Linear`, bias included) and into the bias:
//!
//! | NIR node | equations | our module | mapping (α = e^{−dt/τ_mem}, β = e^{−dt/τ_syn}) |
//! | --- | --- | --- | --- |
//! | `CubaLIF` | τ_syn İ = −I + w_in·S, τ_mem v̇ = v_leak − v + R·I | `Lif` (one synapse) | `g = R·w_in·(β − α) / (β·(τ_syn − τ_mem))` (`R·w_in·dt/τ²` when τ_syn = τ_mem = τ), `bias = (1 − α)·v_leak` |
//! | `CubaLI` | the same without spikes | `Lif` with `output = "vmem"`, threshold 2¹⁵ | as `CubaLIF` |
//! | `LIF` | τ v̇ = v_leak − v + R·I | `LifNeuron` | `g = α·R/τ`, `bias = (1 − α)·v_leak` |
//! | `IF` | v̇ = R·I | `LifNeuron` with no leak (τ = 10³⁰ s) | `g = R` |
//! | `LI` | τ v̇ = v_leak − v + R·I | `ExpSyn` (τ) | `g = R/τ`; `v_leak` must be 0 |
//! | `Affine`, `Linear` | y = W x (+ b), W `[out, in]` | `Linear`, W transposed to `[in, out]` | — |
//! | `Scale` | y = s ⊙ x | a diagonal `Linear` | — |
//! | `Delay` | y(t) = x(t − τ) | `Delay` of `round(τ/dt)` steps (one τ for all channels) | — |
//! | `Flatten` | reshape | `Flatten` | — |
//! | `Conv1d`, `Conv2d`, `SumPool2d`, `AvgPool2d` | | `Conv1d`, `Conv2d`, `Pool2d` | NIR's layouts are ours |
//!
//! With these constants the membrane potential of our discrete neuron equals the exact solution
//! of the NIR equations at every step boundary. NIR's spikes are binary: imported neurons emit at
//! most one spike per step (`max_spikes_per_dt = 1`), and an exported network with a larger cap
//! loses it. Two differences remain and are documented rather
//! than hidden: our neurons reset by subtracting the threshold (NIR sets `v ← v_reset`; an import
//! with a non-zero `v_reset` is refused), and a recurrent connection (a cycle
//! `neuron → Affine/Linear → neuron`, which becomes the neuron's `w_rec`) acts one step later, the
//! implicit delay a discrete-time reader must insert. The bias of an `Affine` is added once per
//! step, like its spikes, as the discrete-time frameworks that write NIR (snnTorch, Norse,
//! Rockpool) use it; NIR's continuous reading would make it a constant current (a factor `dt`
//! apart; the two agree for zero biases). A neuron whose input is not a
//! `Linear`/`Affine` gets a diagonal `Linear` carrying `g`. `I` (no reset, no leak) and
//! `Threshold` have no counterpart yet and are refused, naming the node.
//!
//! **Conventions of the exporters** ([`Source`]): frameworks write the same model with
//! different numbers. `nir` (the default) takes the file as the spec states it. `snntorch`
//! writes `dt = 10⁻⁴ s` implicitly (`τ = dt/(1 − β)`, `R = τ/dt`, `w_in = τ_syn/dt`): its files
//! are imported at `dt = 10⁻⁴` unless `--dt` says otherwise. `rockpool` (Rockpool's own
//! `to_nir`) writes `R = τ_mem·e^{−dt/τ_mem}/dt` and `v_leak = 0` (its bias is lost): its `dt` is
//! recovered as `min(τ/(1 + R))` as Rockpool's `from_nir` does. Sources: `snntorch/export_nir.py`,
//! `rockpool/nn/modules/torch/nir.py` (see `../shared/reference/nir.md`).
//!
//! **Export** writes `Linear` (with or without bias) as `Linear`/`Affine` with W transposed,
//! `Lif` with one synapse as `CubaLIF` (`w_in = 1`, `R` chosen so that `g = 1`,
//! `v_leak = bias/(1 − α)`), a recurrent `Lif` as a subgraph-free cycle
//! `name → name.w_rec → name`, `LifNeuron` as `LIF`, `ExpSyn` as `LI`, `Delay`, `Flatten`, `Conv*`
//! and `Pool2d`, nested chains (dotted names) and residual blocks (the block's input also feeds
//! the node after it), and stores `dt` in the graph's metadata; importing the file at that `dt` gives
//! back the same network. Other modules (`Rate`, multi-synapse `Lif`, …) are refused by name.

mod chain;
mod config;
mod export;
mod import;

pub use config::network_config;
pub use export::export;
pub use import::import;

/// [`import`] under the name the NIR tools use.
pub use import::import as to_network;

/// [`export`] under the name the NIR tools use.
pub use export::export as from_network;

/// Writes `graph` to `path` (atomically; see [`rockpool_nir::write`]).
///
/// # Errors
/// [`Error::Value`] naming the file.
pub fn write(graph: &NirGraph, path: &std::path::Path) -> Result<()> {
    rockpool_nir::write(graph, path)
        .map_err(|e| Error::value(path.display().to_string(), e.to_string()))
}

use rockpool_nir::{Array, NirGraph, Node};

use crate::error::{Error, Result};

/// Reads a NIR file: with Python `nir`'s shape checks along edges, or, when a file breaks
/// only those (some exporters write `Output` shapes with extra axes), without them; the second
/// case is reported in the returned note.
///
/// # Errors
/// [`Error::Value`] naming the file and the problem.
pub fn read(path: &std::path::Path) -> Result<(NirGraph, Option<String>)> {
    // The reader's errors name the file themselves.
    let fail = |e: rockpool_nir::NirError| Error::value("NIR file", e.to_string());
    match rockpool_nir::read(path) {
        Ok(g) => Ok((g, None)),
        Err(strict) => {
            let loose = rockpool_nir::CheckOptions { edge_shapes: false };
            let g = rockpool_nir::read_with_options(path, loose).map_err(fail)?;
            Ok((
                g,
                Some(format!(
                    "read without the shape checks along edges: {strict}"
                )),
            ))
        }
    }
}

/// Whose export conventions a file follows (see the [module docs](self)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Source {
    /// The NIR specification (default).
    #[default]
    Nir,
    /// Rockpool's `to_nir`.
    Rockpool,
    /// snnTorch's `export_to_nir`.
    Snntorch,
    /// Norse (follows the spec; its `dt` is taken from the metadata or `--dt`).
    Norse,
    /// Sinabs (follows the spec).
    Sinabs,
    /// Spyx (follows the spec).
    Spyx,
    /// Lava-DL (follows the spec).
    Lava,
}

rockpool_io::text_enum! {
    Source("NIR source") {
        Nir => "nir",
        Rockpool => "rockpool",
        Snntorch => "snntorch",
        Norse => "norse",
        Sinabs => "sinabs",
        Spyx => "spyx",
        Lava => "lava" | "lava-dl" | "lava_dl",
    }
}

pub(crate) fn err(node: &str, m: impl std::fmt::Display) -> Error {
    Error::value(format!("NIR node '{node}'"), m.to_string())
}

pub(crate) fn vec64(a: &Array) -> Vec<f64> {
    a.to_f64().iter().copied().collect()
}

/// The time step to import `graph` at: `dt` if given, else the source's convention, else the
/// graph's `metadata.dt`, else 1 ms.
pub fn import_dt(graph: &NirGraph, source: Source, dt: Option<f64>) -> Result<f64> {
    let dt = match (dt, source) {
        (Some(dt), _) => dt,
        (None, Source::Snntorch) => 1e-4,
        (None, Source::Rockpool) => rockpool_dt(graph).unwrap_or(crate::nn::defaults::DT),
        (None, _) => graph
            .metadata
            .get("dt")
            .and_then(|v| v.as_f64())
            .unwrap_or(crate::nn::defaults::DT),
    };
    if !(dt.is_finite() && dt > 0.0) {
        return Err(Error::value(
            "--dt",
            format!("{dt}: must be a positive time step in seconds"),
        ));
    }
    Ok(dt)
}

/// Rockpool's `from_nir` rule: `dt = min(τ/(1 + R))` over its neurons.
fn rockpool_dt(graph: &NirGraph) -> Option<f64> {
    let mut best: Option<f64> = None;
    for node in graph.nodes.values() {
        let (tau, r) = match node {
            Node::CubaLif(n) => (vec64(&n.tau_mem), vec64(&n.r)),
            Node::Lif(n) => (vec64(&n.tau), vec64(&n.r)),
            Node::Li(n) => (vec64(&n.tau), vec64(&n.r)),
            _ => continue,
        };
        for (t, r) in tau.iter().zip(&r) {
            let v = t / (1.0 + r);
            if v.is_finite() && v > 0.0 {
                best = Some(best.map_or(v, |b: f64| b.min(v)));
            }
        }
    }
    best
}

/// A neuron's input gain `g` and its bias, per neuron (see the [module docs](self)).
pub(crate) fn cuba_gain(
    tau_syn: &[f64],
    tau_mem: &[f64],
    r: &[f64],
    w_in: &[f64],
    dt: f64,
) -> Vec<f64> {
    (0..tau_mem.len())
        .map(|j| {
            let (ts, tm) = (tau_syn[j], tau_mem[j]);
            let (a, b) = ((-dt / tm).exp(), (-dt / ts).exp());
            let k = if ((ts - tm) / tm).abs() < 1e-9 {
                dt / (tm * tm)
            } else {
                (b - a) / (b * (ts - tm))
            };
            r[j] * w_in[j] * k
        })
        .collect()
}
