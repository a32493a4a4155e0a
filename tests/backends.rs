//! The fused operations on the `wgpu` backend (built with `--features wgpu`) against the
//! default flex backend: the LIF and Rate sequences (on wgpu they run on the host, with a
//! round trip per layer) and the event-driven product (on wgpu the backend's `matmul`), values
//! and gradients. Needs a wgpu adapter; a software one (Mesa's llvmpipe) is enough:
//! `cargo test --release --features wgpu --test backends`.
#![cfg(feature = "wgpu")]

mod common;

use burn::tensor::{Device, Distribution, Tensor};
use common::{assert_close, vals};
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
    assert_close("dL/dx", &xg, &xf, 1e-6, 1e-7);
    assert_close("dL/dw_rec", &wg, &wf, 1e-6, 1e-7);
    assert_close("dL/dthreshold", &tg, &tf, 1e-6, 1e-7);
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
    assert_close("output", &og, &of, 1e-6, 1e-7);
    assert_close("dL/dx", &xg, &xf, 1e-6, 1e-7);
    assert_close("dL/dtau", &tg, &tf, 1e-6, 1e-7);
}
