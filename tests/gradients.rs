//! Gradients of every neuron model against central finite differences of the model's own
//! forward function ("gradients of every neuron model and surrogate against finite
//! differences"). `tests/lif.rs` compares the fused LIF backward with Burn's autodiff of a
//! tensor reference; here the reference is the forward itself.
//!
//! Spike counts are piecewise constant, so a finite difference of a loss on spikes is zero
//! almost everywhere. The checks are built where the true derivative exists:
//!
//! * **Sub-threshold**: `L = Σ c·y` (fixed random `c`) on continuous outputs — the LIF / aLIF
//!   membrane read-out (`LifOutput::Vmem`) with a threshold nothing reaches, ExpSyn's current,
//!   Rate's activation (ReLU away from its kink), Linear — for the input and every parameter,
//!   in every LIF leak mode. A non-zero initial state (membrane, currents, last spikes, AHP
//!   current) lets `w_rec`, `w_ahp` and `tau_ahp` act without spikes.
//! * **With spikes** (subtractive resets, recurrence, multi-spike, the AHP feedback): the same
//!   membrane loss with the spike raster held fixed. Every pre-spike membrane keeps a margin
//!   from every kink `kθ` of the spike function (asserted; the seeds are chosen for it), the
//!   finite-difference steps are shrunk per entry so that no pre-spike membrane moves by more
//!   than a quarter of that margin, every perturbed run is asserted to give the same raster,
//!   and the surrogate (a fast sigmoid of slope 1e7) contributes nothing at that distance. The
//!   loss then depends on the spikes only through the reset `θ·S` and the recurrent input
//!   `S·W_rec`, both differentiable with the raster fixed, so the model's gradient must equal
//!   the finite difference — including `θ`, `w_rec`, `w_ahp`, `tau_ahp`.
//! * **LifNeuron** emits spikes only. Its finite differences give the raster-fixed
//!   sensitivities `P[t] = ∂U[t]/∂p` of the pre-spike membrane (from the records); the
//!   surrogate-linearised neuron — `δS = σ_u·δU + σ_θ·δθ`, each `δS` fed back through the reset
//!   `V = U − θ·S` — then predicts `dL/dp` for `L = Σ c·S`, which the backward must reproduce,
//!   for every surrogate kind (`σ` from `Surrogate::grads`, whose formulas are checked against
//!   finite differences of their primitives in `src/nn/surrogate.rs`).
//!
//! Acceptance, per parameter: `|fd − ad| ≤ 2e-3·max|ad| + floor`, where `floor` bounds what the
//! f32 rounding of the outputs does to the difference quotient (`4·ε·‖c∘y‖₂ / Δp`; for the
//! LifNeuron chain `4·ε·max|U|·‖∂L/∂U‖₂ / Δp`), and `max|ad|` must exceed ten floors (no
//! vacuous check). The worst `|fd − ad| / max|ad|` of every case is printed.

mod common;

use burn::module::Param;
use burn::tensor::{Gradients, Tensor, TensorData};
use common::{device, vals};
use rockpool::module::{DynTensor, Evolve, ModuleExt, StateTree, Tree, Value};
use rockpool::nn::{
    ALif, ALifConfig, Activation, ExpSyn, ExpSynConfig, LeakMode, Lif, LifConfig, LifNeuron,
    LifNeuronConfig, LifOutput, Linear, LinearConfig, PerNeuron, Rate, RateConfig, Surrogate,
};

/// Relative tolerance, of the largest gradient entry checked for a parameter.
const RTOL: f64 = 2e-3;
/// Smallest distance of a pre-spike membrane to a kink `kθ`, in units of `θ`, in the spiking
/// cases.
const SPIKE_MARGIN: f64 = 2e-3;
/// A surrogate whose gradient vanishes beyond the margin (`1/(1 + 1e7·|U − θ|)² < 1e-8` for
/// `|U − θ| ≥ 1e-3`, and every threshold with it is at least 0.7).
const FLAT: Surrogate = Surrogate::FastSigmoid { slope: 1e7 };

/// Largest finite-difference steps in the spiking cases (shrunk per entry by [`perturbed`]
/// to keep clear of the kinks).
fn spike_step(name: &str) -> Step {
    match name {
        "x" | "bias" => Step::Abs(1e-3),
        "w_rec" => Step::Rel(1e-2),
        _ => Step::Rel(1e-3),
    }
}

/// SplitMix64: a small deterministic generator, so that the inputs do not depend on the
/// backend's random streams.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
    fn vec(&mut self, n: usize, lo: f64, hi: f64) -> Vec<f32> {
        (0..n)
            .map(|_| (lo + (hi - lo) * self.next()) as f32)
            .collect()
    }
    /// `k` distinct indices below `n`, sorted.
    fn indices(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        while out.len() < k.min(n) {
            let i = ((self.next() * n as f64) as usize).min(n - 1);
            if !out.contains(&i) {
                out.push(i);
            }
        }
        out.sort_unstable();
        out
    }
}

fn tensor<const D: usize>(v: Vec<f32>, shape: [usize; D]) -> Tensor<D> {
    Tensor::from_data(TensorData::new(v, shape), &device().autodiff())
}

fn record(ev: &rockpool::module::Evolution, key: &str) -> Vec<f64> {
    common::values(ev.record.get(key).unwrap_or_else(|| panic!("record {key}")))
}

/// A state tree from `(name, values, shape)` entries.
fn state(entries: Vec<(&str, Vec<f32>, Vec<usize>)>) -> StateTree {
    let mut t = Tree::new();
    for (name, v, shape) in entries {
        let d = DynTensor::from_data(TensorData::new(v, shape), &device().autodiff()).unwrap();
        t.insert(name, d);
    }
    t
}

/// What one forward run gives the checks.
struct Probe {
    /// The output, flattened (the loss `Σ c·out` is formed from it on the host, in f64).
    out: Vec<f64>,
    /// What must not change under a perturbation: spike counts, or ReLU's active set.
    pattern: Vec<f64>,
    /// Smallest distance of the run to a kink of the forward function (spiking models: of a
    /// pre-spike membrane to `kθ`, relative to `θ`; ReLU: of `x − θ` to 0).
    margin: f64,
    /// Pre-spike membrane `U` `[B, T, N]` (spiking models).
    u: Vec<f64>,
    /// Thresholds `(N,)` (spiking models).
    thr: Vec<f64>,
}

impl Probe {
    fn smooth(out: Vec<f64>) -> Self {
        Probe {
            out,
            pattern: Vec::new(),
            margin: f64::INFINITY,
            u: Vec::new(),
            thr: Vec::new(),
        }
    }

