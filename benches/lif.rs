//! Benchmark workloads of ../shared/bench/WORKLOADS.md: forward, and forward + backward
//! (BPTT, loss = sum of the last layer's spikes, gradients for every trainable parameter).
//!
//! `cargo bench --bench lif` runs W1–W4; `ROCKPOOL_BENCH_ON=1` adds the open-neuromorphic
//! workload (Linear(n,n)–LIF(n), T = 500, B = 16) at n = 4096, or at the sizes listed in
//! `ROCKPOOL_BENCH_ON_SIZES` (e.g. `4096,8192,16384` on a GPU). With a GPU backend compiled in
//! (`--features wgpu`) the workloads run on the GPU, and every iteration waits for the device
//! to finish (`Device::sync`). Criterion reports throughput as
//! elements per second = LIF neuron-steps per second. The `floor` group times the dense matrix
//! products each workload needs, alone (the floor set by the matrix products).

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
        // The open-neuromorphic workload at each size of ROCKPOOL_BENCH_ON_SIZES
        // (comma-separated; default 4096, and 8192, 16384 are meant for a GPU).
        let sizes = std::env::var("ROCKPOOL_BENCH_ON_SIZES").unwrap_or_else(|_| "4096".into());
        for n in sizes.split(',') {
            let n: usize = n
                .trim()
                .parse()
                .expect("ROCKPOOL_BENCH_ON_SIZES: comma-separated layer sizes");
            w.push(Workload {
                id: Box::leak(format!("ON{n}").into_boxed_str()),
                layers: vec![(n, n)],
                recurrent: false,
                t: 500,
                b: 16,
            });
        }
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
        // Forward: the output raster itself (flex is eager, so it is computed when evolve
        // returns), as the peer harness's forward returns the network's output.
        group.bench_function(BenchmarkId::new("fwd", w.id), |bn| {
            bn.iter(|| {
                let out = net
                    .evolve_with(x.clone(), net.zero_state(w.b), false)
                    .unwrap()
                    .output;
                plain.sync().expect("device sync");
                out
            })
        });
        let net = build(&w, &ad);
        let x = Tensor::<3>::random([w.b, w.t, n_in], Distribution::Bernoulli(0.05), &ad);
        group.bench_function(BenchmarkId::new("fwd+bwd", w.id), |bn| {
            bn.iter(|| {
                let ev = net
                    .evolve_with(x.clone(), net.zero_state(w.b), false)
                    .unwrap();
                let grads = ev.output.sum().backward();
                plain.sync().expect("device sync");
                grads
            })
        });
    }
    group.finish();
    floor(c);
}

/// The floor set by the matrix products: the dense products a workload needs, alone, on plain
/// flex tensors (no neurons, no autodiff). Forward: `x·W` per layer (and, with recurrence,
/// `S·W_rec` as one product over all steps); forward+backward adds `xᵀ·g` for every weight and
/// `g·Wᵀ` for every tracked layer input (the hidden layers', and the recurrent one).
fn floor(c: &mut Criterion) {
    let dev = rockpool::device::default_device().unwrap();
    let mut group = c.benchmark_group("floor");
    group.sample_size(10);
    group.measurement_time(std::time::Duration::from_secs(3));
    group.warm_up_time(std::time::Duration::from_secs(1));
    for w in workloads() {
        let neurons: usize = w.layers.iter().map(|l| l.1).sum();
        group.throughput(Throughput::Elements((neurons * w.t * w.b) as u64));
        let rows = w.b * w.t;
        // (input, weights, output gradient, whether the input needs a gradient) per product.
        let mut products = Vec::new();
        for (k, &(i, o)) in w.layers.iter().enumerate() {
            let x = Tensor::<2>::random([rows, i], Distribution::Bernoulli(0.05), &dev);
            let wt = Tensor::<2>::random([i, o], Distribution::Normal(0.0, 0.1), &dev);
            let g = Tensor::<2>::random([rows, o], Distribution::Normal(0.0, 1.0), &dev);
            products.push((x, wt, g.clone(), k > 0));
            if w.recurrent {
                let s = Tensor::<2>::random([rows, o], Distribution::Bernoulli(0.05), &dev);
                let wr = Tensor::<2>::random([o, o], Distribution::Normal(0.0, 0.1), &dev);
                products.push((s, wr, g, true));
            }
        }
        group.bench_function(BenchmarkId::new("fwd", w.id), |bn| {
            bn.iter(|| {
                let out = products
                    .iter()
                    .map(|(x, wt, _, _)| x.clone().matmul(wt.clone()))
                    .collect::<Vec<_>>();
                dev.sync().expect("device sync");
                out
            })
        });
        group.bench_function(BenchmarkId::new("fwd+bwd", w.id), |bn| {
            bn.iter(|| {
                let mut out = Vec::new();
                for (x, wt, g, tracked) in &products {
                    out.push(x.clone().matmul(wt.clone()));
                    out.push(x.clone().transpose().matmul(g.clone()));
                    if *tracked {
                        out.push(g.clone().matmul(wt.clone().transpose()));
                    }
                }
                dev.sync().expect("device sync");
                out
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
