//! Xylo mode: quantisation-aware training as a transform over ordinary modules.
//!
//! On a Xylo chip weights are signed 8-bit integers, thresholds and biases signed 16-bit
//! integers on the scale of the weights feeding the neuron, decays integer bit shifts, spike
//! counts capped per step (31 for hidden neurons, 1 for read-out neurons), and an event takes
//! one time step to cross from one hidden layer to the next. Training under those constraints
//! keeps a network's accuracy when it is quantised for the chip.
//!
//! The neuron models and the core [`Evolve`] trait know nothing of this. Two pieces express it:
//!
//! 1. A rewrite of the network configuration ([`XyloMode::for_network`]) into ordinary
//!    modules with ordinary options: integer bit-shift decays (`quantize_decays`), the chip's
//!    spike caps (`max_spikes_per_dt`), and a one-step [`Delay`](crate::nn::Delay) after every
//!    hidden LIF layer.
//! 2. An evolution of the chain built from it ([`XyloMode::evolve`], through
//!    [`Sequential::evolve_each`]) in which each `Linear` uses weights fake-quantised to
//!    `bits`-bit integers (one scale per target neuron or per layer, straight-through
//!    gradient) and each `Lif` after it uses a threshold and bias rounded onto that weight
//!    grid ([`integer_threshold_bias`], through [`Lif::dynamics`] and [`Lif::run`]); a
//!    recurrent hidden `Lif` has its recurrent weights on that grid too, which covers them
//!    (the chip scales a hidden neuron's input and recurrent weights together).
//!
//! [`XyloMode::effective`] bakes the constraints into a plain network (weights and thresholds
//! as the training saw them) for export, so that quantising it gives back the very integers
//! the training used.

use burn::tensor::Tensor;

use crate::error::{Error, Result};
use crate::module::{AttrField, Evolution, Evolve, ModuleView, StateTree};
use crate::network::NetworkConfig;
use crate::nn::{
    DelayConfig, Layer, LayerConfig, Lif, LifState, Linear, NamedLayerConfig, Sequential,
    lif::round_ste,
};
use crate::xylo::Quantization;
use rockpool_xylo::ChipSpec;

/// How one layer of a chain evolves in Xylo mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LayerQuant {
    /// As it is.
    Plain,
    /// A `Linear` with weights fake-quantised to signed `bits`-bit integers, one scale per
    /// group of `group` consecutive output channels (`0`: one scale for the whole layer).
    Weights {
        /// Integer width, 2..=31.
        bits: u32,
        /// Output channels sharing one scale (0: all).
        group: usize,
    },
    /// A `Lif` whose threshold and bias are signed `bits`-bit integers on the grid of the
    /// weights feeding it (see [`integer_threshold_bias`]).
    Thresholds {
        /// Integer width, 2..=31.
        bits: u32,
    },
    /// A `Residual` block whose chain evolves with these settings, one per layer of the block;
    /// the block's input is added to its output (on the chip: the input neurons alias the
    /// block's last neurons).
    Residual(Vec<LayerQuant>),
}

/// Xylo-mode evolution of a flat chain: one [`LayerQuant`] per top-level layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XyloMode {
    layers: Vec<LayerQuant>,
}

impl XyloMode {
    /// One setting per layer of the chain it will evolve; bit widths must be 2..=31.
    pub fn new(layers: Vec<LayerQuant>) -> Result<Self> {
        for (i, l) in layers.iter().enumerate() {
            let bits = match l {
                LayerQuant::Plain => continue,
                LayerQuant::Residual(inner) => {
                    XyloMode::new(inner.clone())?;
                    continue;
                }
                LayerQuant::Weights { bits, .. } | LayerQuant::Thresholds { bits } => *bits,
            };
            if !(2..=31).contains(&bits) {
                return Err(Error::value(
                    format!("Xylo mode, layer {i}"),
                    format!("integer width must be 2..=31 bits, got {bits}"),
                ));
            }
        }
        Ok(Self { layers })
    }

