//! LIF: hand-computed steps, and the fused operation (hand-written backward) against the
//! plain tensor reference (Burn's autodiff through a straight-through surrogate) — outputs,
//! records and every gradient, for every variant.

mod common;

use burn::module::Param;
use burn::tensor::{Distribution, Tensor};
use common::{assert_close, device, rel_l2, vals};
use rockpool::module::{Evolve, ModuleExt, StateTree, Tree};
use rockpool::nn::{LeakMode, Lif, LifConfig, Surrogate};

#[test]
fn three_steps_by_hand() {
    let dev = device();
    // α = β = 0.5, θ = 1, one neuron, one synapse.
    let mut lif = LifConfig::new(1)
        .with_leak_mode(LeakMode::Decays)
        .with_tau_mem(-1e-3 / 0.5f64.ln())
        .with_tau_syn(-1e-3 / 0.5f64.ln())
        .init(&dev)
        .unwrap();
    let ev = lif
        .evolve(Tensor::<2>::from_floats([[2.0], [0.0], [0.0]], &dev), true)
        .unwrap();
    // A=2, I=1, U=1 → S=1, V=0; A=1, I=0.5, U=0.5; A=0.5, I=0.25, U=0.5·0.5+0.25=0.5.
    assert_close("spikes", &vals(ev.output), &[1.0, 0.0, 0.0], 0.0, 1e-6);
    let rec = |k: &str| common::values(ev.record.get(k).unwrap());
    assert_close("vmem", &rec("vmem"), &[0.0, 0.5, 0.5], 0.0, 1e-6);
    assert_close("isyn", &rec("isyn"), &[1.0, 0.5, 0.25], 0.0, 1e-6);
    // Multi-spike: a big input gives floor(U/θ) spikes, capped.
    let mut lif = LifConfig::new(1)
        .with_leak_mode(LeakMode::Decays)
        .with_tau_syn(-1e-3 / 0.5f64.ln())
        .with_max_spikes(3.0)
        .init(&dev)
        .unwrap();
    let ev = lif
        .evolve(Tensor::<2>::from_floats([[5.0], [20.0]], &dev), true)
        .unwrap();
    // U = 2.5 → 2 spikes, V = 0.5; then A = 2.5 + 20, I = 11.25, U = α·0.5 + 11.25 → cap 3.
    assert_eq!(vals(ev.output), [2.0, 3.0]);
    assert_eq!(lif.describe(), "LIF with shape (1,)");
    let taus = lif.parameters("decays");
    assert_eq!(taus.names(), ["alpha", "beta"]);
}

struct Case {
    name: &'static str,
    cfg: LifConfig,
}

const REC_SCALE: f64 = 0.2;

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "feed-forward step_pwl",
            cfg: LifConfig::new(6)
                .with_tau_mem(vec![0.01, 0.02, 0.03, 0.015, 0.025, 0.05])
                .with_bias(0.05),
        },
        Case {
            // Two full eight-lane blocks of the vectorised backward and a tail of three.
            name: "step_pwl, 19 neurons, recurrent, multi-spike",
            cfg: LifConfig::new(19)
                .with_rec(true)
                .with_rec_scale(REC_SCALE)
                .with_max_spikes(2.0)
                .with_threshold(0.8)
                .with_bias(0.02),
        },
        Case {
            name: "two synapses, recurrent, periodic exponential, multi-spike",
            cfg: LifConfig::new(5)
                .with_n_syn(2)
                .with_rec(true)
                .with_rec_scale(REC_SCALE)
                .with_tau_syn(vec![
                    0.005, 0.02, 0.01, 0.04, 0.008, 0.03, 0.012, 0.02, 0.05, 0.01,
                ])
                .with_surrogate(Surrogate::PeriodicExponential { window: 0.5 })
                .with_max_spikes(3.0)
                .with_threshold(0.7),
        },
        Case {
            name: "fast sigmoid, recurrent",
            cfg: LifConfig::new(4)
                .with_rec(true)
                .with_surrogate(Surrogate::FastSigmoid { slope: 5.0 }),
        },
        Case {
            name: "sigmoid, three synapses",
            cfg: LifConfig::new(3)
                .with_n_syn(3)
                .with_surrogate(Surrogate::Sigmoid { slope: 3.0 }),
        },
        Case {
            name: "arctan, decays",
            cfg: LifConfig::new(4)
                .with_leak_mode(LeakMode::Decays)
                .with_surrogate(Surrogate::Arctan { slope: 2.0 }),
        },
        Case {
            name: "bitshifts, quantised",
            cfg: LifConfig::new(4)
                .with_leak_mode(LeakMode::Bitshifts)
                .with_quantize_decays(true)
                .with_tau_mem(0.008),
        },
        Case {
            name: "taus, quantised decays",
            cfg: LifConfig::new(3)
                .with_quantize_decays(true)
                .with_tau_mem(0.01)
                .with_tau_syn(0.005),
        },
    ]
}