    /// From the post-reset membrane and spike records `[B, T, N]` and the thresholds:
    /// `U = V + θ·S` and its distance to the nearest kink `kθ`, `1 ≤ k ≤ max`.
    fn spiking(out: Vec<f64>, vmem: &[f64], spikes: Vec<f64>, thr: &[f64], max: f64) -> Self {
        let n = thr.len();
        let u: Vec<f64> = vmem
            .iter()
            .zip(&spikes)
            .enumerate()
            .map(|(i, (v, s))| v + thr[i % n] * s)
            .collect();
        let margin = u
            .iter()
            .enumerate()
            .map(|(i, &u)| {
                let th = thr[i % n];
                let k = (u / th).round().clamp(1.0, max);
                (u - k * th).abs() / th
            })
            .fold(f64::INFINITY, f64::min);
        Probe {
            out,
            pattern: spikes,
            margin,
            u,
            thr: thr.to_vec(),
        }
    }
}

/// How far to perturb a value `p`.
#[derive(Clone, Copy)]
enum Step {
    /// `h` itself.
    Abs(f64),
    /// `r·|p|`.
    Rel(f64),
    /// `r·(1 − p)`: for a decay `p` near 1, relative to its leak.
    Leak(f64),
}

impl Step {
    fn at(self, p: f64) -> f64 {
        match self {
            Step::Abs(h) => h,
            Step::Rel(r) => r * p.abs(),
            Step::Leak(r) => r * (1.0 - p),
        }
    }
}

/// One quantity to differentiate: the input `"x"` or a parameter, at some flat indices.
struct Fd {
    name: &'static str,
    entries: Vec<usize>,
    step: Step,
}

fn fd(name: &'static str, entries: Vec<usize>, step: Step) -> Fd {
    Fd {
        name,
        entries,
        step,
    }
}

fn param_values<M: ModuleExt>(m: &M, name: &str) -> (Vec<f32>, Vec<usize>) {
    let params = m.parameters(());
    let attr = params
        .get(name)
        .unwrap_or_else(|| panic!("'{name}' is a trainable parameter"));
    let Value::Tensor(t) = &attr.value else {
        panic!("'{name}' is a tensor")
    };
    (t.to_vec_f32(), t.shape())
}

/// A copy of `m` with one entry of a parameter replaced, through the attribute API.
fn with_entry<M: ModuleExt + Clone>(m: &M, name: &str, idx: usize, value: f32) -> M {
    let (mut v, shape) = param_values(m, name);
    v[idx] = value;
    let mut out = m.clone();
    out.set_attributes(&Tree::new().with(name, Value::Data(TensorData::new(v, shape))))
        .unwrap();
    out
}

/// Gradients of a model's parameters by name. (The attribute view's tensors are reshaped
/// copies, separate autodiff nodes, so the gradient is read from the parameter fields.)
trait ParamGrads {
    fn param_grad(&self, name: &str, g: &Gradients) -> Option<Vec<f64>>;
}

fn grad_of<const D: usize>(p: &Param<Tensor<D>>, g: &Gradients) -> Option<Vec<f64>> {
    p.val().grad(g).map(vals)
}

fn grad_opt<const D: usize>(p: &Option<Param<Tensor<D>>>, g: &Gradients) -> Option<Vec<f64>> {
    p.as_ref().and_then(|p| grad_of(p, g))
}

impl ParamGrads for Lif {
    fn param_grad(&self, name: &str, g: &Gradients) -> Option<Vec<f64>> {
        match name {
            "tau_mem" => grad_opt(&self.tau_mem, g),
            "tau_syn" => grad_opt(&self.tau_syn, g),
            "alpha" => grad_opt(&self.alpha, g),
            "beta" => grad_opt(&self.beta, g),
            "dash_mem" => grad_opt(&self.dash_mem, g),
            "dash_syn" => grad_opt(&self.dash_syn, g),
            "bias" => grad_of(&self.bias, g),
            "threshold" => grad_of(&self.threshold, g),
            "w_rec" => grad_opt(&self.w_rec, g),
            _ => None,
        }
    }
}

impl ParamGrads for ALif {
    fn param_grad(&self, name: &str, g: &Gradients) -> Option<Vec<f64>> {
        match name {
            "w_ahp" => grad_of(&self.w_ahp, g),
            "tau_ahp" => grad_of(&self.tau_ahp, g),
            _ => self.lif.param_grad(name, g),
        }
    }
}

impl ParamGrads for LifNeuron {
    fn param_grad(&self, name: &str, g: &Gradients) -> Option<Vec<f64>> {
        match name {
            "tau_mem" => grad_of(&self.tau_mem, g),
            "bias" => grad_of(&self.bias, g),
            "threshold" => grad_of(&self.threshold, g),
            _ => None,
        }
    }
}

impl ParamGrads for ExpSyn {
    fn param_grad(&self, name: &str, g: &Gradients) -> Option<Vec<f64>> {
        (name == "tau").then(|| grad_of(&self.tau, g)).flatten()
    }
}

impl ParamGrads for Rate {
    fn param_grad(&self, name: &str, g: &Gradients) -> Option<Vec<f64>> {
        match name {
            "tau" => grad_of(&self.tau, g),
            "bias" => grad_of(&self.bias, g),
            "threshold" => grad_of(&self.threshold, g),
            "w_rec" => grad_opt(&self.w_rec, g),
            _ => None,
        }
    }
}

impl ParamGrads for Linear {
    fn param_grad(&self, name: &str, g: &Gradients) -> Option<Vec<f64>> {
        match name {
            "weight" => grad_of(&self.weight, g),
            "bias" => grad_opt(&self.bias, g),
            _ => None,
        }
    }
}

/// The model gradient of `check.name` (`"x"`: the input `xin`).
fn model_grad<M: ParamGrads>(m: &M, xin: &Tensor<3>, name: &str, g: &Gradients) -> Vec<f64> {
    if name == "x" {
        vals(xin.grad(g).expect("input gradient"))
    } else {
        m.param_grad(name, g)
            .unwrap_or_else(|| panic!("no gradient for '{name}'"))
    }
}

type Run<'a, M> = &'a dyn Fn(&M, Tensor<3>) -> (Tensor<3>, Probe);