    /// The per-layer settings.
    pub fn layers(&self) -> &[LayerQuant] {
        &self.layers
    }

    /// Rewrites a network configuration for Xylo-mode training on `chip` with export
    /// quantisation `quantization`, and returns it with the evolution settings of the chain it
    /// builds: each `Linear` gets `chip.weight_bits` fake quantisation with one scale per
    /// neuron it feeds ([`Quantization::Channel`]) or per layer (`Global`), each `LIF`
    /// `chip.threshold_bits` thresholds and biases on that grid, bit-shift decays and the
    /// chip's spike caps, and a `Delay` of the chip's hop delay follows each hidden `LIF`.
    ///
    /// Only a flat chain of `linear` and `lif` layers (and dropouts) is supported, where a
    /// `syn_net` layer counts as the chain of its layers; a hidden `lif` with one synapse may
    /// be recurrent (its `w_rec` is fake-quantised on the grid of its input weights), the
    /// read-out `lif` may not.
    pub fn for_network(
        net: &NetworkConfig,
        chip: &ChipSpec,
        quantization: Quantization,
    ) -> Result<(NetworkConfig, XyloMode)> {
        // A SynNet is a chain of linear, lif and dropout layers: rewrite its layers in place.
        let mut flat = Vec::with_capacity(net.layers.len());
        for entry in &net.layers {
            match &entry.layer {
                LayerConfig::SynNet(c) => flat.extend(c.layers()?),
                _ => flat.push(entry.clone()),
            }
        }
        let net = &NetworkConfig {
            seed: net.seed,
            layers: flat,
        };
        let last_lif = net
            .layers
            .iter()
            .rposition(|l| matches!(l.layer, LayerConfig::Lif(_)))
            .ok_or_else(|| Error::config("network", "Xylo mode needs LIF layers"))?;
        let (layers, quant) = rewrite_chain(&net.layers, chip, quantization, Some(last_lif), "")?;
        let net = NetworkConfig {
            seed: net.seed,
            layers,
        };
        Ok((net, XyloMode::new(quant)?))
    }

    fn check(&self, net: &Sequential<Layer>) -> Result<()> {
        if net.len() != self.layers.len() {
            return Err(Error::value(
                "Xylo mode",
                format!(
                    "the settings are for a chain of {} layers, the network has {}",
                    self.layers.len(),
                    net.len()
                ),
            ));
        }
        for (i, (q, m)) in self.layers.iter().zip(net.layers()).enumerate() {
            let ok = match q {
                LayerQuant::Plain => true,
                LayerQuant::Weights { group, .. } => match m {
                    Layer::Linear(l) => {
                        let o = l.weight.val().dims()[1];
                        *group == 0 || o.is_multiple_of(*group)
                    }
                    _ => false,
                },
                LayerQuant::Thresholds { .. } => matches!(m, Layer::Lif(_)),
                LayerQuant::Residual(inner) => match m {
                    Layer::Residual(r) => XyloMode::new(inner.clone())?.check(r.block()).is_ok(),
                    _ => false,
                },
            };
            if !ok {
                return Err(Error::value(
                    format!("Xylo mode, layer {i} ({})", m.class_name()),
                    format!("setting {q:?} does not fit this layer"),
                ));
            }
        }
        Ok(())
    }