/// Gradients of every parameter present, in a fixed order.
fn param_grads(lif: &Lif, grads: &burn::tensor::Gradients) -> Vec<(String, Vec<f64>)> {
    let mut out = Vec::new();
    let mut g1 = |name: &str, p: &Option<Param<Tensor<1>>>| {
        if let Some(p) = p {
            out.push((name.to_string(), vals(p.val().grad(grads).expect(name))));
        }
    };
    g1("tau_mem", &lif.tau_mem);
    g1("alpha", &lif.alpha);
    g1("dash_mem", &lif.dash_mem);
    g1("bias", &Some(lif.bias.clone()));
    g1("threshold", &Some(lif.threshold.clone()));
    let mut g2 = |name: &str, p: &Option<Param<Tensor<2>>>| {
        if let Some(p) = p {
            out.push((name.to_string(), vals(p.val().grad(grads).expect(name))));
        }
    };
    g2("tau_syn", &lif.tau_syn);
    g2("beta", &lif.beta);
    g2("dash_syn", &lif.dash_syn);
    g2("w_rec", &lif.w_rec);
    out
}

#[test]
fn fused_matches_reference_outputs_and_gradients() {
    let dev = device().autodiff();
    for case in cases() {
        rockpool::device::seed(&dev, 7);
        let lif = case.cfg.init(&dev).unwrap();
        let (b, t) = (3, 40);
        let ns = lif.n() * lif.n_syn();
        let x = Tensor::<3>::random([b, t, ns], Distribution::Uniform(-0.3, 1.2), &dev);
        let weights = Tensor::<3>::random([b, t, lif.n()], Distribution::Normal(0.0, 1.0), &dev);
        let zero: StateTree = lif.zero_state(b);

        let run = |reference: bool| {
            let xin = x.clone().require_grad();
            let ev = if reference {
                lif.evolve_reference(xin.clone(), zero.clone()).unwrap()
            } else {
                lif.evolve_with(xin.clone(), zero.clone(), true).unwrap()
            };
            let loss = (ev.output.clone() * weights.clone()).sum();
            let grads = loss.backward();
            let gx = vals(xin.grad(&grads).unwrap());
            (ev, gx, param_grads(&lif, &grads))
        };
        let (fused, gx_f, gp_f) = run(false);
        let (refr, gx_r, gp_r) = run(true);
        let name = case.name;
        assert_eq!(
            vals(fused.output.clone()),
            vals(refr.output.clone()),
            "{name}: spikes"
        );
        assert!(
            vals(fused.output).iter().sum::<f64>() > 0.0,
            "{name}: the case spikes"
        );
        for k in ["vmem", "isyn", "irec"] {
            let f = common::values(fused.record.get(k).unwrap());
            let r = common::values(refr.record.get(k).unwrap());
            // Both sides carry the state and the decays in f64 (the reference computes in f64
            // throughout); the traces are returned in f32.
            assert_close(&format!("{name}: record {k}"), &f, &r, 1e-5, 1e-5);
        }
        for k in ["vmem", "isyn", "spikes"] {
            let f = common::values(fused.state.get(k).unwrap());
            let r = common::values(refr.state.get(k).unwrap());
            assert_close(&format!("{name}: state {k}"), &f, &r, 1e-5, 1e-5);
        }
        eprintln!("{name}: dL/dx relative L2 error {:e}", rel_l2(&gx_f, &gx_r));
        // Bounds: the fused backward runs its adjoints in f32 (the reference in f64); the
        // surrogate's steep bumps turn that rounding into up to ~3e-5 relative differences.
        assert!(rel_l2(&gx_f, &gx_r) < 1e-4, "{name}: dL/dx");
        let gscale = gx_r.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert_close(&format!("{name}: dL/dx"), &gx_f, &gx_r, 1e-3, 1e-3 * gscale);
        assert_eq!(gp_f.len(), gp_r.len());
        for ((pn, f), (_, r)) in gp_f.iter().zip(&gp_r) {
            eprintln!("{name}: dL/d{pn} relative L2 error {:e}", rel_l2(f, r));
            assert!(rel_l2(f, r) < 1e-4, "{name}: dL/d{pn}");
            let scale = r.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-3);
            assert_close(&format!("{name}: dL/d{pn}"), f, r, 1e-3, 1e-4 * scale);
        }
    }
}