/// The perturbed runs `p ± h` of one entry: returns the two probes, `Δp` (the difference of the
/// f32 values actually used) and the largest shift of a pre-spike membrane, in units of `θ`.
///
/// For a spiking model the step is at most `step`, and shrunk (from a trial run at
/// `p + step/100`) so that no pre-spike membrane moves by more than a quarter of the base run's margin to a
/// kink; asserted: the raster (or ReLU's active set) is unchanged, and no pre-spike membrane
/// moved by more than half the margin, so the perturbed runs stay clear of every kink too.
#[allow(clippy::too_many_arguments)]
fn perturbed<M: ModuleExt + Clone>(
    case: &str,
    m: &M,
    x: &[f32],
    shape: [usize; 3],
    run: Run<'_, M>,
    base: &Probe,
    name: &str,
    idx: usize,
    step: Step,
) -> (Probe, Probe, f64, f64) {
    let p0 = f64::from(if name == "x" {
        x[idx]
    } else {
        param_values(m, name).0[idx]
    });
    let at = |v: f32| {
        let probe = if name == "x" {
            let mut xv = x.to_vec();
            xv[idx] = v;
            run(m, tensor(xv, shape)).1
        } else {
            run(&with_entry(m, name, idx, v), tensor(x.to_vec(), shape)).1
        };
        let n = base.thr.len().max(1);
        let shift = probe
            .u
            .iter()
            .zip(&base.u)
            .enumerate()
            .map(|(i, (a, b))| (a - b).abs() / base.thr[i % n])
            .fold(0.0f64, f64::max);
        (probe, shift)
    };
    let mut h = step.at(p0);
    if !base.u.is_empty() && base.margin.is_finite() {
        // The shift is linear in the step while no spike flips: measure it at a hundredth.
        let (_, trial) = at((p0 + h / 100.0) as f32);
        let target = base.margin / 4.0;
        if 100.0 * trial > target {
            h *= target / (100.0 * trial);
        }
    }
    let (pp, pm) = ((p0 + h) as f32, (p0 - h) as f32);
    let go = |v: f32| {
        let (probe, shift) = at(v);
        assert!(
            probe.pattern == base.pattern,
            "{case}: perturbing {name}[{idx}] by {h:e} changed the spike raster / active set"
        );
        assert!(
            shift <= base.margin / 2.0,
            "{case}: perturbing {name}[{idx}] by {h:e} moves a pre-spike membrane by {shift:e}·θ \
             (margin {:e})",
            base.margin
        );
        (probe, shift)
    };
    let ((plus, s1), (minus, s2)) = (go(pp), go(pm));
    (plus, minus, f64::from(pp) - f64::from(pm), s1.max(s2))
}

/// `Σ c·y` and `‖c∘y‖₂`.
fn loss(c: &[f32], y: &[f64]) -> (f64, f64) {
    assert_eq!(c.len(), y.len());
    let l = c.iter().zip(y).map(|(&c, y)| f64::from(c) * y).sum();
    let n = c
        .iter()
        .zip(y)
        .map(|(&c, y)| (f64::from(c) * y).powi(2))
        .sum::<f64>()
        .sqrt();
    (l, n)
}

/// Compares finite differences with the model gradient at the given entries; returns the worst
/// `|fd − ad| / max|ad|` per quantity.
/// One compared entry.
#[derive(Debug)]
struct Row {
    idx: usize,
    /// From finite differences.
    fd: f64,
    /// The model's gradient.
    ad: f64,
    /// Rounding floor of `fd`.
    floor: f64,
    /// Largest shift of a pre-spike membrane in the perturbed runs, in units of `θ`.
    shift: f64,
}

/// Compares finite differences with the model gradient at the given entries; returns the
/// worst `|fd − ad| / max|ad|`.
fn compare(case: &str, what: &str, rows: &[Row]) -> f64 {
    let scale = rows.iter().fold(0.0f64, |m, r| m.max(r.ad.abs()));
    let floor = rows.iter().fold(0.0f64, |m, r| m.max(r.floor));
    let shift = rows.iter().fold(0.0f64, |m, r| m.max(r.shift));
    // Not vacuous: the derivative (by either side, so that a model gradient that is wrongly
    // zero fails below) stands well above the rounding floor.
    let size = rows.iter().fold(scale, |m, r| m.max(r.fd.abs()));
    assert!(
        size > 10.0 * floor && size > 1e-6,
        "{case}: d/d{what} is too small to check ({size:e}, floor {floor:e}): {rows:?}"
    );
    if rows
        .iter()
        .any(|r| (r.fd - r.ad).abs() > RTOL * scale + r.floor)
    {
        eprintln!("{case}: d/d{what}: {rows:?}");
    }
    let mut worst = 0.0f64;
    for r in rows {
        let err = (r.fd - r.ad).abs();
        assert!(
            err <= RTOL * scale + r.floor,
            "{case}: d/d{what}[{}]: finite difference {:e}, model {:e} \
             (|diff| {err:e} > {RTOL}·{scale:e} + {:e})",
            r.idx,
            r.fd,
            r.ad,
            r.floor
        );
        worst = worst.max(err / scale);
    }
    let shifted = if shift > 0.0 {
        format!(", U shifted ≤ {shift:.1e}·θ")
    } else {
        String::new()
    };
    eprintln!(
        "{case}: d/d{what} ({} entries, max |grad| {scale:.3e}, floor {floor:.1e}{shifted}): \
         worst |fd − ad| / max|ad| = {worst:.2e}",
        rows.len()
    );
    worst
}

/// The main check: `L = Σ c·y` on the model's output, autodiff against central differences.
#[allow(clippy::too_many_arguments)]
fn check_loss<M: ModuleExt + ParamGrads + Clone>(
    case: &str,
    m: &M,
    x: &[f32],
    shape: [usize; 3],
    c: &[f32],
    validate: &dyn Fn(&Probe),
    run: Run<'_, M>,
    checks: &[Fd],
) -> Probe {
    let xin = tensor(x.to_vec(), shape).require_grad();
    let (out, base) = run(m, xin.clone());
    validate(&base);
    let ct = tensor(c.to_vec(), out.dims());
    let grads = (out * ct).sum().backward();
    let ads: Vec<Vec<f64>> = checks
        .iter()
        .map(|check| model_grad(m, &xin, check.name, &grads))
        .collect();
    for (check, ad) in checks.iter().zip(&ads) {
        let rows: Vec<_> = check
            .entries
            .iter()
            .map(|&idx| {
                let (plus, minus, dp, shift) =
                    perturbed(case, m, x, shape, run, &base, check.name, idx, check.step);
                let (lp, np) = loss(c, &plus.out);
                let (lm, nm) = loss(c, &minus.out);
                Row {
                    idx,
                    fd: (lp - lm) / dp,
                    ad: ad[idx],
                    floor: 4.0 * f64::from(f32::EPSILON) * np.max(nm) / dp,
                    shift,
                }
            })
            .collect();
        compare(case, check.name, &rows);
    }
    base
}

/// No validation (smooth models).
fn smooth(_: &Probe) {}

