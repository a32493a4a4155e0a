//! The event-data loader against its limit. For SHD-like data (an HDF5 file of vlen times and
//! units, 700 channels, ~1500 events per sample) and N-MNIST-like data (one `.bin` file per
//! sample, ~4000 events on 34×34×2), three cases per dataset, each over the same 256 samples:
//!
//! - `loader/<data>/read_bytes`: reading the files' bytes from disk (page cache) — the limit;
//! - `loader/<data>/decode`: the readers (`EventDataset::get`): bytes → validated events;
//! - `loader/<data>/epoch`: what training sees: an `EpochLoader` epoch of batches of 32 —
//!   reading, the data's transforms (SHD: channel downsampling; N-MNIST: spatial
//!   downsampling), binning at 10 ms into 100 steps, and the tensors of each batch.
//!
//! Throughput is reported in events (criterion's elements). Run with
//! `cargo bench --bench loader -- --noplot`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use burn::data::dataloader::DataLoader;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rockpool::train::events::{EventFormat, EventSamples, open};
use rockpool::train::{EpochLoader, SampleSource};
use rockpool_events::{Compose, ToFrame};

const SAMPLES: usize = 256;

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join("rockpool-bench-loader");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// An SHD-like file: 256 samples of ~1500 events over 1 s on 700 units, f32 times, u16 units.
fn shd_file() -> (PathBuf, u64) {
    let path = dir().join("shd_like.h5");
    let mut s = 7u64;
    let (mut times, mut units) = (Vec::new(), Vec::new());
    for _ in 0..SAMPLES {
        let n = 1000 + (xorshift(&mut s) % 1000) as usize;
        let mut t: Vec<f32> = (0..n)
            .map(|_| (xorshift(&mut s) % 1_000_000) as f32 * 1e-6)
            .collect();
        t.sort_by(f32::total_cmp);
        times.push(t);
        units.push(
            (0..n)
                .map(|_| (xorshift(&mut s) % 700) as u16)
                .collect::<Vec<u16>>(),
        );
    }
    let events = times.iter().map(|t| t.len() as u64).sum();
    if !path.exists() {
        let f = rust_hdf5::H5File::create(&path).unwrap();
        let g = f.create_group("spikes").unwrap();
        let t: Vec<&[f32]> = times.iter().map(|v| v.as_slice()).collect();
        let u: Vec<&[u16]> = units.iter().map(|v| v.as_slice()).collect();
        g.write_vlen_numeric("times", &t).unwrap();
        g.write_vlen_numeric("units", &u).unwrap();
        let labels: Vec<u8> = (0..SAMPLES).map(|i| (i % 20) as u8).collect();
        let d = f
            .new_dataset::<u8>()
            .shape([SAMPLES])
            .create("labels")
            .unwrap();
        d.write_raw(&labels).unwrap();
        f.close().unwrap();
    }
    (path, events)
}

/// An N-MNIST-like split folder: 256 files of ~4000 events over 300 ms.
fn nmnist_folder() -> (PathBuf, u64, Vec<PathBuf>) {
    let root = dir().join("nmnist_like");
    let mut s = 11u64;
    let mut events = 0u64;
    let mut files = Vec::new();
    for i in 0..SAMPLES {
        let folder = root.join((i % 10).to_string());
        std::fs::create_dir_all(&folder).unwrap();
        let path = folder.join(format!("{i:05}.bin"));
        let n = 3000 + (xorshift(&mut s) % 2000) as usize;
        events += n as u64;
        if !path.exists() {
            let mut bytes = Vec::with_capacity(5 * n);
            let mut t = 0u32;
            for _ in 0..n {
                t += (xorshift(&mut s) % 150) as u32;
                let (x, y, p) = (
                    xorshift(&mut s) % 34,
                    xorshift(&mut s) % 34,
                    xorshift(&mut s) % 2,
                );
                bytes.extend([
                    x as u8,
                    y as u8,
                    ((p as u8) << 7) | ((t >> 16) & 0x7F) as u8,
                    (t >> 8) as u8,
                    t as u8,
                ]);
            }
            std::fs::write(&path, bytes).unwrap();
        }
        files.push(path);
    }
    (root, events, files)
}

fn read_all(files: &[PathBuf]) -> usize {
    files.iter().map(|f| std::fs::read(f).unwrap().len()).sum()
}

fn epoch(source: &SampleSource) -> usize {
    let loader = EpochLoader::from_source(
        source,
        32,
        Some(0),
        &rockpool::device::default_device().unwrap(),
    )
    .unwrap();
    let loader: Arc<dyn DataLoader<_>> = Arc::new(loader);
    loader.iter().map(|m| m.unwrap().batch.len()).sum()
}

fn source(format: EventFormat, path: &Path, transforms: &str) -> SampleSource {
    let data = open(format, path).unwrap();
    let transforms: Compose = toml::from_str::<toml::Table>(&format!("t = {transforms}")).unwrap()
        ["t"]
        .clone()
        .try_into()
        .unwrap();
    let frame = ToFrame {
        dt: 0.01,
        bins: Some(100),
    };
    EventSamples::new(data, None, (transforms, Compose::default()), frame, 0)
        .unwrap()
        .into_source()
}

fn bench(c: &mut Criterion) {
    let (shd, shd_events) = shd_file();
    let (nmnist, nmnist_events, nmnist_files) = nmnist_folder();
    let mut g = c.benchmark_group("loader");
    g.sample_size(10);

    g.throughput(Throughput::Elements(shd_events));
    g.bench_function("shd/read_bytes", |b| {
        b.iter(|| std::fs::read(&shd).unwrap().len())
    });
    let shd_data = open(EventFormat::Shd, &shd).unwrap();
    g.bench_function("shd/decode", |b| {
        b.iter(|| {
            (0..SAMPLES)
                .map(|i| shd_data.get(i).unwrap().0.len())
                .sum::<usize>()
        })
    });
    let shd_source = source(
        EventFormat::Shd,
        &shd,
        "[{ kind = \"downsample\", channel_factor = 0.2 }]",
    );
    g.bench_function("shd/epoch", |b| b.iter(|| epoch(&shd_source)));

    g.throughput(Throughput::Elements(nmnist_events));
    g.bench_function("nmnist/read_bytes", |b| b.iter(|| read_all(&nmnist_files)));
    let nm_data = open(EventFormat::Nmnist, &nmnist).unwrap();
    g.bench_function("nmnist/decode", |b| {
        b.iter(|| {
            (0..SAMPLES)
                .map(|i| nm_data.get(i).unwrap().0.len())
                .sum::<usize>()
        })
    });
    let nm_source = source(
        EventFormat::Nmnist,
        &nmnist,
        "[{ kind = \"downsample\", spatial_factor = 0.5 }]",
    );
    g.bench_function("nmnist/epoch", |b| b.iter(|| epoch(&nm_source)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