    /// Evolves `net` `[B, T, size_in]` from `state` as [`Evolve::evolve_with`] does, with
    /// each layer constrained as its [`LayerQuant`] says (see the module docs). Gradients
    /// reach the float weights, thresholds and biases through straight-through rounding.
    pub fn evolve(
        &self,
        net: &Sequential<Layer>,
        input: Tensor<3>,
        state: StateTree,
        record: bool,
    ) -> Result<Evolution> {
        self.check(net)?;
        // The weight grid of the previous layer's output, when it was fake-quantised.
        let mut grid: Option<Tensor<1>> = None;
        net.evolve_each(input, state, record, |i, layer, x, s, r| {
            let prev = grid.take();
            match (&self.layers[i], layer) {
                (LayerQuant::Residual(inner), Layer::Residual(res)) => {
                    let inner = XyloMode {
                        layers: inner.clone(),
                    };
                    let mut ev = inner.evolve(res.block(), x.clone(), s, r)?;
                    ev.output = ev.output + x;
                    Ok(ev)
                }
                (&LayerQuant::Weights { bits, group }, Layer::Linear(l)) => {
                    let (w, step) = quantized_weights(l, bits, group, net.get(i + 1));
                    grid = Some(step);
                    let input = crate::module::auto_batch(x, l.weight.val().dims()[0], "Linear")?;
                    Ok(Evolution {
                        output: l.forward_with(input, w),
                        state: StateTree::new(),
                        record: StateTree::new(),
                    })
                }
                (&LayerQuant::Thresholds { bits }, Layer::Lif(lif)) => {
                    let mut dynamics = lif.dynamics();
                    if let Some(step) = prev {
                        (dynamics.threshold, dynamics.bias) =
                            integer_threshold_bias(lif, bits, step.clone());
                        // Recurrent weights on the same grid as the input weights.
                        if let Some(w_rec) = dynamics.w_rec.take() {
                            dynamics.w_rec = Some(if w_rec.dims()[1] == step.dims()[0] {
                                fake_quantize_on(w_rec, step)
                            } else {
                                w_rec
                            });
                        }
                    }
                    let b = x.dims()[0];
                    let st = LifState::from_tree(&s, b, lif.n(), lif.n_syn(), "Lif")?;
                    let run = lif.run(x, st, r, dynamics)?;
                    Ok(Evolution {
                        output: run.output,
                        state: run.state.into_tree(),
                        record: run.record,
                    })
                }
                (_, m) => m.evolve_with(x, s, r),
            }
        })
    }

