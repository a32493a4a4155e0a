//! Benchmark workloads of ../shared/bench/WORKLOADS.md: forward, and forward + backward
//! (BPTT, loss = sum of the last layer's spikes, gradients for every trainable parameter).
//!
//! `cargo bench --bench lif` runs W1–W4; `ROCKPOOL_BENCH_ON=1` adds the open-neuromorphic
//! workload (Linear(4096,4096)–LIF(4096), T = 500, B = 16). Criterion reports throughput as
//! elements per second = LIF neuron-steps per second.

use burn::tensor::{Device, Distribution, Tensor};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rockpool::module::{Evolve, ModuleExt};
use rockpool::nn::{Layer, LifConfig, Linear, Sequential};

struct Workload {
    id: &'static str,
    layers: Vec<(usize, usize)>,
    recurrent: bool,
    t: usize,
    b: usize,
}

fn workloads() -> Vec<Workload> {
    let mut w = vec![
        Workload {
            id: "W1",
            layers: vec![(128, 128)],
            recurrent: false,
            t: 1000,
            b: 32,
        },
        Workload {
            id: "W2",
            layers: vec![(512, 512)],
            recurrent: false,
            t: 500,
            b: 32,
        },
        Workload {
            id: "W3",
            layers: vec![(64, 256), (256, 256), (256, 10)],
            recurrent: false,
            t: 200,
            b: 64,
        },
        Workload {
            id: "W4",
            layers: vec![(256, 256)],
            recurrent: true,
            t: 1000,
            b: 16,
        },
    ];
    if std::env::var("ROCKPOOL_BENCH_ON").is_ok_and(|v| v == "1") {
        w.push(Workload {
            id: "ON4096",
            layers: vec![(4096, 4096)],
            recurrent: false,
            t: 500,
            b: 16,
        });
    }
    w
}

/// Weights N(0, 0.2²/fan_in) feed-forward and N(0, 0.02²/N) recurrent, as the peer harness.
fn build(w: &Workload, dev: &Device) -> Sequential {
    rockpool::device::seed(dev, 0);
    let mut net: Sequential = Sequential::new();
    for &(i, o) in &w.layers {
        let weight = Tensor::<2>::random(
            [i, o],
            Distribution::Normal(0.0, 0.2 / (i as f64).sqrt()),
            dev,
        );
        net.push(Layer::from(Linear::from_weights(weight, None)))
            .unwrap();
        let mut lif = LifConfig::new(o).with_rec(w.recurrent).init(dev).unwrap();
        if let Some(wr) = lif.w_rec.take() {
            let fresh = Tensor::<2>::random(
                [o, o],
                Distribution::Normal(0.0, 0.02 / (o as f64).sqrt()),
                dev,
            );
            lif.w_rec = Some(wr.map(|_| fresh));
        }
        net.push(Layer::from(lif)).unwrap();
    }
    net
}

fn bench(c: &mut Criterion) {
    let plain = rockpool::device::default_device().unwrap();
    let ad = rockpool::device::autodiff(&plain);
    let mut group = c.benchmark_group("lif");
    group.sample_size(10);
    group.measurement_time(std::time::Duration::from_secs(4));
    group.warm_up_time(std::time::Duration::from_secs(1));
    for w in workloads() {
        let neurons: usize = w.layers.iter().map(|l| l.1).sum();
        group.throughput(Throughput::Elements((neurons * w.t * w.b) as u64));
        let n_in = w.layers[0].0;
        let net = build(&w, &plain);
        let x = Tensor::<3>::random([w.b, w.t, n_in], Distribution::Bernoulli(0.05), &plain);
        group.bench_function(BenchmarkId::new("fwd", w.id), |bn| {
            bn.iter(|| {
                let ev = net
                    .evolve_with(x.clone(), net.zero_state(w.b), false)
                    .unwrap();
                ev.output.sum().into_scalar::<f32>()
            })
        });
        let net = build(&w, &ad);
        let x = Tensor::<3>::random([w.b, w.t, n_in], Distribution::Bernoulli(0.05), &ad);
        group.bench_function(BenchmarkId::new("fwd+bwd", w.id), |bn| {
            bn.iter(|| {
                let ev = net
                    .evolve_with(x.clone(), net.zero_state(w.b), false)
                    .unwrap();
                ev.output.sum().backward()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
