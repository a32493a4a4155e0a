//! A training loop written against the library API, the way a user writes one: build a
//! spiking network, generate the frozen-noise task, and train with Adam and BPTT.
//!
//! Run with `cargo run --release --example train_frozen_noise`.

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Tensor, TensorData};
use rockpool::module::{Evolve, ModuleExt};
use rockpool::nn::{Layer, LifConfig, LinearConfig, Sequential, Surrogate};
use rockpool::tasks::{FrozenNoiseConfig, Targets};
use rockpool::train::loss::{Loss, Target, correct};
use rockpool::{Result, device};

fn main() -> Result<()> {
    let dev = device::autodiff(&device::default_device()?);
    device::seed(&dev, 1);
    let surrogate = Surrogate::FastSigmoid { slope: 5.0 };
    let lif = |n| {
        LifConfig::new(n)
            .with_tau_syn(0.01)
            .with_max_spikes(1.0)
            .with_surrogate(surrogate)
            .init(&dev)
    };
    let mut net: Sequential = Sequential::from_modules([
        Layer::from(LinearConfig::new(16, 64).init(&dev)),
        Layer::from(lif(64)?),
        Layer::from(LinearConfig::new(64, 4).init(&dev)),
        Layer::from(lif(4)?),
    ])?;
    println!("{}", net.describe());

    let task = FrozenNoiseConfig::default();
    let train = task
        .generate(800, 0)
        .map_err(|e| rockpool::Error::value("task", e.to_string()))?;
    let mut optim = AdamConfig::new().init();
    for epoch in 0..10 {
        let (mut loss_sum, mut right, mut n) = (0.0, 0, 0);
        for batch in train
            .batches(32, true, epoch)
            .map_err(|e| rockpool::Error::value("data", e.to_string()))?
        {
            let (b, t, c) = batch.x.dim();
            let x = Tensor::<3>::from_data(
                TensorData::new(batch.x.into_raw_vec_and_offset().0, [b, t, c]),
                &dev,
            );
            let Targets::Class(labels) = batch.y else {
                unreachable!("classification task")
            };
            let ev = net.evolve_with(x, net.zero_state(b), false)?;
            let loss =
                Loss::CrossEntropy.compute(ev.output.clone(), &Target::Classes(labels.clone()))?;
            loss_sum += f64::from(loss.clone().into_scalar::<f32>()) * b as f64;
            right += correct(&ev.output, &labels);
            n += b;
            let grads = GradientsParams::from_grads(loss.backward(), &net);
            net = optim.step(1e-3, net, grads);
        }
        let rate = net
            .valid()
            .evolve_with(
                Tensor::<3>::zeros([1, 1, 16], &net.valid().devices()[0]),
                net.valid().zero_state(1),
                false,
            )
            .map(|_| ())
            .is_ok();
        println!(
            "epoch {epoch}: loss {:.4}, accuracy {:.3} ({})",
            loss_sum / n as f64,
            right as f64 / n as f64,
            if rate { "ok" } else { "?" }
        );
        for (path, a) in net.parameters(()).leaves() {
            if let rockpool::module::Value::Tensor(t) = &a.value {
                let v = t.to_vec_f32();
                let nan = v.iter().filter(|x| !x.is_finite()).count();
                let (lo, hi) = v
                    .iter()
                    .fold((f32::MAX, f32::MIN), |(l, h), &x| (l.min(x), h.max(x)));
                println!("    {path}: [{lo:.4}, {hi:.4}] non-finite {nan}");
            }
        }
    }
    Ok(())
}