    /// A copy of `net` with the constraints baked in (detached): each constrained `Linear`
    /// holds its fake-quantised weights, each constrained `Lif` the threshold and bias it
    /// evolves with. Evolving the copy plainly gives what [`XyloMode::evolve`] gives (up to
    /// the straight-through gradients), and quantising it for the chip gives back the very
    /// integers the training used.
    pub fn effective(&self, net: &Sequential<Layer>) -> Result<Sequential<Layer>> {
        self.check(net)?;
        let mut out = net.clone();
        let mut grid: Option<Tensor<1>> = None;
        for i in 0..self.layers.len() {
            let prev = grid.take();
            let next = net.get(i + 1).cloned();
            let layer = out.get_mut(i).expect("checked length");
            match (&self.layers[i], layer) {
                (LayerQuant::Residual(inner), Layer::Residual(res)) => {
                    let inner = XyloMode {
                        layers: inner.clone(),
                    };
                    *res.block_mut() = inner.effective(res.block())?;
                }
                (&LayerQuant::Weights { bits, group }, Layer::Linear(l)) => {
                    let (w, step) = quantized_weights(l, bits, group, next.as_ref());
                    l.weight.set_value(w.detach().into(), "Linear.weight")?;
                    grid = Some(step);
                }
                (&LayerQuant::Thresholds { bits }, Layer::Lif(lif)) => {
                    if let Some(step) = prev {
                        let (thr, bias) = integer_threshold_bias(lif, bits, step.clone());
                        lif.threshold
                            .set_value(thr.detach().into(), "Lif.threshold")?;
                        lif.bias.set_value(bias.detach().into(), "Lif.bias")?;
                        if let Some(w_rec) = &mut lif.w_rec {
                            let w = w_rec.val();
                            if w.dims()[1] == step.dims()[0] {
                                let q = fake_quantize_on(w, step).detach();
                                w_rec.set_value(q.into(), "Lif.w_rec")?;
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// The weight grid `(size_out,)` of layer `index` of `net` when it is a fake-quantised
    /// `Linear` (see [`quantization_step`]).
    pub fn weight_step(&self, net: &Sequential<Layer>, index: usize) -> Option<Tensor<1>> {
        match (self.layers.get(index)?, net.get(index)?) {
            (LayerQuant::Weights { bits, group }, Layer::Linear(l)) => {
                Some(quantized_weights(l, *bits, *group, net.get(index + 1)).1)
            }
            _ => None,
        }
    }
}

/// The Xylo-mode rewrite of one chain (the network, or a `Residual` block's layers; `readout` is
/// the index of the read-out `lif` in the network's chain, `None` inside a block, whose layers
/// are all hidden). `path` prefixes layer positions in errors.
fn rewrite_chain(
    chain: &[NamedLayerConfig],
    chip: &ChipSpec,
    quantization: Quantization,
    readout: Option<usize>,
    path: &str,
) -> Result<(Vec<NamedLayerConfig>, Vec<LayerQuant>)> {
    let (mut layers, mut quant) = (Vec::new(), Vec::new());
    for (i, entry) in chain.iter().enumerate() {
        let at = format!("layer {path}{i}");
        let mut e = entry.clone();
        let is_readout = readout == Some(i);
        let q = match &mut e.layer {
            LayerConfig::Linear(_) => {
                // Channel quantisation scales each target neuron (all its synapses) alone.
                let n_syn = match chain.get(i + 1).map(|l| &l.layer) {
                    Some(LayerConfig::Lif(l)) => l.n_syn,
                    _ => 1,
                };
                LayerQuant::Weights {
                    bits: chip.weight_bits,
                    group: match quantization {
                        Quantization::Channel => n_syn,
                        Quantization::Global => 0,
                    },
                }
            }
            LayerConfig::Lif(c) => {
                if c.has_rec && (is_readout || c.n_syn != 1) {
                    return Err(Error::config(
                        "network",
                        format!(
                            "{at}: {}",
                            if is_readout {
                                "the read-out layer of a Xylo chip cannot be recurrent"
                            } else {
                                "Xylo-mode training quantises the recurrent weights of \
                                 one-synapse hidden layers only"
                            }
                        ),
                    ));
                }
                c.quantize_decays = true;
                c.max_spikes_per_dt = f64::from(if is_readout {
                    chip.max_output_spikes
                } else {
                    chip.max_hidden_spikes
                });
                // One integer grid of one width holds a LIF's thresholds and biases.
                LayerQuant::Thresholds {
                    bits: chip.threshold_bits.min(chip.bias_bits),
                }
            }
            LayerConfig::Residual(block) => {
                check_residual(chain, i, readout, &block.layers, &at)?;
                let (inner, q) = rewrite_chain(
                    &block.layers,
                    chip,
                    quantization,
                    None,
                    &format!("{path}{i}."),
                )?;
                block.layers = inner;
                LayerQuant::Residual(q)
            }
            LayerConfig::Delay(_)
            | LayerConfig::UnitDropout(_)
            | LayerConfig::TimeStepDropout(_) => LayerQuant::Plain,
            other => {
                return Err(Error::config(
                    "network",
                    format!(
                        "{at}: Xylo mode supports chains of linear and lif layers (and residual \
                         blocks of them), found {other:?}"
                    ),
                ));
            }
        };
        let hidden_lif = match &e.layer {
            LayerConfig::Lif(c) if !is_readout => Some(c.n),
            _ => None,
        };
        layers.push(e);
        quant.push(q);
        if let Some(n) = hidden_lif {
            // The chip's hop delay between hidden layers.
            layers.push(NamedLayerConfig {
                name: None,
                layer: LayerConfig::Delay(DelayConfig {
                    n,
                    steps: chip.hop_delay_steps,
                }),
            });
            quant.push(LayerQuant::Plain);
        }
    }
    Ok((layers, quant))
}

/// A `Residual` block at position `i` of `chain` maps onto the chip when it is hidden (before
/// the read-out), follows a hidden `lif` layer (whose neurons alias the block's last ones) and
/// ends with a `lif` layer of the same size. With the hop delay after every hidden `lif`, the
/// trained timing is the chip's: the block's neurons at step t carry their own events (driven
/// by the input at t − 1) plus the aliased input events of step t.
fn check_residual(
    chain: &[NamedLayerConfig],
    i: usize,
    readout: Option<usize>,
    block: &[NamedLayerConfig],
    at: &str,
) -> Result<()> {
    let bad = |why: &str| {
        Err(Error::config(
            "network",
            format!("{at} (residual block): {why}"),
        ))
    };
    if readout.is_none_or(|r| i > r) {
        return bad("a residual block must be a hidden layer, before the read-out lif");
    }
    let source = chain[..i].iter().rev().find(|l| {
        !matches!(
            l.layer,
            LayerConfig::Delay(_) | LayerConfig::UnitDropout(_) | LayerConfig::TimeStepDropout(_)
        )
    });
    let Some(LayerConfig::Lif(src)) = source.map(|l| &l.layer) else {
        return bad(
            "on the chip the skip path is an alias of hidden neurons, so the block must follow a lif layer",
        );
    };
    let last = block.iter().rev().find(|l| {
        !matches!(
            l.layer,
            LayerConfig::UnitDropout(_) | LayerConfig::TimeStepDropout(_)
        )
    });
    match last.map(|l| &l.layer) {
        Some(LayerConfig::Lif(c)) if c.n == src.n => Ok(()),
        Some(LayerConfig::Lif(c)) => bad(&format!(
            "its last lif has {} neurons, the lif before it {}: aliases pair them one to one",
            c.n, src.n
        )),
        _ => bad("the block must end with a lif layer (the neurons its input aliases onto)"),
    }
}

/// A layer's weights fake-quantised, and their grid `(size_out,)` (detached). When the layer
/// feeds a recurrent `Lif` (`next`), the grid of each target neuron covers its recurrent
/// weights too, as the chip's quantisation scales a hidden neuron's input and recurrent
/// weights together.
fn quantized_weights(
    l: &Linear,
    bits: u32,
    group: usize,
    next: Option<&Layer>,
) -> (Tensor<2>, Tensor<1>) {
    let w = l.weight.val();
    let mut step = quantization_step(w.clone().detach(), bits, group);
    if let Some(Layer::Lif(lif)) = next
        && let Some(w_rec) = &lif.w_rec
        && w_rec.val().dims()[1] == step.dims()[0]
    {
        step = step.max_pair(quantization_step(w_rec.val().detach(), bits, group));
    }
    (fake_quantize_on(w, step.clone()), step)
}

/// `2^(bits−1) − 1`, the largest signed `bits`-bit integer.
fn max_signed(bits: u32) -> f64 {
    f64::from((1u32 << (bits.clamp(2, 31) - 1)) - 1)
}

/// The threshold and bias `(N,)` a LIF layer uses in Xylo mode: signed `bits`-bit integers on
/// the grid `step` `(N·N_syn,)` of the weights feeding it (neuron `j` uses the step of its
/// synapse 0), as the chip stores them (`m = 2^(bits−1) − 1`, 32767 for 16 bits):
///
/// ```text
/// θ_used = clamp(round(θ/Δ), 1, m)·Δ        b_used = clamp(round(b/Δ), −m, m)·Δ
/// ```
///
/// so that quantising the trained layer with that scale gives back the very integers the
/// training used: a threshold cannot overflow its register nor round to 0. The rounding
/// passes the gradient straight through; past the clamp it is zero. A grid of another size
/// leaves the parameters as they are.
pub fn integer_threshold_bias(lif: &Lif, bits: u32, step: Tensor<1>) -> (Tensor<1>, Tensor<1>) {
    let (thr, bias) = (lif.threshold.val(), lif.bias.val());
    let (n, syn) = (lif.n(), lif.n_syn());
    if step.dims() != [n * syn] {
        return (thr, bias);
    }
    let step = step.reshape([n, syn]).slice([0..n, 0..1]).reshape([n]);
    let m = max_signed(bits);
    let on_grid = |x: Tensor<1>, lo: f64| round_ste(x / step.clone()).clamp(lo, m) * step.clone();
    (on_grid(thr, 1.0), on_grid(bias, -m))
}

/// Rounds `w` onto a grid of signed `bits`-bit integers times one scale
/// `max|w| / (2^(bits−1) − 1)`, passing the gradient straight through to the float weights.
pub fn fake_quantize<const D: usize>(w: Tensor<D>, bits: u32) -> Tensor<D> {
    let levels = max_signed(bits);
    let max = w.clone().abs().max().detach().into_scalar::<f32>();
    if max <= 0.0 {
        return w;
    }
    let scale = f64::from(max) / levels;
    let q = (w.clone().detach() / scale).round() * scale;
    w.clone() + (q - w.detach())
}

/// The quantisation steps `(N_out,)` of a weight matrix `w` `(N_in, N_out)` on signed
/// `bits`-bit integers: `max|w| / (2^(bits−1) − 1)` over the whole matrix (`group` 0) or over
/// each group of `group` consecutive columns; a group of zeros gets step 1 (its weights stay
/// 0, its thresholds are rounded as they are).
pub fn quantization_step(w: Tensor<2>, bits: u32, group: usize) -> Tensor<1> {
    let levels = max_signed(bits);
    let [i, o] = w.dims();
    let a = w.abs();
    let max = if group == 0 || group >= o {
        a.max().reshape([1]).expand([o])
    } else {
        let g = o / group;
        a.reshape([i, g, group])
            .max_dim(2)
            .max_dim(0)
            .reshape([g, 1])
            .expand([g, group])
            .reshape([o])
    };
    let step = max / levels;
    let zero = step.clone().lower_equal_elem(0.0);
    step.mask_fill(zero, 1.0)
}

/// Rounds each column `j` of `w` `(N_in, N_out)` to integer multiples of `step[j]`, passing
/// the gradient straight through to the float weights.
pub fn fake_quantize_on(w: Tensor<2>, step: Tensor<1>) -> Tensor<2> {
    let step = step.unsqueeze_dim::<2>(0);
    let q = (w.clone().detach() / step.clone()).round() * step;
    w.clone() + (q - w.detach())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{close, device};

    #[test]
    fn fake_quantisation_rounds_forward_and_passes_gradients() {
        let dev = device().autodiff();
        let w = Tensor::<1>::from_floats([0.5, -1.27, 0.013], &dev).require_grad();
        let q = fake_quantize(w.clone(), 8);
        // scale = 1.27/127 = 0.01: 0.5 → 50, −1.27 → −127, 0.013 → 1.
        close(
            &q.clone().into_data().try_to_vec_as::<f32>().unwrap(),
            &[0.5, -1.27, 0.01],
            1e-6,
        );
        let g = (q * Tensor::<1>::from_floats([1.0, 2.0, 3.0], &dev))
            .sum()
            .backward();
        close(
            &w.grad(&g)
                .unwrap()
                .into_data()
                .try_to_vec_as::<f32>()
                .unwrap(),
            &[1.0, 2.0, 3.0],
            0.0,
        );
    }

    #[test]
    fn grouped_steps_and_bad_widths() {
        let dev = device();
        // Columns 0–1 share max 0.5, columns 2–3 max 0.254; an all-zero group gets step 1.
        let w = Tensor::<2>::from_floats([[0.5, -0.1, 0.254, 0.0], [0.2, 0.3, -0.1, 0.0]], &dev);
        let step = quantization_step(w.clone(), 8, 2);
        close(
            &step.into_data().try_to_vec_as::<f32>().unwrap(),
            &[0.5 / 127.0, 0.5 / 127.0, 0.254 / 127.0, 0.254 / 127.0],
            1e-9,
        );
        let zeros = Tensor::<2>::zeros([2, 2], &dev);
        close(
            &quantization_step(zeros, 8, 1)
                .into_data()
                .try_to_vec_as::<f32>()
                .unwrap(),
            &[1.0, 1.0],
            0.0,
        );
        let err = XyloMode::new(vec![LayerQuant::Thresholds { bits: 40 }])
            .unwrap_err()
            .to_string();
        assert!(err.contains("40") && err.contains("layer 0"), "{err}");
    }
}