#[test]
fn state_carries_over_between_calls() {
    let dev = device();
    let cfg = LifConfig::new(3).with_n_syn(2).with_rec(true);
    rockpool::device::seed(&dev, 3);
    let mut whole = cfg.init(&dev).unwrap();
    let mut split = whole.clone();
    let x = Tensor::<3>::random([2, 30, 6], Distribution::Uniform(0.0, 1.0), &dev);
    let all = whole.evolve(x.clone(), false).unwrap();
    let a = split
        .evolve(x.clone().slice([0..2, 0..12, 0..6]), false)
        .unwrap();
    let b = split
        .evolve_with(x.slice([0..2, 12..30, 0..6]), a.state.clone(), false)
        .unwrap();
    let joined = Tensor::cat(vec![a.output, b.output], 1);
    assert_eq!(vals(joined), vals(all.output));
    let _ = Tree::<f32>::new();
}

#[test]
fn configs_and_errors() {
    let dev = device();
    assert!(LifConfig::new(2).with_threshold(0.0).init(&dev).is_err());
    assert!(
        LifConfig::new(2)
            .with_tau_mem(vec![0.1, 0.2, 0.3])
            .init(&dev)
            .is_err()
    );
    // A one-element vector is broadcast like a scalar.
    let x = Tensor::<3>::random([1, 30, 2], Distribution::Uniform(0.0, 0.5), &dev);
    let run = |cfg: LifConfig| {
        let lif = cfg.init(&dev).unwrap();
        let ev = lif.evolve_with(x.clone(), lif.zero_state(1), true).unwrap();
        common::values(ev.record.get("vmem").unwrap())
    };
    assert_eq!(
        run(LifConfig::new(2)
            .with_tau_mem(vec![0.05])
            .with_threshold(vec![0.7])),
        run(LifConfig::new(2).with_tau_mem(0.05).with_threshold(0.7))
    );
    let lif = LifConfig::new(2).with_n_syn(2).init(&dev).unwrap();
    assert_eq!(lif.describe(), "LIF with shape (4, 2)");
    let err = lif
        .evolve_with(
            Tensor::<3>::zeros([1, 5, 3], &dev),
            lif.zero_state(1),
            false,
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("(1, 5, 3)"), "{err}");
    let mut c = LifConfig::new(2);
    c.constant = vec!["tau_mem".into(), "tau_syn".into()];
    let lif = c.init(&dev).unwrap();
    assert!(lif.parameters("taus").is_empty());
    assert_eq!(
        lif.simulation_parameters("taus").names(),
        ["tau_mem", "tau_syn"]
    );
}

