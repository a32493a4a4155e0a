//! The fused operations on the `wgpu` backend (built with `--features wgpu`) against the
//! default flex backend: the LIF and Rate sequences (on wgpu the CubeCL kernels of
//! `nn::kernels::lif::cube` and `rate::cube`, in f32, against the host kernels) and the
//! event-driven product (on wgpu the backend's `matmul`), values and gradients. Needs a wgpu adapter; a software one (Mesa's llvmpipe) is enough:
//! `cargo test --release --features wgpu --test backends`.
#![cfg(feature = "wgpu")]

mod common;

use burn::tensor::{Device, Distribution, Tensor};
use common::{assert_close, rel_l2, vals};
use rockpool::module::{Evolve, ModuleExt};
use rockpool::nn::{Activation, LeakMode, LifConfig, RateConfig, Surrogate};

fn wgpu() -> Device {
    rockpool::device::device_from_name("wgpu")
        .expect("a wgpu adapter (a GPU, or Mesa's llvmpipe: libegl-mesa0 / mesa-vulkan-drivers)")
}

fn on<const D: usize>(t: &Tensor<D>, dev: &Device) -> Tensor<D> {
    Tensor::from_data(t.to_data(), dev)
}

#[test]
fn lif_on_wgpu_matches_flex() {
    let flex = common::device().autodiff();
    let gpu = rockpool::device::autodiff(&wgpu());
    rockpool::device::seed(&flex, 3);
    // The same parameters on both devices: the configuration is deterministic but for the
    // recurrent weights, which are set from one draw.
    let w_rec = Tensor::<2>::random([11, 22], Distribution::Normal(0.0, 0.1), &flex);
    let alpha = Tensor::<1>::random([11], Distribution::Uniform(0.9, 0.97), &flex);
    let beta = Tensor::<2>::random([11, 2], Distribution::Uniform(0.8, 0.95), &flex);
    let make = |dev: &Device| {
        // Decays as parameters (1 − α is a subtraction, exact on both backends), so both
        // recurrences see bit-identical inputs.
        let mut lif = LifConfig::new(11)
            .with_leak_mode(LeakMode::Decays)
            .with_n_syn(2)
            .with_rec(true)
            .with_max_spikes(2.0)
            .with_surrogate(Surrogate::FastSigmoid { slope: 4.0 })
            .init(dev)
            .unwrap();
        let w = on(&w_rec, dev).require_grad();
        lif.w_rec = lif.w_rec.take().map(|p| p.map(|_| w));
        // The decays' initial values come from each backend's own exp: take flex's.
        let (a, b) = (
            on(&alpha, dev).require_grad(),
            on(&beta, dev).require_grad(),
        );
        lif.alpha = lif.alpha.take().map(|p| p.map(|_| a));
        lif.beta = lif.beta.take().map(|p| p.map(|_| b));
        lif
    };
    let x = Tensor::<3>::random([2, 40, 22], Distribution::Uniform(-0.3, 1.2), &flex);
    let w = Tensor::<3>::random([2, 40, 11], Distribution::Normal(0.0, 1.0), &flex);
    let run = |lif: &rockpool::nn::Lif, dev: &Device| {
        let xin = on(&x, dev).require_grad();
        let ev = lif
            .evolve_with(xin.clone(), lif.zero_state(2), false)
            .unwrap();
        let out = vals(ev.output.clone());
        let g = (ev.output * on(&w, dev)).sum().backward();
        let gw = vals(lif.w_rec.as_ref().unwrap().val().grad(&g).unwrap());
        let gt = vals(lif.threshold.val().grad(&g).unwrap());
        (out, vals(xin.grad(&g).unwrap()), gw, gt)
    };
    let (of, xf, wf, tf) = run(&make(&flex), &flex);
    let (og, xg, wg, tg) = run(&make(&gpu), &gpu);
    assert!(of.iter().sum::<f64>() > 0.0, "some spikes");
    assert_eq!(og, of, "spikes");
    // f32 device kernels against the host's (see the next test for the tolerances).
    for (what, g, f) in [
        ("dL/dx", &xg, &xf),
        ("dL/dw_rec", &wg, &wf),
        ("dL/dthreshold", &tg, &tf),
    ] {
        let err = rel_l2(g, f);
        assert!(err <= 1e-4, "{what} differs by {err:e} (relative L2)");
    }
}

