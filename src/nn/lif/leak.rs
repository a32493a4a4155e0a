//! The leak of a [`Lif`](super::Lif) layer in its three parameterisations (time constants,
//! decays, bit shifts) and the conversions between them:
//!
//! ```text
//! α = exp(−dt/τ)      τ = −dt/ln α      dash = −log2(1 − α)      α = 1 − 2^−dash
//! ```
//!
//! The fused operation takes the leak `1 − α` rather than α: an f32 decay near 1 loses the
//! precision that a slow neuron needs, so the leak is computed without forming α first.

use burn::tensor::Tensor;

use super::{LeakMode, Lif};
use crate::nn::defaults::tau_floor;

/// `α = exp(−dt/τ)`.
pub fn tau_to_decay<const D: usize>(tau: Tensor<D>, dt: f64) -> Tensor<D> {
    (tau.recip() * (-dt)).exp()
}

/// The leak `1 − α = 1 − exp(−dt/τ)`, accurate to a few ulp even where α rounds near 1:
/// computed as `2h/(1+h)` with `h = tanh(dt/2τ)` (there is no `expm1` tensor op).
pub fn tau_to_leak<const D: usize>(tau: Tensor<D>, dt: f64) -> Tensor<D> {
    let h = (tau.recip() * (dt / 2.0)).tanh();
    h.clone() * 2.0 / (h + 1.0)
}

/// The leak `1 − α = 2^−dash`.
pub fn dash_to_leak<const D: usize>(dash: Tensor<D>) -> Tensor<D> {
    (dash * (-std::f64::consts::LN_2)).exp()
}

/// `dash = −log2(1 − α)`.
pub fn decay_to_dash<const D: usize>(alpha: Tensor<D>) -> Tensor<D> {
    ((alpha.neg() + 1.0).log() / (-std::f64::consts::LN_2)).clamp_min(0.0)
}

/// `α = 1 − 2^−dash`.
pub fn dash_to_decay<const D: usize>(dash: Tensor<D>) -> Tensor<D> {
    dash_to_leak(dash).neg() + 1.0
}

/// The leak `1 − α` of time constants `tau` at step `dt`, with τ clamped at the floor
/// ([`tau_floor`]; zero gradient below it), for the models built on the fused LIF operation.
pub fn floored_tau_to_leak<const D: usize>(tau: Tensor<D>, dt: f64) -> Tensor<D> {
    tau_to_leak(tau.clamp_min(tau_floor(dt)), dt)
}

/// Straight-through rounding: forward `round(x)`, gradient 1.
pub fn round_ste<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    x.clone() + (x.clone().round() - x).detach()
}

/// `dash = round(log2(τ/dt))` (at least 0), rounded straight-through: Xylo's integer decay
/// and Rockpool's `LIFBitshiftTorch`.
fn tau_to_integer_dash<const D: usize>(tau: Tensor<D>, dt: f64) -> Tensor<D> {
    round_ste((tau / dt).log() / std::f64::consts::LN_2).clamp_min(0.0)
}

impl Lif {
    /// The decays `(α (N,), β (N·N_syn,))` implied by the parameters, differentiable with
    /// respect to whichever pair the leak mode trains.
    pub fn decays(&self) -> (Tensor<1>, Tensor<1>) {
        let (lm, ls) = self.leaks();
        (lm.neg() + 1.0, ls.neg() + 1.0)
    }

    /// The leaks `(1 − α (N,), 1 − β (N·N_syn,))`, computed without forming α first (see the
    /// module docs). Time constants are clamped at `dt/10`, decays to `[0, 1]` and bit shifts
    /// at 0 (zero gradient beyond); with `quantize_decays` the decays come from integer bit
    /// shifts rounded straight-through.
    pub fn leaks(&self) -> (Tensor<1>, Tensor<1>) {
        fn get<const D: usize>(
            p: &Option<burn::module::Param<Tensor<D>>>,
            mode: &str,
        ) -> Tensor<D> {
            p.as_ref()
                .unwrap_or_else(|| panic!("a Lif in leak mode {mode} holds its {mode}"))
                .val()
        }
        let (n, syn) = (self.n(), self.n_syn());
        let dt = self.dt;
        let (mem, syn_leak) = match self.leak_mode {
            LeakMode::Taus => {
                let floor = tau_floor(dt);
                let tm = get(&self.tau_mem, "taus").clamp_min(floor);
                let ts = get(&self.tau_syn, "taus").clamp_min(floor);
                if self.quantize_decays {
                    (
                        dash_to_leak(tau_to_integer_dash(tm, dt)),
                        dash_to_leak(tau_to_integer_dash(ts, dt)),
                    )
                } else {
                    (tau_to_leak(tm, dt), tau_to_leak(ts, dt))
                }
            }
            LeakMode::Decays => (
                get(&self.alpha, "decays").clamp(0.0, 1.0).neg() + 1.0,
                get(&self.beta, "decays").clamp(0.0, 1.0).neg() + 1.0,
            ),
            LeakMode::Bitshifts => {
                let dm = get(&self.dash_mem, "bitshifts").clamp_min(0.0);
                let ds = get(&self.dash_syn, "bitshifts").clamp_min(0.0);
                if self.quantize_decays {
                    (dash_to_leak(round_ste(dm)), dash_to_leak(round_ste(ds)))
                } else {
                    (dash_to_leak(dm), dash_to_leak(ds))
                }
            }
        };
        (mem, syn_leak.reshape([n * syn]))
    }
}
