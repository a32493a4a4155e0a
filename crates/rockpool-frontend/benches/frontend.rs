//! Throughput of the front-end simulators: one second of audio through XyloAudio 3's
//! `AFESimExternal` (at its own rate and from 16 kHz) and `AFESimPDM`, one second through
//! XyloAudio 2's `AFESim` (noise and mismatch off, and on), and a minute of IMU data through
//! `IMUIFSim`. `cargo bench -p rockpool-frontend`.

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Array2;
use rockpool_frontend::imu::{ImuIfConfig, ImuIfSim};
use rockpool_frontend::xa2::{AfeSim, AfeSimConfig};
use rockpool_frontend::xa3::{AfeConfig, AfeSimExternal, AfeSimPdm};

fn chirp(n: usize, fs: f64) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let t = i as f64 / fs;
            0.4 * (2.0 * std::f64::consts::PI * (200.0 + 2000.0 * t) * t).sin()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("frontend");
    g.sample_size(10);
    let fs3 = 48_828.125;
    let cfg = AfeConfig::default();
    let ext = AfeSimExternal::new(&cfg).unwrap();
    let x48 = chirp(48_828, fs3);
    g.bench_function("xa3_external/1s", |b| b.iter(|| ext.process(&x48).unwrap()));
    let x16 = chirp(16_000, 16_000.0);
    g.bench_function("xa3_external_16k/1s", |b| {
        b.iter(|| ext.process_at(&x16, 16_000.0).unwrap())
    });
    let pdm = AfeSimPdm::new(&cfg).unwrap();
    g.bench_function("xa3_pdm/1s", |b| {
        b.iter(|| pdm.process_at(&x48, fs3).unwrap())
    });
    let x110 = chirp(110_000, 110_000.0);
    for (name, config) in [
        ("xa2_afesim_ideal/1s", AfeSimConfig::ideal()),
        (
            "xa2_afesim_noise/1s",
            AfeSimConfig {
                seed: Some(1),
                ..AfeSimConfig::default()
            },
        ),
    ] {
        let mut sim = AfeSim::new(config).unwrap();
        g.bench_function(name, |b| b.iter(|| sim.process(&x110).unwrap()));
    }
    let imu = Array2::from_shape_fn((12_000, 3), |(i, c)| {
        let t = i as f64 / 200.0;
        (8000.0 * (t * (1.0 + c as f64)).sin()) as i64 + if c == 2 { 16000 } else { 0 }
    });
    let mut sim = ImuIfSim::new(ImuIfConfig::default()).unwrap();
    g.bench_function("imu_ifsim/60s", |b| b.iter(|| sim.process(&imu).unwrap()));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