#[test]
fn membrane_readout_gradients_match_the_reference() {
    use rockpool::nn::LifOutput;
    let dev = device().autodiff();
    rockpool::device::seed(&dev, 5);
    // 12 neurons: one full eight-lane block of the vectorised backward, and a tail.
    let lif = LifConfig::new(12)
        .with_output(LifOutput::Vmem)
        .init(&dev)
        .unwrap();
    let x = Tensor::<3>::random([2, 30, 12], Distribution::Uniform(-0.2, 0.9), &dev);
    let w = Tensor::<3>::random([2, 30, 12], Distribution::Normal(0.0, 1.0), &dev);
    let run = |reference: bool| {
        let xin = x.clone().require_grad();
        let ev = if reference {
            lif.evolve_reference(xin.clone(), lif.zero_state(2))
                .unwrap()
        } else {
            lif.evolve_with(xin.clone(), lif.zero_state(2), false)
                .unwrap()
        };
        let out = vals(ev.output.clone());
        let g = (ev.output * w.clone()).sum().backward();
        (out, vals(xin.grad(&g).unwrap()), param_grads(&lif, &g))
    };
    let (of, gf, pf) = run(false);
    let (or, gr, pr) = run(true);
    assert_close("vmem output", &of, &or, 1e-4, 1e-4);
    assert!(rel_l2(&gf, &gr) < 1e-4, "dL/dx {}", rel_l2(&gf, &gr));
    for ((n, f), (_, r)) in pf.iter().zip(&pr) {
        assert!(rel_l2(f, r) < 1e-4, "dL/d{n}: {}", rel_l2(f, r));
    }
}

#[test]
fn readout_layer_is_not_spiking() {
    use rockpool::module::ModuleView;
    use rockpool::nn::LifOutput;
    let dev = device();
    let spiking = LifConfig::new(2).init(&dev).unwrap();
    let readout = LifConfig::new(2)
        .with_output(LifOutput::Vmem)
        .init(&dev)
        .unwrap();
    assert!(spiking.spiking_output() && spiking.spiking_input());
    assert!(
        !readout.spiking_output(),
        "a membrane read-out emits potentials"
    );
}