#[test]
fn event_driven_product_on_wgpu_matches_flex() {
    let flex = common::device().autodiff();
    let gpu = rockpool::device::autodiff(&wgpu());
    rockpool::device::seed(&flex, 4);
    let x = Tensor::<2>::random([300, 37], Distribution::Bernoulli(0.05), &flex);
    let w = Tensor::<2>::random([37, 13], Distribution::Normal(0.0, 1.0), &flex);
    let g = Tensor::<2>::random([300, 13], Distribution::Normal(0.0, 1.0), &flex);
    let run = |dev: &Device| {
        let (xr, wr) = (on(&x, dev).require_grad(), on(&w, dev).require_grad());
        let y = rockpool::nn::kernels::spike_matmul::spike_matmul(xr.clone(), wr.clone());
        let grads = (y.clone() * on(&g, dev)).sum().backward();
        (
            vals(y),
            vals(xr.grad(&grads).unwrap()),
            vals(wr.grad(&grads).unwrap()),
        )
    };
    let (yf, xf, wf) = run(&flex);
    let (yg, xg, wg) = run(&gpu);
    assert_close("y", &yg, &yf, 1e-5, 1e-5);
    assert_close("dL/dx", &xg, &xf, 1e-5, 1e-5);
    assert_close("dL/dw", &wg, &wf, 1e-5, 1e-5);
}

#[test]
fn rate_on_wgpu_matches_flex() {
    let flex = common::device().autodiff();
    let gpu = rockpool::device::autodiff(&wgpu());
    rockpool::device::seed(&flex, 5);
    let w_rec = Tensor::<2>::random([7, 7], Distribution::Normal(0.0, 0.3), &flex);
    let make = |dev: &Device| {
        let mut rate = RateConfig::new(7)
            .with_act_fn(Activation::Tanh)
            .with_rec(true)
            .init(dev)
            .unwrap();
        let w = on(&w_rec, dev).require_grad();
        rate.w_rec = rate.w_rec.take().map(|p| p.map(|_| w));
        rate
    };
    let x = Tensor::<3>::random([2, 30, 7], Distribution::Uniform(-1.0, 1.0), &flex);
    let w = Tensor::<3>::random([2, 30, 7], Distribution::Normal(0.0, 1.0), &flex);
    let run = |rate: &rockpool::nn::Rate, dev: &Device| {
        let xin = on(&x, dev).require_grad();
        let ev = rate
            .evolve_with(xin.clone(), rate.zero_state(2), false)
            .unwrap();
        let out = vals(ev.output.clone());
        let g = (ev.output * on(&w, dev)).sum().backward();
        (
            out,
            vals(xin.grad(&g).unwrap()),
            vals(rate.tau.val().grad(&g).unwrap()),
        )
    };
    let (of, xf, tf) = run(&make(&flex), &flex);
    let (og, xg, tg) = run(&make(&gpu), &gpu);
    // f32 device kernels against the host's f64 (see the variant test for the tolerances).
    for (what, g, f, tol) in [
        ("output", &og, &of, 1e-5),
        ("dL/dx", &xg, &xf, 1e-4),
        ("dL/dtau", &tg, &tf, 1e-4),
    ] {
        let err = rel_l2(g, f);
        assert!(err <= tol, "{what} differs by {err:e} (relative L2)");
    }
}

/// One configuration of the fused LIF op.
#[derive(Clone, Copy, Debug)]
struct Variant {
    /// 300 neurons instead of 9: more neurons than units per cube (256), so units own
    /// several neurons (recurrent) or the layer spans several cubes (feed-forward).
    wide: bool,
    rec: bool,
    syn: usize,
    max_spikes: f32,
    surrogate: Surrogate,
    noise: bool,
    record: bool,
    traces: bool,
    carry: bool,
}

