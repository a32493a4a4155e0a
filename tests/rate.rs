//! Rate: the fused operation (hand-written backward) against the plain tensor reference
//! (Burn's autodiff through a per-step loop) — outputs, records, final state and every
//! gradient, for every activation, with and without recurrence, with τ clipped for some
//! neurons — and the fused gradients against central differences of an f64 simulation
//! written here from the model's equations.

mod common;

use burn::tensor::{Distribution, Tensor, TensorData};
use common::{assert_close, device, rel_l2, vals};
use rockpool::module::{Evolve, ModuleExt, StateTree, Tree};
use rockpool::nn::{Activation, Rate, RateConfig};

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |m, x| m.max(x.abs()))
}

/// τ per neuron (seconds, dt = 1 ms): neurons 1 and 4 lie below 10·dt and are clipped.
const TAUS: [f64; 6] = [0.02, 0.004, 0.035, 0.012, 0.007, 0.05];

fn config(act: Activation, rec: bool) -> RateConfig {
    RateConfig::new(6)
        .with_act_fn(act)
        .with_rec(rec)
        .with_tau(TAUS.to_vec())
        .with_bias(vec![0.1, -0.2, 0.0, 0.3, 0.05, -0.1])
        .with_threshold(vec![0.05, -0.1, 0.2, 0.0, 0.1, -0.05])
}