/// The device path's two methods, `lif_seq_train` and `lif_seq_adjoint`, in their host
/// default bodies (on flex, called directly: the autodiff op takes its host path there)
/// give exactly what the autodiff op gives: the same outputs, and the same gradients for
/// the input and every parameter, recurrent with traces.
#[test]
fn device_path_host_defaults_match_the_autodiff_op() {
    use burn::backend::Dispatch;
    use rockpool::nn::kernels::lif::{
        LifBackend, LifOpConfig, LifSequenceInput, LifSequenceOptions, lif_sequence,
    };
    let plain = device();
    let ad = plain.clone().autodiff();
    rockpool::device::seed(&plain, 21);
    let (b, t, n, syn) = (2, 30, 5, 2);
    let ns = n * syn;
    let x = Tensor::<3>::random([b, t, ns], Distribution::Uniform(-0.2, 0.9), &plain);
    let g = Tensor::<3>::random([b, t, 2 * n + ns], Distribution::Normal(0.0, 1.0), &plain);
    let p = |len, lo, hi| Tensor::<1>::random([len], Distribution::Uniform(lo, hi), &plain);
    let (leak_mem, leak_syn, thr, bias) = (
        p(n, 0.03, 0.15),
        p(ns, 0.05, 0.3),
        p(n, 0.6, 1.4),
        p(n, -0.05, 0.1),
    );
    let w_rec = Tensor::<2>::random([n, ns], Distribution::Normal(0.0, 0.3), &plain);
    let v0 = Tensor::<2>::random([b, n], Distribution::Uniform(0.0, 0.5), &plain);
    let i0 = Tensor::<2>::random([b, ns], Distribution::Uniform(0.0, 0.3), &plain);
    let s0 = Tensor::<2>::random([b, n], Distribution::Bernoulli(0.3), &plain);
    let cfg = LifOpConfig {
        options: LifSequenceOptions {
            n_syn: syn,
            max_spikes: 2.0,
            surrogate: Surrogate::FastSigmoid { slope: 3.0 },
            record_states: true,
            differentiable_traces: true,
            carry_synaptic_current: true,
        },
        has_rec: true,
        has_noise: false,
    };

    // The autodiff op (host path) on the same values.
    let on = |t: &Tensor<1>| Tensor::<1>::from_data(t.to_data(), &ad).require_grad();
    let (xa, lm, ls, th, bi) = (
        Tensor::<3>::from_data(x.to_data(), &ad).require_grad(),
        on(&leak_mem),
        on(&leak_syn),
        on(&thr),
        on(&bias),
    );
    let wa = Tensor::<2>::from_data(w_rec.to_data(), &ad).require_grad();
    let to_ad = |t: &Tensor<2>| Tensor::<2>::from_data(t.to_data(), &ad);
    let seq = lif_sequence(
        LifSequenceInput {
            input: xa.clone(),
            leak_mem: lm.clone(),
            leak_syn: ls.clone(),
            threshold: th.clone(),
            bias: bi.clone(),
            w_rec: Some(wa.clone()),
            noise: None,
            v0: to_ad(&v0),
            i0: to_ad(&i0),
            s0: to_ad(&s0),
        },
        cfg.options,
    );
    let (vm, is) = seq.traces.clone().unwrap();
    let first_ad = Tensor::cat(vec![seq.spikes.clone(), vm, is], 2);
    let grads = (first_ad.clone() * Tensor::<3>::from_data(g.to_data(), &ad))
        .sum()
        .backward();

    // The two methods, called directly.
    let zero3 = Tensor::<3>::zeros([1, 1, 1], &plain);
    let (first, vmem, isyn, irec, v_last, i_last, s_last, ua) =
        <Dispatch as LifBackend>::lif_seq_train(
            x.into_dispatch(),
            leak_mem.clone().into_dispatch(),
            leak_syn.clone().into_dispatch(),
            thr.clone().into_dispatch(),
            bias.into_dispatch(),
            w_rec.clone().into_dispatch(),
            zero3.into_dispatch(),
            v0.clone().into_dispatch(),
            i0.into_dispatch(),
            s0.clone().into_dispatch(),
            cfg,
        );
    let first = Tensor::<3>::from_dispatch(first);
    assert_eq!(vals(first.clone()), vals(first_ad), "first output");
    for (what, got, want) in [
        ("vmem", Tensor::<3>::from_dispatch(vmem), seq.vmem),
        ("isyn", Tensor::<3>::from_dispatch(isyn), seq.isyn),
        ("irec", Tensor::<3>::from_dispatch(irec), seq.irec),
    ] {
        assert_eq!(vals(got), vals(want), "{what}");
    }
    for (what, got, want) in [
        ("v_last", Tensor::<2>::from_dispatch(v_last), seq.v_last),
        ("i_last", Tensor::<2>::from_dispatch(i_last), seq.i_last),
        ("s_last", Tensor::<2>::from_dispatch(s_last), seq.s_last),
    ] {
        assert_eq!(vals(got), vals(want), "{what}");
    }
    let (gx, gm, gs, gt, gb, gw) = <Dispatch as LifBackend>::lif_seq_adjoint(
        leak_mem.into_dispatch(),
        leak_syn.into_dispatch(),
        thr.into_dispatch(),
        w_rec.into_dispatch(),
        v0.into_dispatch(),
        s0.into_dispatch(),
        first.into_dispatch(),
        ua,
        g.into_dispatch(),
        cfg,
    );
    assert_eq!(
        vals(Tensor::<3>::from_dispatch(gx)),
        vals(xa.grad(&grads).unwrap()),
        "dL/dx"
    );
    for (what, got, want) in [
        ("dL/dleak_mem", gm, lm.grad(&grads).unwrap()),
        ("dL/dleak_syn", gs, ls.grad(&grads).unwrap()),
        ("dL/dthr", gt, th.grad(&grads).unwrap()),
        ("dL/dbias", gb, bi.grad(&grads).unwrap()),
    ] {
        assert_eq!(vals(Tensor::<1>::from_dispatch(got)), vals(want), "{what}");
    }
    assert_eq!(
        vals(Tensor::<2>::from_dispatch(gw)),
        vals(wa.grad(&grads).unwrap()),
        "dL/dw_rec"
    );
}