/// Every output and every gradient of one fused LIF call on `dev`.
fn lif_op_run(
    v: Variant,
    inputs: &[Tensor<3>; 4],
    params: &[Tensor<1>; 5],
    w_rec: &Tensor<2>,
    dev: &Device,
) -> Vec<(&'static str, Vec<f64>)> {
    use rockpool::nn::kernels::lif::{LifSequenceInput, LifSequenceOptions, lif_sequence};
    let [x, noise, gs, gtr] = inputs;
    let [leak_mem, leak_syn, thr, bias, state] = params;
    let (b, t, ns) = (x.dims()[0], x.dims()[1], x.dims()[2]);
    let n = ns / v.syn;
    let x = on(x, dev).require_grad();
    let p: Vec<Tensor<1>> = [leak_mem, leak_syn, thr, bias]
        .iter()
        .map(|p| on(p, dev).require_grad())
        .collect();
    let w = on(w_rec, dev).require_grad();
    let state = on(state, dev);
    let v0 = state.clone().slice(0..b * n).reshape([b, n]);
    let i0 = state
        .clone()
        .slice(0..b * ns)
        .reshape([b, ns])
        .mul_scalar(0.5);
    let s0 = state
        .slice(0..b * n)
        .reshape([b, n])
        .greater_elem(0.3)
        .float();
    let seq = lif_sequence(
        LifSequenceInput {
            input: x.clone(),
            leak_mem: p[0].clone(),
            leak_syn: p[1].clone(),
            threshold: p[2].clone(),
            bias: p[3].clone(),
            w_rec: v.rec.then(|| w.clone()),
            noise: v.noise.then(|| on(noise, dev)),
            v0,
            i0,
            s0,
        },
        LifSequenceOptions {
            n_syn: v.syn,
            max_spikes: v.max_spikes,
            surrogate: v.surrogate,
            record_states: v.record,
            differentiable_traces: v.traces,
            carry_synaptic_current: v.carry,
        },
    );
    let gs = on(gs, dev);
    let mut loss = (seq.spikes.clone() * gs.clone().slice([0..b, 0..t, 0..n])).sum();
    if let Some((vm, is)) = seq.traces.clone() {
        let gtr = on(gtr, dev);
        loss = loss
            + (vm * gs.slice([0..b, 0..t, 0..n])).sum() * 0.3
            + (is * gtr.slice([0..b, 0..t, 0..ns])).sum() * 0.2;
    }
    let g = loss.backward();
    let mut out = vec![
        ("spikes", vals(seq.spikes)),
        ("v_last", vals(seq.v_last)),
        ("i_last", vals(seq.i_last)),
        ("s_last", vals(seq.s_last)),
        ("vmem", vals(seq.vmem)),
        ("isyn", vals(seq.isyn)),
        ("irec", vals(seq.irec)),
        ("dL/dx", vals(x.grad(&g).unwrap())),
        ("dL/dleak_mem", vals(p[0].grad(&g).unwrap())),
        ("dL/dleak_syn", vals(p[1].grad(&g).unwrap())),
        ("dL/dthr", vals(p[2].grad(&g).unwrap())),
        ("dL/dbias", vals(p[3].grad(&g).unwrap())),
    ];
    if let Some((vm, is)) = seq.traces {
        out.push(("traces vmem", vals(vm)));
        out.push(("traces isyn", vals(is)));
    }
    if v.rec {
        out.push(("dL/dw_rec", vals(w.grad(&g).unwrap())));
    }
    out
}

