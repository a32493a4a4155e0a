//! Peak resident memory of one forward or forward+backward pass of a benchmark workload
//! (Linux: `VmHWM` of /proc/self/status), for docs/benchmarks.md:
//!
//! ```sh
//! for w in W1 W2 W3 W4; do for m in fwd fwd+bwd; do
//!   cargo run --release --example peak_memory -- $w $m; done; done
//! ```
//!
//! Each run is its own process, so the high-water mark belongs to that pass alone; the
//! baseline (network, input and runtime, before the pass) is printed too.

use burn::tensor::{Distribution, Tensor};
use rockpool::module::{Evolve, ModuleExt};
use rockpool::nn::{Layer, LifConfig, Linear, Sequential};

fn vm_hwm_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() -> rockpool::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (id, mode) = (
        args.get(1).map_or("W1", String::as_str),
        args.get(2).map_or("fwd+bwd", String::as_str),
    );
    // The workloads of ../shared/bench/WORKLOADS.md (as benches/lif.rs).
    let (layers, recurrent, t, b): (&[(usize, usize)], bool, usize, usize) = match id {
        "W1" => (&[(128, 128)], false, 1000, 32),
        "W2" => (&[(512, 512)], false, 500, 32),
        "W3" => (&[(64, 256), (256, 256), (256, 10)], false, 200, 64),
        "W4" => (&[(256, 256)], true, 1000, 16),
        other => {
            return Err(rockpool::Error::value(
                "workload",
                format!("unknown '{other}' (W1, W2, W3, W4)"),
            ));
        }
    };
    if !matches!(mode, "fwd" | "fwd+bwd") {
        return Err(rockpool::Error::value(
            "mode",
            format!("unknown '{mode}' (fwd, fwd+bwd)"),
        ));
    }
    let plain = rockpool::device::default_device()?;
    let dev = if mode == "fwd" {
        plain
    } else {
        rockpool::device::autodiff(&plain)
    };
    let mut net: Sequential = Sequential::new();
    for &(i, o) in layers {
        let w = Tensor::<2>::random(
            [i, o],
            Distribution::Normal(0.0, 0.2 / (i as f64).sqrt()),
            &dev,
        );
        net.push(Layer::from(Linear::from_weights(w, None)))?;
        net.push(Layer::from(
            LifConfig::new(o).with_rec(recurrent).init(&dev)?,
        ))?;
    }
    let x = Tensor::<3>::random([b, t, layers[0].0], Distribution::Bernoulli(0.05), &dev);
    let _ = x.clone().sum().into_scalar::<f32>();
    let base = vm_hwm_mib();
    let out = net.evolve_with(x, net.zero_state(b), false)?.output.sum();
    if mode == "fwd" {
        let _ = out.into_scalar::<f32>();
    } else {
        let _ = out.backward();
    }
    let peak = vm_hwm_mib();
    println!(
        "{id} {mode}: peak RSS {peak:.0} MiB (before the pass {base:.0} MiB, +{:.0} MiB)",
        peak - base
    );
    Ok(())
}