/// Gradients of the input, the initial state and every parameter, in a fixed order.
type Grads = Vec<(&'static str, Vec<f64>)>;

struct Run {
    output: Vec<f64>,
    records: Vec<(&'static str, Vec<f64>)>,
    state: Vec<f64>,
    grads: Grads,
}

/// Evolves `m` from the initial state `x0` (fused or reference) and backpropagates
/// `Σ y ⊙ weights`. The device is seeded just before, so noise draws coincide.
fn run(m: &Rate, x: &Tensor<3>, x0: &Tensor<2>, weights: &Tensor<3>, reference: bool) -> Run {
    let dev = x.device();
    let xin = x.clone().require_grad();
    let x0 = x0.clone().require_grad();
    let state: StateTree = Tree::new().with("x", x0.clone().into());
    rockpool::device::seed(&dev, 11);
    let ev = if reference {
        m.evolve_reference(xin.clone(), state).unwrap()
    } else {
        m.evolve_with(xin.clone(), state, true).unwrap()
    };
    let output = vals(ev.output.clone());
    let records = ["x", "rec_input"]
        .map(|k| (k, common::values(ev.record.get(k).unwrap())))
        .to_vec();
    let state = common::values(ev.state.get("x").unwrap());
    let g = (ev.output * weights.clone()).sum().backward();
    let mut grads = vec![
        ("input", vals(xin.grad(&g).unwrap())),
        ("x0", vals(x0.grad(&g).unwrap())),
        ("tau", vals(m.tau.val().grad(&g).unwrap())),
        ("bias", vals(m.bias.val().grad(&g).unwrap())),
        ("threshold", vals(m.threshold.val().grad(&g).unwrap())),
    ];
    if let Some(w) = &m.w_rec {
        grads.push(("w_rec", vals(w.val().grad(&g).unwrap())));
    }
    Run {
        output,
        records,
        state,
        grads,
    }
}

#[test]
fn fused_matches_reference_outputs_records_state_and_gradients() {
    // The noise is drawn from the global generator, reseeded per run.
    let _rng = common::rng_lock();
    let dev = device().autodiff();
    let mut worst = 0.0f64;
    for act in [Activation::Relu, Activation::Tanh, Activation::Sigmoid] {
        for rec in [false, true] {
            for noise in [0.0, 0.5] {
                let name = format!("{act}, rec {rec}, noise {noise}");
                rockpool::device::seed(&dev, 7);
                let m = config(act, rec).with_noise_std(noise).init(&dev).unwrap();
                let (b, t) = (3, 60);
                let x = Tensor::<3>::random([b, t, 6], Distribution::Uniform(-1.0, 1.5), &dev);
                let x0 = Tensor::<2>::random([b, 6], Distribution::Uniform(-0.5, 0.5), &dev);
                let w = Tensor::<3>::random([b, t, 6], Distribution::Normal(0.0, 1.0), &dev);
                let f = run(&m, &x, &x0, &w, false);
                let r = run(&m, &x, &x0, &w, true);

                // Values: both carry the state in f64 and return f32.
                let tol = |v: &[f64]| 1e-6 * max_abs(v).max(1.0);
                assert_close(
                    &format!("{name}: output"),
                    &f.output,
                    &r.output,
                    1e-5,
                    tol(&r.output),
                );
                for ((k, fv), (_, rv)) in f.records.iter().zip(&r.records) {
                    assert_close(&format!("{name}: record {k}"), fv, rv, 1e-5, tol(rv));
                }
                assert_close(
                    &format!("{name}: state"),
                    &f.state,
                    &r.state,
                    1e-5,
                    tol(&r.state),
                );
                if !rec {
                    assert!(
                        f.records[1].1.iter().all(|&v| v == 0.0),
                        "{name}: rec_input is zero without recurrence"
                    );
                }

                // Every gradient: 1e-5 relative in L2, and elementwise 1e-5 relative with a
                // floor of 1e-6 of the gradient's largest entry.
                assert_eq!(f.grads.len(), r.grads.len());
                for ((pn, fg), (_, rg)) in f.grads.iter().zip(&r.grads) {
                    let e = rel_l2(fg, rg);
                    eprintln!("{name}: dL/d{pn} relative L2 error {e:e}");
                    worst = worst.max(e);
                    assert!(e <= 1e-5, "{name}: dL/d{pn} relative L2 error {e:e}");
                    assert!(max_abs(rg) > 0.0, "{name}: dL/d{pn} is not all zero");
                    assert_close(
                        &format!("{name}: dL/d{pn}"),
                        fg,
                        rg,
                        1e-5,
                        1e-6 * max_abs(rg),
                    );
                }
                // Clipped time constants get no gradient; the others do.
                let gtau = &f.grads[2].1;
                for (j, &tau) in TAUS.iter().enumerate() {
                    if tau < 0.01 {
                        assert_eq!(gtau[j], 0.0, "{name}: clipped τ[{j}]");
                    } else {
                        assert!(gtau[j] != 0.0, "{name}: τ[{j}]");
                    }
                }
            }
        }
    }
    eprintln!("worst relative L2 gradient error: {worst:e}");
}

/// The Rate model written out in f64 from its equations: `Σ c ⊙ y` for one batch.
#[derive(Clone)]
struct Model {
    n: usize,
    dt: f64,
    act: Activation,
    tau: Vec<f64>,
    bias: Vec<f64>,
    thr: Vec<f64>,
    w: Vec<f64>,
}

impl Model {
    fn of(m: &Rate) -> Self {
        Model {
            n: m.n(),
            dt: m.dt,
            act: m.act_fn,
            tau: vals(m.tau.val()),
            bias: vals(m.bias.val()),
            thr: vals(m.threshold.val()),
            w: vals(m.w_rec.as_ref().unwrap().val()),
        }
    }

    fn loss(&self, input: &[f64], c: &[f64]) -> f64 {
        let n = self.n;
        let h = |z: f64| match self.act {
            Activation::Relu => z.max(0.0),
            Activation::Tanh => z.tanh(),
            Activation::Sigmoid => (z.tanh() + 1.0) / 2.0,
        };
        let mut x = vec![0.0f64; n];
        let mut total = 0.0;
        for (row, i_t) in input.chunks(n).enumerate() {
            let act: Vec<f64> = (0..n).map(|j| h(x[j] - self.thr[j])).collect();
            for k in 0..n {
                let r: f64 = (0..n).map(|j| act[j] * self.w[j * n + k]).sum();
                let a = self.dt / self.tau[k].max(10.0 * self.dt);
                x[k] += a * (i_t[k] + self.bias[k] + r - x[k]);
            }
            for k in 0..n {
                total += c[row * n + k] * h(x[k] - self.thr[k]);
            }
        }
        total
    }
}

#[test]
fn fused_gradients_match_central_differences() {
    // The noise is drawn from the global generator, reseeded per run.
    let _rng = common::rng_lock();
    let dev = device().autodiff();
    for act in [Activation::Tanh, Activation::Relu] {
        rockpool::device::seed(&dev, 3);
        // No threshold at exactly 0: the zero initial state would sit on ReLU's kink, where
        // the one-sided derivative (0, as Burn and torch take it) and a central difference
        // legitimately differ.
        let m = config(act, true)
            .with_threshold(vec![0.05, -0.1, 0.2, 0.15, 0.1, -0.05])
            .init(&dev)
            .unwrap();
        let t = 80;
        let x = Tensor::<3>::random([1, t, 6], Distribution::Uniform(-1.0, 1.5), &dev);
        let c = Tensor::<3>::random([1, t, 6], Distribution::Normal(0.0, 1.0), &dev);
        let xin = x.clone().require_grad();
        let ev = m.evolve_with(xin.clone(), m.zero_state(1), false).unwrap();
        let g = (ev.output * c.clone()).sum().backward();
        let grad = |p: Tensor<1>| vals(p.grad(&g).unwrap());
        let (g_tau, g_bias, g_thr) = (
            grad(m.tau.val()),
            grad(m.bias.val()),
            grad(m.threshold.val()),
        );
        let g_w = vals(m.w_rec.as_ref().unwrap().val().grad(&g).unwrap());
        let g_in = vals(xin.grad(&g).unwrap());

        let model = Model::of(&m);
        let (input, c) = (vals(x), vals(c));
        let mut worst = 0.0f64;
        // Steps: the loss's rounding noise (a few 1e-14 after 80 steps) over 2h stays below
        // 1e-8, and the truncation error (h² of the entry's scale) is smaller still.
        let mut check =
            |what: String, analytic: f64, h: f64, f: &dyn Fn(&mut Model, &mut Vec<f64>, f64)| {
                let eval = |e: f64| {
                    let (mut mm, mut inp) = (model.clone(), input.clone());
                    f(&mut mm, &mut inp, e);
                    mm.loss(&inp, &c)
                };
                let numeric = (eval(h) - eval(-h)) / (2.0 * h);
                let err = (analytic - numeric).abs() / numeric.abs().max(1e-3);
                worst = worst.max(err);
                assert!(
                    err <= 1e-5,
                    "{act}: {what}: autodiff {analytic}, central difference {numeric}"
                );
            };
        for j in 0..6 {
            // The clipped τ (below 10·dt) stay clipped under the step: zero on both sides.
            check(format!("tau[{j}]"), g_tau[j], 1e-6, &|mm, _, e| {
                mm.tau[j] += e
            });
            check(format!("bias[{j}]"), g_bias[j], 1e-5, &|mm, _, e| {
                mm.bias[j] += e
            });
            check(format!("threshold[{j}]"), g_thr[j], 1e-5, &|mm, _, e| {
                mm.thr[j] += e
            });
        }
        for k in [0, 7, 15, 22, 35] {
            check(format!("w_rec[{k}]"), g_w[k], 1e-5, &|mm, _, e| {
                mm.w[k] += e
            });
        }
        for k in [0, 13, 200, 477] {
            check(format!("input[{k}]"), g_in[k], 1e-5, &|_, inp, e| {
                inp[k] += e
            });
        }
        eprintln!("{act}: worst relative error against central differences {worst:e}");
    }
}

#[test]
fn state_carries_over_and_records_only_when_asked() {
    // The noise is drawn from the global generator, reseeded per run.
    let _rng = common::rng_lock();
    let dev = device();
    rockpool::device::seed(&dev, 5);
    let cfg = config(Activation::Tanh, true);
    let mut whole = cfg.init(&dev).unwrap();
    let mut split = whole.clone();
    let x = Tensor::<3>::random([2, 30, 6], Distribution::Uniform(-1.0, 1.0), &dev);
    let all = whole.evolve(x.clone(), false).unwrap();
    assert!(all.record.names().is_empty(), "no records unless asked");
    let a = split
        .evolve(x.clone().slice([0..2, 0..12, 0..6]), true)
        .unwrap();
    assert_eq!(a.record.names(), ["rec_input", "x"]);
    let b = split
        .evolve_with(x.slice([0..2, 12..30, 0..6]), a.state.clone(), false)
        .unwrap();
    let joined = vals(Tensor::cat(vec![a.output, b.output], 1));
    assert_close("split run", &joined, &vals(all.output), 1e-6, 1e-7);
    // The module keeps batch 0 of the final state.
    let last = common::values(b.state.get("x").unwrap());
    assert_eq!(last.len(), 12);
}

#[test]
fn broadcast_input_gradient_matches_reference() {
    // The noise is drawn from the global generator, reseeded per run.
    let _rng = common::rng_lock();
    // One input channel broadcast to every neuron (Rockpool's auto-batching), from a tracked
    // tensor: the fused op's input gradient is summed back over the broadcast.
    let dev = device().autodiff();
    let m = config(Activation::Sigmoid, false).init(&dev).unwrap();
    let data = TensorData::new(
        (0..20).map(|k| (k as f32 * 0.37).sin()).collect(),
        [1, 20, 1],
    );
    let run = |reference: bool| {
        let x = Tensor::<3>::from_data(data.clone(), &dev).require_grad();
        let ev = if reference {
            m.evolve_reference(x.clone(), m.zero_state(1)).unwrap()
        } else {
            m.evolve_with(x.clone(), m.zero_state(1), false).unwrap()
        };
        let g = ev.output.powf_scalar(2.0).sum().backward();
        vals(x.grad(&g).unwrap())
    };
    let (f, r) = (run(false), run(true));
    assert_eq!(f.len(), 20);
    assert!(rel_l2(&f, &r) <= 1e-5, "{}", rel_l2(&f, &r));
}

/// The device path's two methods, `rate_seq_train` and `rate_seq_adjoint`, in their host
/// default bodies (on flex, called directly: the autodiff op takes its host path there) give
/// exactly what the autodiff op gives, recurrent with noise: outputs, and the gradients for
/// the input, `a`, bias, threshold, recurrent weights and initial state.
#[test]
fn device_path_host_defaults_match_the_autodiff_op() {
    use burn::backend::Dispatch;
    use rockpool::nn::kernels::rate::{
        RateBackend, RateOpConfig, RateSequenceInput, RateSequenceOptions, rate_sequence,
    };
    let plain = device();
    let ad = plain.clone().autodiff();
    rockpool::device::seed(&plain, 22);
    let (b, t, n) = (2, 25, 6);
    let input = Tensor::<3>::random([b, t, n], Distribution::Uniform(-1.0, 1.5), &plain);
    let noise = Tensor::<3>::random([b, t, n], Distribution::Normal(0.0, 0.1), &plain);
    let g = Tensor::<3>::random([b, t, n], Distribution::Normal(0.0, 1.0), &plain);
    let p = |lo, hi| Tensor::<1>::random([n], Distribution::Uniform(lo, hi), &plain);
    let (a, bias, thr) = (p(0.05, 0.3), p(-0.2, 0.2), p(-0.3, 0.3));
    let w_rec = Tensor::<2>::random([n, n], Distribution::Normal(0.0, 0.4), &plain);
    let x0 = Tensor::<2>::random([b, n], Distribution::Uniform(-0.5, 0.8), &plain);
    let cfg = RateOpConfig {
        options: RateSequenceOptions {
            activation: Activation::Tanh,
            record_states: true,
        },
        has_rec: true,
        has_noise: true,
    };

    let on1 = |t: &Tensor<1>| Tensor::<1>::from_data(t.to_data(), &ad).require_grad();
    let on2 = |t: &Tensor<2>| Tensor::<2>::from_data(t.to_data(), &ad).require_grad();
    let ia = Tensor::<3>::from_data(input.to_data(), &ad).require_grad();
    let (aa, ba, ta, wa, xa) = (on1(&a), on1(&bias), on1(&thr), on2(&w_rec), on2(&x0));
    let seq = rate_sequence(
        RateSequenceInput {
            input: ia.clone(),
            a: aa.clone(),
            bias: ba.clone(),
            threshold: ta.clone(),
            w_rec: Some(wa.clone()),
            noise: Some(Tensor::<3>::from_data(noise.to_data(), &ad)),
            x0: xa.clone(),
        },
        cfg.options,
    );
    let grads = (seq.y.clone() * Tensor::<3>::from_data(g.to_data(), &ad))
        .sum()
        .backward();

    let (y, x, rec, x_last, kept) = <Dispatch as RateBackend>::rate_seq_train(
        input.into_dispatch(),
        a.clone().into_dispatch(),
        bias.clone().into_dispatch(),
        thr.clone().into_dispatch(),
        w_rec.clone().into_dispatch(),
        noise.into_dispatch(),
        x0.clone().into_dispatch(),
        cfg,
    );
    let y = Tensor::<3>::from_dispatch(y);
    let (x_rec, r_rec) = seq.records.unwrap();
    assert_eq!(vals(y.clone()), vals(seq.y), "y");
    assert_eq!(vals(Tensor::<3>::from_dispatch(x)), vals(x_rec), "x");
    assert_eq!(
        vals(Tensor::<3>::from_dispatch(rec)),
        vals(r_rec),
        "rec_input"
    );
    assert_eq!(
        vals(Tensor::<2>::from_dispatch(x_last)),
        vals(seq.x_last),
        "x_last"
    );
    let (gi, ga, gb, gt, gw, gx0) = <Dispatch as RateBackend>::rate_seq_adjoint(
        a.into_dispatch(),
        bias.into_dispatch(),
        thr.into_dispatch(),
        w_rec.into_dispatch(),
        x0.into_dispatch(),
        y.into_dispatch(),
        kept,
        g.into_dispatch(),
        cfg,
    );
    assert_eq!(
        vals(Tensor::<3>::from_dispatch(gi)),
        vals(ia.grad(&grads).unwrap()),
        "dL/dinput"
    );
    for (what, got, want) in [
        ("dL/da", ga, aa.grad(&grads).unwrap()),
        ("dL/dbias", gb, ba.grad(&grads).unwrap()),
        ("dL/dthr", gt, ta.grad(&grads).unwrap()),
    ] {
        assert_eq!(vals(Tensor::<1>::from_dispatch(got)), vals(want), "{what}");
    }
    for (what, got, want) in [
        ("dL/dw_rec", gw, wa.grad(&grads).unwrap()),
        ("dL/dx0", gx0, xa.grad(&grads).unwrap()),
    ] {
        assert_eq!(vals(Tensor::<2>::from_dispatch(got)), vals(want), "{what}");
    }
}