/// The CubeCL LIF kernels against the host kernels for every variant: feed-forward and
/// recurrent, one and several synapses, single and multiple spikes, every surrogate, noise,
/// records, differentiable traces, with and without synaptic carry. The device runs in f32
/// (the host forward carries its state in f64; both backwards run in f32, summing in
/// different orders), so values agree to rounding: the spike rasters exactly, the other
/// forward values to 1e-5 relative (L2), the gradients to 1e-4. (Measured: forward values
/// within 1e-6; gradients within 6e-6, except the recurrent three-synapse case with the fast
/// sigmoid, whose surrogate keeps every path of the recurrence alive: 1–4e-5.)
#[test]
fn lif_kernels_on_wgpu_match_flex_for_every_variant() {
    let flex = common::device().autodiff();
    let gpu = rockpool::device::autodiff(&wgpu());
    let surrogates = [
        Surrogate::StepPwl { window: 0.5 },
        Surrogate::PeriodicExponential { window: 0.4 },
        Surrogate::FastSigmoid { slope: 4.0 },
        Surrogate::Sigmoid { slope: 3.0 },
        Surrogate::Arctan { slope: 2.0 },
    ];
    let base = Variant {
        wide: false,
        rec: false,
        syn: 1,
        max_spikes: 1.0,
        surrogate: surrogates[0],
        noise: false,
        record: false,
        traces: false,
        carry: true,
    };
    let mut variants = vec![base];
    for (k, &sg) in surrogates.iter().enumerate() {
        variants.push(Variant {
            surrogate: sg,
            rec: k % 2 == 0,
            syn: 1 + k % 3,
            max_spikes: [1.0, 3.0][k % 2],
            ..base
        });
    }
    variants.push(Variant {
        rec: true,
        syn: 2,
        max_spikes: 2.0,
        noise: true,
        record: true,
        ..base
    });
    variants.push(Variant {
        syn: 2,
        traces: true,
        record: true,
        ..base
    });
    variants.push(Variant {
        rec: true,
        traces: true,
        carry: false,
        surrogate: surrogates[2],
        ..base
    });
    variants.push(Variant {
        carry: false,
        noise: true,
        max_spikes: 4.0,
        ..base
    });
    variants.push(Variant {
        wide: true,
        rec: true,
        surrogate: surrogates[3],
        ..base
    });
    variants.push(Variant {
        wide: true,
        syn: 2,
        max_spikes: 2.0,
        ..base
    });
    for (case, v) in variants.into_iter().enumerate() {
        rockpool::device::seed(&flex, 100 + case as u64);
        let (b, t, n) = (3, 25, if v.wide { 300 } else { 9 });
        let ns = n * v.syn;
        let inputs = [
            Tensor::<3>::random([b, t, ns], Distribution::Uniform(-0.2, 0.9), &flex),
            Tensor::<3>::random([b, t, n], Distribution::Normal(0.0, 0.1), &flex),
            Tensor::<3>::random([b, t, 2 * n + ns], Distribution::Normal(0.0, 1.0), &flex),
            Tensor::<3>::random([b, t, 2 * n + ns], Distribution::Normal(0.0, 1.0), &flex),
        ];
        let params = [
            Tensor::<1>::random([n], Distribution::Uniform(0.03, 0.15), &flex),
            Tensor::<1>::random([ns], Distribution::Uniform(0.05, 0.3), &flex),
            Tensor::<1>::random([n], Distribution::Uniform(0.6, 1.4), &flex),
            Tensor::<1>::random([n], Distribution::Uniform(-0.05, 0.1), &flex),
            Tensor::<1>::random([b * ns], Distribution::Uniform(0.0, 0.6), &flex),
        ];
        let w_rec = Tensor::<2>::random(
            [n, ns],
            Distribution::Normal(0.0, 0.6 / (n as f64).sqrt()),
            &flex,
        );
        let want = lif_op_run(v, &inputs, &params, &w_rec, &flex);
        let got = lif_op_run(v, &inputs, &params, &w_rec, &gpu);
        assert!(
            want[0].1.iter().sum::<f64>() > 0.0,
            "case {case} {v:?}: some spikes"
        );
        for ((what, g), (_, w)) in got.iter().zip(&want) {
            assert_eq!(g.len(), w.len(), "case {case} {v:?}: {what} size");
            let err = rel_l2(g, w);
            if *what == "spikes" || *what == "s_last" {
                assert_eq!(g, w, "case {case} {v:?}: {what}");
            } else if what.starts_with("dL/") {
                assert!(
                    err <= 1e-4,
                    "case {case} {v:?}: {what} differs by {err:e} (relative L2)"
                );
            } else {
                assert!(
                    err <= 1e-5,
                    "case {case} {v:?}: {what} differs by {err:e} (relative L2)"
                );
            }
        }
    }
}