/// A spiking model's run without any spike, its membrane staying below `(1 − margin)·θ` but
/// reaching at least `reach` (in absolute value).
fn no_spikes(case: &str, margin: f64, reach: f64) -> impl Fn(&Probe) + '_ {
    move |p: &Probe| {
        let umax = p.u.iter().fold(0.0f64, |a, &u| a.max(u.abs()));
        eprintln!("{case}: max |U| {umax:.3}, margin to θ {:.3e}", p.margin);
        assert!(p.pattern.iter().all(|&s| s == 0.0), "{case}: no spikes");
        assert!(
            p.margin >= margin,
            "{case}: U comes {:e}·θ close to θ",
            p.margin
        );
        assert!(umax >= reach, "{case}: the membrane moves (max |U| {umax})");
    }
}

/// A run with spikes: at least `total` spikes and `multi` multi-spike steps, every pre-spike
/// membrane at least `SPIKE_MARGIN`·θ away from a kink `kθ`.
fn with_spikes(case: &str, total: f64, multi: usize) -> impl Fn(&Probe) + '_ {
    move |p: &Probe| {
        let got: f64 = p.pattern.iter().sum();
        let got_multi = p.pattern.iter().filter(|&&s| s >= 2.0).count();
        let umax = p.u.iter().fold(0.0f64, |a, &u| a.max(u.abs()));
        eprintln!(
            "{case}: {got} spikes, {got_multi} multi-spike steps, max |U| {umax:.3}, \
             margin {:.3e}·θ",
            p.margin
        );
        assert!(
            p.margin >= SPIKE_MARGIN,
            "{case}: a pre-spike membrane lies {:e}·θ from a kink (needs {SPIKE_MARGIN:e})",
            p.margin
        );
        assert!(got >= total, "{case}: {got} spikes, wanted ≥ {total}");
        assert!(
            got_multi >= multi,
            "{case}: {got_multi} multi-spike steps, wanted ≥ {multi}"
        );
        // Every neuron spikes, so that its reset, threshold, recurrent row and AHP weight act.
        let n = p.thr.len();
        for j in 0..n {
            assert!(
                (0..p.pattern.len() / n).any(|r| p.pattern[r * n + j] > 0.0),
                "{case}: neuron {j} never spikes"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// LIF with the membrane read-out.

const B: usize = 2;
const T: usize = 60;
/// Time step of every model here (the default).
const DT: f64 = 1e-3;

const LIF_TAU_MEM: [f64; 4] = [0.012, 0.02, 0.035, 0.008];
const LIF_TAU_SYN: [f64; 8] = [0.005, 0.02, 0.01, 0.04, 0.008, 0.03, 0.015, 0.006];
const ALIF_TAU_MEM: [f64; 3] = [0.02, 0.01, 0.03];
const ALIF_TAU_SYN: [f64; 6] = [0.006, 0.02, 0.012, 0.04, 0.01, 0.008];
const NEURON_TAU_MEM: [f64; 4] = [0.01, 0.02, 0.005, 0.03];

/// Per input channel `k` of neurons with these time constants (`S = tau_syn.len() / N`
/// synapses; none for `tau_syn` empty, the input entering the membrane directly): the inverse
/// of the channel's DC gain into the membrane, and the inverse of the peak of its impulse
/// response.
fn channel_gains(tau_mem: &[f64], tau_syn: &[f64]) -> Vec<(f64, f64)> {
    let n = tau_mem.len();
    let syn = tau_syn.len() / n;
    (0..n * syn.max(1))
        .map(|k| {
            let leak_mem = 1.0 - (-DT / tau_mem[k / syn.max(1)]).exp();
            if syn == 0 {
                return (leak_mem, 1.0);
            }
            // U_ss = Σ_s β·x/((1 − β)(1 − α)); a unit pulse peaks at max_t Σ α^(t−k)·β^k.
            let beta = (-DT / tau_syn[k]).exp();
            let (mut i, mut v, mut peak) = (beta, 0.0f64, 0.0f64);
            for _ in 0..10 * T {
                v = (1.0 - leak_mem) * v + i;
                peak = peak.max(v);
                i *= beta;
            }
            (leak_mem * (1.0 - beta) / (syn as f64 * beta), 1.0 / peak)
        })
        .collect()
}

/// An input `[B, T, N·S]` whose steady-state contribution to the membrane is `U(lo, hi)` per
/// channel — scaled by [`channel_gains`], so slow and fast neurons move alike — plus, with
/// probability `p` per entry, a pulse that lifts the membrane by at most `U(pulse)`.
fn drive(
    rng: &mut Rng,
    tau_mem: &[f64],
    tau_syn: &[f64],
    (lo, hi): (f64, f64),
    p: f64,
    pulse: (f64, f64),
) -> Vec<f32> {
    let gains = channel_gains(tau_mem, tau_syn);
    let width = gains.len();
    (0..B * T * width)
        .map(|i| {
            let (dc, kick) = gains[i % width];
            let mut v = dc * (lo + (hi - lo) * rng.next());
            if rng.next() < p {
                v += kick * (pulse.0 + (pulse.1 - pulse.0) * rng.next());
            }
            v as f32
        })
        .collect()
}

/// Recurrent weights `(N, N·S)` through which one spike moves a target membrane by at most
/// `U(−scale, scale)`.
fn rec_weights(rng: &mut Rng, tau_mem: &[f64], tau_syn: &[f64], scale: f64) -> Vec<f32> {
    let gains = channel_gains(tau_mem, tau_syn);
    (0..tau_mem.len() * gains.len())
        .map(|i| (gains[i % gains.len()].1 * scale * (2.0 * rng.next() - 1.0)) as f32)
        .collect()
}

fn lif_run(m: &Lif, x: Tensor<3>, s0: &StateTree) -> (Tensor<3>, Probe) {
    let ev = m.evolve_with(x, s0.clone(), true).unwrap();
    spiking_run(ev, m.threshold.val(), m.max_spikes_per_dt)
}

/// The output and the spiking probe of an evolution of a spiking layer with thresholds `thr`.
fn spiking_run(
    ev: rockpool::module::Evolution,
    thr: Tensor<1>,
    max_spikes: f64,
) -> (Tensor<3>, Probe) {
    let probe = Probe::spiking(
        vals(ev.output.clone()),
        &record(&ev, "vmem"),
        record(&ev, "spikes"),
        &vals(thr),
        max_spikes,
    );
    (ev.output, probe)
}

/// A LIF read-out layer, 4 neurons × 2 synapses, recurrent, with explicit parameters.
fn lif_model(
    rng: &mut Rng,
    leak_mode: LeakMode,
    threshold: impl Into<PerNeuron>,
    surrogate: Surrogate,
) -> Lif {
    let (n, syn) = (4, 2);
    let mut m = LifConfig::new(n)
        .with_n_syn(syn)
        .with_rec(true)
        .with_tau_mem(LIF_TAU_MEM.to_vec())
        .with_tau_syn(LIF_TAU_SYN.to_vec())
        .with_bias(vec![0.05, -0.03, 0.1, 0.02])
        .with_threshold(threshold)
        .with_max_spikes(3.0)
        .with_surrogate(surrogate)
        .with_leak_mode(leak_mode)
        .with_output(LifOutput::Vmem)
        .init(&device().autodiff())
        .unwrap();
    let w = rec_weights(rng, &LIF_TAU_MEM, &LIF_TAU_SYN, 0.3);
    m.set_attributes(&Tree::new().with("w_rec", Value::Data(TensorData::new(w, [n, n * syn]))))
        .unwrap();
    m
}

/// Sub-threshold: the membrane loss in every leak mode, from a non-zero state whose last
/// spikes drive the recurrent weights at the first step.
#[test]
fn lif_membrane_below_threshold_every_leak_mode() {
    let (n, syn) = (4, 2);
    for (mode, mem, syn_name, mem_step, syn_step) in [
        (
            LeakMode::Taus,
            "tau_mem",
            "tau_syn",
            Step::Rel(3e-3),
            Step::Rel(3e-3),
        ),
        (
            LeakMode::Decays,
            "alpha",
            "beta",
            Step::Leak(3e-3),
            Step::Leak(3e-3),
        ),
        (
            LeakMode::Bitshifts,
            "dash_mem",
            "dash_syn",
            Step::Abs(3e-3),
            Step::Abs(3e-3),
        ),
    ] {
        let case = format!("LIF membrane, no spikes, leak mode {mode}");
        let mut rng = Rng(11);
        // A threshold nothing reaches: the default surrogate (step_pwl) is exactly zero there.
        let m = lif_model(&mut rng, mode, 100.0, Surrogate::default());
        let x = drive(
            &mut rng,
            &LIF_TAU_MEM,
            &LIF_TAU_SYN,
            (-1.0, 2.0),
            0.05,
            (0.5, 3.0),
        );
        let c = rng.vec(B * T * n, -1.0, 1.0);
        let s0 = state(vec![
            ("vmem", rng.vec(B * n, -0.3, 0.5), vec![B, n]),
            ("isyn", rng.vec(B * n * syn, -0.2, 0.4), vec![B, n, syn]),
            (
                "spikes",
                vec![1.0, 0.0, 2.0, 1.0, 0.0, 1.0, 1.0, 0.0],
                vec![B, n],
            ),
        ]);
        let run = |m: &Lif, x: Tensor<3>| lif_run(m, x, &s0);
        let checks = [
            fd("x", rng.indices(x.len(), 8), Step::Abs(1e-3)),
            fd(mem, vec![0, 1, 2, 3], mem_step),
            fd(syn_name, vec![0, 1, 3, 4, 6, 7], syn_step),
            fd("bias", vec![0, 1, 2, 3], Step::Abs(1e-3)),
            fd("w_rec", vec![0, 5, 10, 17, 26, 31], Step::Abs(1e-3)),
        ];
        let validate = no_spikes(&case, 0.5, 0.5);
        check_loss(&case, &m, &x, [B, T, n * syn], &c, &validate, &run, &checks);
    }
}

/// With spikes: resets, recurrence and multi-spike, the raster fixed.
#[test]
fn lif_membrane_with_spikes_resets_and_recurrence() {
    let (n, syn) = (4, 2);
    let case = "LIF membrane with spikes (2 synapses, recurrent, max 3 spikes)";
    let mut rng = Rng(LIF_SEED);
    let m = lif_model(&mut rng, LeakMode::Taus, vec![0.8, 1.0, 0.9, 1.2], FLAT);
    let x = drive(
        &mut rng,
        &LIF_TAU_MEM,
        &LIF_TAU_SYN,
        (-0.5, 1.0),
        0.03,
        (0.5, 2.5),
    );
    let c = rng.vec(B * T * n, -1.0, 1.0);
    let s0 = state(vec![
        ("vmem", rng.vec(B * n, -0.3, 0.5), vec![B, n]),
        ("isyn", rng.vec(B * n * syn, -0.2, 0.4), vec![B, n, syn]),
        ("spikes", vec![0.0; B * n], vec![B, n]),
    ]);
    let run = |m: &Lif, x: Tensor<3>| lif_run(m, x, &s0);
    let checks = [
        fd("x", rng.indices(x.len(), 8), spike_step("x")),
        fd("tau_mem", vec![0, 1, 2, 3], spike_step("tau_mem")),
        fd("tau_syn", vec![0, 2, 3, 5, 6, 7], spike_step("tau_syn")),
        fd("bias", vec![0, 1, 2, 3], spike_step("bias")),
        fd("threshold", vec![0, 1, 2, 3], spike_step("threshold")),
        fd("w_rec", vec![1, 6, 12, 19, 24, 30], spike_step("w_rec")),
    ];
    let validate = with_spikes(case, 100.0, 20);
    check_loss(case, &m, &x, [B, T, n * syn], &c, &validate, &run, &checks);
}

/// Chosen so that no pre-spike membrane comes within `SPIKE_MARGIN` of a kink.
const LIF_SEED: u64 = 9;

// ---------------------------------------------------------------------------------------------
// aLIF.

fn alif_model(rng: &mut Rng, threshold: impl Into<PerNeuron>, surrogate: Surrogate) -> ALif {
    let (n, syn) = (3, 2);
    let mut cfg = ALifConfig::new(n)
        .with_tau_ahp(vec![0.015, 0.03, 0.008])
        .with_w_ahp(vec![-0.6, -0.3, -0.9]);
    cfg.lif = cfg
        .lif
        .with_n_syn(syn)
        .with_rec(true)
        .with_tau_mem(ALIF_TAU_MEM.to_vec())
        .with_tau_syn(ALIF_TAU_SYN.to_vec())
        .with_bias(vec![0.04, 0.0, -0.02])
        .with_threshold(threshold)
        .with_max_spikes(3.0)
        .with_surrogate(surrogate)
        .with_output(LifOutput::Vmem);
    let mut m = cfg.init(&device().autodiff()).unwrap();
    let w = rec_weights(rng, &ALIF_TAU_MEM, &ALIF_TAU_SYN, 0.4);
    m.set_attributes(&Tree::new().with("w_rec", Value::Data(TensorData::new(w, [n, n * syn]))))
        .unwrap();
    m
}

fn alif_run(m: &ALif, x: Tensor<3>, s0: &StateTree) -> (Tensor<3>, Probe) {
    let ev = m.evolve_with(x, s0.clone(), true).unwrap();
    let thr = vals(m.lif.threshold.val());
    let out = vals(ev.output.clone());
    let probe = Probe::spiking(
        out,
        &record(&ev, "vmem"),
        record(&ev, "spikes"),
        &thr,
        m.lif.max_spikes_per_dt,
    );
    (ev.output, probe)
}

fn alif_state(rng: &mut Rng, n: usize, syn: usize, spikes: Vec<f32>) -> StateTree {
    state(vec![
        ("vmem", rng.vec(B * n, -0.3, 0.5), vec![B, n]),
        ("isyn", rng.vec(B * n * syn, -0.2, 0.4), vec![B, n, syn]),
        ("spikes", spikes, vec![B, n]),
        ("iahp", rng.vec(B * n, -0.5, 0.0), vec![B, n]),
    ])
}

/// Sub-threshold aLIF: the AHP current acts through its initial value and the initial spikes.
#[test]
fn alif_membrane_below_threshold() {
    let (n, syn) = (3, 2);
    let case = "aLIF membrane, no spikes";
    let mut rng = Rng(21);
    let m = alif_model(&mut rng, 100.0, Surrogate::default());
    let x = drive(
        &mut rng,
        &ALIF_TAU_MEM,
        &ALIF_TAU_SYN,
        (-1.0, 2.0),
        0.05,
        (0.5, 3.0),
    );
    let c = rng.vec(B * T * n, -1.0, 1.0);
    let s0 = alif_state(&mut rng, n, syn, vec![1.0, 2.0, 1.0, 0.0, 1.0, 3.0]);
    let run = |m: &ALif, x: Tensor<3>| alif_run(m, x, &s0);
    let checks = [
        fd("x", rng.indices(x.len(), 6), Step::Abs(1e-3)),
        fd("tau_mem", vec![0, 1, 2], Step::Rel(3e-3)),
        fd("tau_syn", vec![0, 1, 2, 5], Step::Rel(3e-3)),
        fd("bias", vec![0, 1, 2], Step::Abs(1e-3)),
        fd("w_rec", vec![0, 4, 9, 17], Step::Abs(1e-3)),
        fd("w_ahp", vec![0, 1, 2], Step::Abs(1e-3)),
        fd("tau_ahp", vec![0, 1, 2], Step::Rel(3e-3)),
    ];
    let validate = no_spikes(case, 0.5, 0.5);
    check_loss(case, &m, &x, [B, T, n * syn], &c, &validate, &run, &checks);
}

/// aLIF with spikes: the AHP weight and time constant act through the neuron's own spikes.
#[test]
fn alif_membrane_with_spikes() {
    let (n, syn) = (3, 2);
    let case = "aLIF membrane with spikes (2 synapses, recurrent, max 3 spikes)";
    let mut rng = Rng(ALIF_SEED);
    let m = alif_model(&mut rng, vec![0.9, 0.7, 1.1], FLAT);
    let x = drive(
        &mut rng,
        &ALIF_TAU_MEM,
        &ALIF_TAU_SYN,
        (0.0, 2.0),
        0.05,
        (1.5, 3.5),
    );
    let c = rng.vec(B * T * n, -1.0, 1.0);
    let s0 = alif_state(&mut rng, n, syn, vec![0.0; B * n]);
    let run = |m: &ALif, x: Tensor<3>| alif_run(m, x, &s0);
    let checks = [
        fd("x", rng.indices(x.len(), 6), spike_step("x")),
        fd("tau_mem", vec![0, 1, 2], spike_step("tau_mem")),
        fd("tau_syn", vec![0, 1, 3, 4], spike_step("tau_syn")),
        fd("bias", vec![0, 1, 2], spike_step("bias")),
        fd("threshold", vec![0, 1, 2], spike_step("threshold")),
        fd("w_rec", vec![1, 5, 8, 13, 16], spike_step("w_rec")),
        fd("w_ahp", vec![0, 1, 2], spike_step("w_ahp")),
        fd("tau_ahp", vec![0, 1, 2], spike_step("tau_ahp")),
    ];
    let validate = with_spikes(case, 30.0, 2);
    check_loss(case, &m, &x, [B, T, n * syn], &c, &validate, &run, &checks);
}

/// Chosen so that no pre-spike membrane comes within `SPIKE_MARGIN` of a kink.
const ALIF_SEED: u64 = 4;

// ---------------------------------------------------------------------------------------------
// LifNeuron: spikes only, checked through the surrogate chain.

/// The surrogate-linearised LifNeuron's `dL/dp` for `L = Σ c·S`, from the raster-fixed
/// sensitivities `P = ∂U/∂p` `[B, T, N]`: per batch and neuron, `D[t] = P[t] + E[t]`,
/// `δS[t] = σ_u·D[t] + σ_θ·∂θ/∂p`, `E[t+1] = α·(E[t] − θ·δS[t])` (the reset `V = U − θ·S`
/// passes `−θ·δS` on to the next membrane).
#[allow(clippy::too_many_arguments)]
fn chain_prediction(
    p: &[f64],
    u: &[f64],
    c: &[f32],
    thr: &[f32],
    alpha: &[f64],
    dthr: Option<usize>,
    surrogate: Surrogate,
    max: f32,
    (b, t, n): (usize, usize, usize),
) -> f64 {
    let mut total = 0.0;
    for bi in 0..b {
        for j in 0..n {
            let mut e = 0.0;
            for step in 0..t {
                let idx = (bi * t + step) * n + j;
                let (su, sth) = surrogate.grads(u[idx] as f32, thr[j], max);
                let dth = if dthr == Some(j) { 1.0 } else { 0.0 };
                let ds = f64::from(su) * (p[idx] + e) + f64::from(sth) * dth;
                total += f64::from(c[idx]) * ds;
                e = alpha[j] * (e - f64::from(thr[j]) * ds);
            }
        }
    }
    total
}

fn lif_neuron_run(m: &LifNeuron, x: Tensor<3>, s0: &StateTree) -> (Tensor<3>, Probe) {
    let ev = m.evolve_with(x, s0.clone(), true).unwrap();
    spiking_run(ev, m.threshold.val(), m.max_spikes_per_dt)
}

/// For every surrogate: the backward of `L = Σ c·S` against the surrogate-linearised model
/// built on finite differences of the pre-spike membrane. Returns the raster.
fn check_lif_neuron_chain(
    case: &str,
    m: &LifNeuron,
    x: &[f32],
    s0: &StateTree,
    c: &[f32],
    validate: &dyn Fn(&Probe),
    checks: &[Fd],
) -> Vec<f64> {
    let n = m.vmem.dims()[0];
    let shape = [B, T, n];
    let run = |m: &LifNeuron, x: Tensor<3>| lif_neuron_run(m, x, s0);
    let (_, base) = run(m, tensor(x.to_vec(), shape));
    validate(&base);
    let thr: Vec<f32> = param_values(m, "threshold").0;
    let alpha: Vec<f64> = param_values(m, "tau_mem")
        .0
        .iter()
        .map(|&tau| (-m.dt / f64::from(tau)).exp())
        .collect();
    // Raster-fixed sensitivities of U, one vector per checked entry (surrogate-independent):
    // (entry, P, Δp, shift).
    type Sensitivity = (usize, Vec<f64>, f64, f64);
    let sens: Vec<Vec<Sensitivity>> = checks
        .iter()
        .map(|check| {
            check
                .entries
                .iter()
                .map(|&idx| {
                    let (plus, minus, dp, shift) =
                        perturbed(case, m, x, shape, &run, &base, check.name, idx, check.step);
                    let p: Vec<f64> = plus
                        .u
                        .iter()
                        .zip(&minus.u)
                        .map(|(a, b)| (a - b) / dp)
                        .collect();
                    (idx, p, dp, shift)
                })
                .collect()
        })
        .collect();
    for surrogate in [
        Surrogate::StepPwl { window: 0.5 },
        Surrogate::PeriodicExponential { window: 0.5 },
        Surrogate::FastSigmoid { slope: 2.0 },
        Surrogate::Sigmoid { slope: 3.0 },
        Surrogate::Arctan { slope: 2.0 },
    ] {
        let mut ms = m.clone();
        ms.surrogate = surrogate;
        let xin = tensor(x.to_vec(), shape).require_grad();
        let (out, _) = run(&ms, xin.clone());
        let grads = (out * tensor(c.to_vec(), shape)).sum().backward();
        let sub = format!("{case}, {surrogate}");
        // The prediction is linear in P with the weights ∂L/∂U[t] — for LifNeuron the input
        // gradient, as x enters U directly — so the f32 rounding of U in the records
        // (≤ ε|U|/2 per run and entry, independent) moves it by about
        // ε·max|U|·‖∂L/∂U‖₂ / Δp (the floor allows four times that).
        let g_u = vals(xin.grad(&grads).expect("input gradient"));
        let umax = base.u.iter().fold(0.0f64, |a, u| a.max(u.abs()));
        let g_norm = g_u.iter().map(|g| g * g).sum::<f64>().sqrt();
        for (check, rows) in checks.iter().zip(&sens) {
            let ad = model_grad(&ms, &xin, check.name, &grads);
            let rows: Vec<_> = rows
                .iter()
                .map(|&(idx, ref p, dp, shift)| {
                    let dthr = (check.name == "threshold").then_some(idx);
                    let want = chain_prediction(
                        p,
                        &base.u,
                        c,
                        &thr,
                        &alpha,
                        dthr,
                        surrogate,
                        m.max_spikes_per_dt as f32,
                        (B, T, n),
                    );
                    Row {
                        idx,
                        fd: want,
                        ad: ad[idx],
                        floor: 4.0 * f64::from(f32::EPSILON) * umax * g_norm / dp,
                        shift,
                    }
                })
                .collect();
            compare(&sub, check.name, &rows);
        }
    }
    base.pattern
}

fn lif_neuron_model(threshold: Vec<f64>, max_spikes: f64) -> LifNeuron {
    let mut cfg = LifNeuronConfig::new(4);
    cfg.tau_mem = NEURON_TAU_MEM.to_vec().into();
    cfg.bias = vec![0.02, -0.05, 0.1, 0.0].into();
    cfg.threshold = threshold.into();
    cfg.max_spikes_per_dt = max_spikes;
    cfg.init(&device().autodiff()).unwrap()
}

/// The LifNeuron checks: steps `h` (absolute for `x` and `bias`, relative otherwise), or
/// [`spike_step`]s.
fn lif_neuron_checks(x_entries: Vec<usize>, h: Option<f64>) -> Vec<Fd> {
    let step = |name, abs: bool| match h {
        Some(h) if abs => Step::Abs(h),
        Some(h) => Step::Rel(h),
        None => spike_step(name),
    };
    vec![
        fd("x", x_entries, step("x", true)),
        fd("tau_mem", vec![0, 1, 2, 3], step("tau_mem", false)),
        fd("bias", vec![0, 1, 2, 3], step("bias", true)),
        fd("threshold", vec![0, 1, 2, 3], step("threshold", false)),
    ]
}

/// Below threshold everywhere, but close enough that the smooth surrogates carry gradient.
#[test]
fn lif_neuron_below_threshold_through_every_surrogate() {
    let n = 4;
    let case = "LIFNeuron, no spikes";
    let mut rng = Rng(31);
    let m = lif_neuron_model(vec![1.5, 1.2, 1.8, 1.4], 65536.0);
    let x = drive(&mut rng, &NEURON_TAU_MEM, &[], (-1.0, 2.0), 0.0, (0.0, 0.0));
    let c = rng.vec(B * T * n, -1.0, 1.0);
    let s0 = state(vec![
        ("vmem", rng.vec(B * n, -0.3, 0.8), vec![B, n]),
        ("spikes", vec![0.0; B * n], vec![B, n]),
    ]);
    // Thresholds 25 % above each neuron's highest membrane (which, without spikes, does not
    // depend on them): no spike, but the smooth surrogates and step_pwl's window (θ − 0.5) see
    // the membrane.
    let (_, free) = lif_neuron_run(&m, tensor(x.clone(), [B, T, n]), &s0);
    let thr: Vec<f32> = (0..n)
        .map(|j| {
            let top = (0..B * T)
                .map(|r| free.u[r * n + j])
                .fold(f64::MIN, f64::max);
            (1.25 * top) as f32
        })
        .collect();
    eprintln!("{case}: thresholds {thr:?}");
    let mut m = m;
    m.set_attributes(
        &Tree::new().with("threshold", Value::Data(TensorData::new(thr.clone(), [n]))),
    )
    .unwrap();
    // The input where the membrane comes closest to threshold (x enters U at the same step):
    // there even step_pwl's window passes a gradient.
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| {
        let r = |i: usize| free.u[i] / f64::from(thr[i % n]);
        r(b).total_cmp(&r(a))
    });
    let mut top = order[..6].to_vec();
    top.sort_unstable();
    let checks = lif_neuron_checks(top, Some(1e-3));
    let validate = no_spikes(case, 0.15, 0.3);
    check_lif_neuron_chain(case, &m, &x, &s0, &c, &validate, &checks);
}

/// With spikes, resets and multi-spike steps (capped at 2).
#[test]
fn lif_neuron_with_spikes_through_every_surrogate() {
    let n = 4;
    let case = "LIFNeuron with spikes (max 2 per step)";
    let mut rng = Rng(NEURON_SEED);
    let m = lif_neuron_model(vec![0.8, 1.0, 0.6, 1.1], 2.0);
    let x = drive(
        &mut rng,
        &NEURON_TAU_MEM,
        &[],
        (-0.5, 1.5),
        0.04,
        (0.5, 2.5),
    );
    let c = rng.vec(B * T * n, -1.0, 1.0);
    let s0 = state(vec![
        ("vmem", rng.vec(B * n, -0.3, 0.5), vec![B, n]),
        ("spikes", vec![0.0; B * n], vec![B, n]),
    ]);
    let checks = lif_neuron_checks(rng.indices(x.len(), 6), None);
    let validate = with_spikes(case, 40.0, 5);
    check_lif_neuron_chain(case, &m, &x, &s0, &c, &validate, &checks);
}

/// Chosen so that no pre-spike membrane comes within `SPIKE_MARGIN` of a kink.
const NEURON_SEED: u64 = 7;

// ---------------------------------------------------------------------------------------------
// ExpSyn, Rate, Linear.

#[test]
fn exp_syn_current() {
    let n = 3;
    let case = "ExpSyn";
    let mut rng = Rng(41);
    let m: ExpSyn = ExpSynConfig::new(n)
        .with_tau(vec![0.004, 0.01, 0.05])
        .init(&device().autodiff())
        .unwrap();
    let x = rng.vec(B * T * n, -0.5, 1.0);
    let c = rng.vec(B * T * n, -1.0, 1.0);
    let s0 = state(vec![("isyn", rng.vec(B * n, -0.5, 0.5), vec![B, n])]);
    let run = |m: &ExpSyn, x: Tensor<3>| {
        let ev = m.evolve_with(x, s0.clone(), false).unwrap();
        let out = vals(ev.output.clone());
        (ev.output, Probe::smooth(out))
    };
    let checks = [
        fd("x", rng.indices(x.len(), 6), Step::Abs(1e-3)),
        fd("tau", vec![0, 1, 2], Step::Rel(3e-3)),
    ];
    check_loss(case, &m, &x, [B, T, n], &c, &smooth, &run, &checks);
}

#[test]
fn rate_every_activation() {
    let n = 4;
    for act in [Activation::Relu, Activation::Tanh, Activation::Sigmoid] {
        let case = format!("Rate ({act}, recurrent)");
        let mut rng = Rng(RATE_SEED);
        let mut m: Rate = RateConfig::new(n)
            .with_rec(true)
            .with_act_fn(act)
            .with_tau(vec![0.015, 0.02, 0.04, 0.03])
            .with_bias(vec![0.1, -0.05, 0.2, 0.0])
            .with_threshold(vec![0.05, -0.1, 0.2, 0.0])
            .init(&device().autodiff())
            .unwrap();
        let w = rng.vec(n * n, -0.6, 0.6);
        m.set_attributes(&Tree::new().with("w_rec", Value::Data(TensorData::new(w, [n, n]))))
            .unwrap();
        let x = rng.vec(B * T * n, -1.0, 1.5);
        let c = rng.vec(B * T * n, -1.0, 1.0);
        let s0 = state(vec![("x", rng.vec(B * n, -0.5, 0.5), vec![B, n])]);
        let run = |m: &Rate, x: Tensor<3>| {
            let ev = m.evolve_with(x, s0.clone(), true).unwrap();
            let out = vals(ev.output.clone());
            let mut probe = Probe::smooth(out);
            if m.act_fn == Activation::Relu {
                // ReLU's kink at x = θ: keep away from it and hold the active set fixed.
                let thr = vals(m.threshold.val());
                let z: Vec<f64> = record(&ev, "x")
                    .iter()
                    .enumerate()
                    .map(|(i, x)| x - thr[i % n])
                    .collect();
                probe.margin = z.iter().fold(f64::INFINITY, |a, z| a.min(z.abs()));
                probe.pattern = z.iter().map(|&z| f64::from(u8::from(z > 0.0))).collect();
            }
            (ev.output, probe)
        };
        let checks = [
            fd("x", rng.indices(x.len(), 6), Step::Abs(1e-2)),
            fd("tau", vec![0, 1, 2, 3], Step::Rel(1e-3)),
            fd("bias", vec![0, 1, 2, 3], Step::Abs(1e-3)),
            fd("threshold", vec![0, 1, 2, 3], Step::Abs(1e-3)),
            fd("w_rec", vec![0, 3, 6, 9, 12, 15], Step::Abs(3e-3)),
        ];
        let validate = |p: &Probe| {
            if act == Activation::Relu {
                let on = p.pattern.iter().filter(|&&a| a > 0.0).count();
                eprintln!(
                    "{case}: ReLU active at {on} of {}, margin {:.3e}",
                    p.pattern.len(),
                    p.margin
                );
                assert!(
                    p.margin >= RELU_MARGIN,
                    "{case}: x − θ comes {:e} close to 0",
                    p.margin
                );
                assert!(
                    on > p.pattern.len() / 5 && on < p.pattern.len() * 4 / 5,
                    "{case}: ReLU both active and inactive ({on} of {})",
                    p.pattern.len()
                );
            }
        };
        check_loss(&case, &m, &x, [B, T, n], &c, &validate, &run, &checks);
    }
}

const RATE_SEED: u64 = 51;
/// Smallest `|x − θ|` of a Rate run with ReLU.
const RELU_MARGIN: f64 = 1e-3;

#[test]
fn linear_weights_and_bias() {
    let (i, o) = (3, 2);
    let case = "Linear";
    let mut rng = Rng(61);
    let m: Linear = LinearConfig::new(i, o)
        .with_bias(true)
        .init(&device().autodiff());
    let x = rng.vec(B * T * i, -1.0, 1.0);
    let c = rng.vec(B * T * o, -1.0, 1.0);
    let run = |m: &Linear, x: Tensor<3>| {
        let ev = m.evolve_with(x, Tree::new(), false).unwrap();
        let out = vals(ev.output.clone());
        (ev.output, Probe::smooth(out))
    };
    let checks = [
        fd("x", rng.indices(x.len(), 4), Step::Abs(1e-2)),
        fd("weight", (0..i * o).collect(), Step::Abs(1e-2)),
        fd("bias", vec![0, 1], Step::Abs(1e-2)),
    ];
    check_loss(case, &m, &x, [B, T, i], &c, &smooth, &run, &checks);
}