/// The CubeCL Rate kernels against the host kernels for every activation, with and without
/// recurrence, noise and records: outputs to 1e-5 relative (L2), gradients (input, a, bias,
/// threshold, recurrent weights, initial state) to 1e-4 (f32 on the device, f64 on the host).
#[test]
fn rate_kernels_on_wgpu_match_flex_for_every_variant() {
    use rockpool::nn::kernels::rate::{RateSequenceInput, RateSequenceOptions, rate_sequence};
    let flex = common::device().autodiff();
    let gpu = rockpool::device::autodiff(&wgpu());
    // (activation, recurrent, noise, record, neurons): 300 neurons is more than the 256 units
    // of a cube (several neurons per unit, or several cubes).
    let cases = [
        (Activation::Relu, false, false, false, 8),
        (Activation::Tanh, true, false, true, 8),
        (Activation::Sigmoid, true, true, false, 8),
        (Activation::Relu, true, true, true, 8),
        (Activation::Tanh, false, true, false, 8),
        (Activation::Tanh, true, false, false, 300),
        (Activation::Sigmoid, false, false, true, 300),
    ];
    for (case, &(act, rec, noise, record, n)) in cases.iter().enumerate() {
        let (b, t) = (3, 30);
        rockpool::device::seed(&flex, 200 + case as u64);
        let input = Tensor::<3>::random([b, t, n], Distribution::Uniform(-1.0, 1.5), &flex);
        let nz = Tensor::<3>::random([b, t, n], Distribution::Normal(0.0, 0.1), &flex);
        let gy = Tensor::<3>::random([b, t, n], Distribution::Normal(0.0, 1.0), &flex);
        let a = Tensor::<1>::random([n], Distribution::Uniform(0.05, 0.3), &flex);
        let bias = Tensor::<1>::random([n], Distribution::Uniform(-0.2, 0.2), &flex);
        let thr = Tensor::<1>::random([n], Distribution::Uniform(-0.3, 0.3), &flex);
        let w_rec = Tensor::<2>::random(
            [n, n],
            Distribution::Normal(0.0, 1.1 / (n as f64).sqrt()),
            &flex,
        );
        let x0 = Tensor::<2>::random([b, n], Distribution::Uniform(-0.5, 0.8), &flex);
        let run = |dev: &Device| {
            let i = on(&input, dev).require_grad();
            let p: Vec<Tensor<1>> = [&a, &bias, &thr]
                .iter()
                .map(|p| on(p, dev).require_grad())
                .collect();
            let w = on(&w_rec, dev).require_grad();
            let x0 = on(&x0, dev).require_grad();
            let seq = rate_sequence(
                RateSequenceInput {
                    input: i.clone(),
                    a: p[0].clone(),
                    bias: p[1].clone(),
                    threshold: p[2].clone(),
                    w_rec: rec.then(|| w.clone()),
                    noise: noise.then(|| on(&nz, dev)),
                    x0: x0.clone(),
                },
                RateSequenceOptions {
                    activation: act,
                    record_states: record,
                },
            );
            let g = (seq.y.clone() * on(&gy, dev)).sum().backward();
            let mut out = vec![
                ("y", vals(seq.y)),
                ("x_last", vals(seq.x_last)),
                ("dL/dinput", vals(i.grad(&g).unwrap())),
                ("dL/da", vals(p[0].grad(&g).unwrap())),
                ("dL/dbias", vals(p[1].grad(&g).unwrap())),
                ("dL/dthr", vals(p[2].grad(&g).unwrap())),
                ("dL/dx0", vals(x0.grad(&g).unwrap())),
            ];
            if let Some((x, r)) = seq.records {
                out.push(("x", vals(x)));
                out.push(("rec_input", vals(r)));
            }
            if rec {
                out.push(("dL/dw_rec", vals(w.grad(&g).unwrap())));
            }
            out
        };
        let (want, got) = (run(&flex), run(&gpu));
        assert_eq!(got.len(), want.len());
        for ((what, g), (_, w)) in got.iter().zip(&want) {
            assert_eq!(g.len(), w.len(), "case {case}: {what} size");
            let err = rel_l2(g, w);
            let tol = if what.starts_with("dL/") { 1e-4 } else { 1e-5 };
            assert!(
                err <= tol,
                "case {case} ({act:?}, rec {rec}, noise {noise}): {what} differs by {err:e} (relative L2)"
            );
        }
    }
}
