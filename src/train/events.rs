//! Event datasets (SHD, SSC, N-MNIST, DVS Gesture, `.npz` events; read by
//! [`rockpool_events`]) as training data: every sample is read from disk when the loader
//! reaches it, transformed (the `[data] transforms` for every split, then the training split's
//! `augment`, seeded by `(seed, epoch, sample)` so each epoch sees a new draw and a resumed run
//! the same one), and binned into a raster `[T, channels]` at `dt` (bin `k` holds events with
//! `t ∈ [k·dt, (k+1)·dt)`; the channel of event `(x, y, p)` is `x + W·y + W·H·p`, the unit for
//! SHD/SSC). Samples of one batch are zero-padded to the longest (or all cut/padded to
//! `num_steps`).
//!
//! With a cache folder (`[data] cache`), the rasters of samples without augmentation are kept
//! as `.npy` files under a key of everything that makes them (format, file, transforms, `dt`,
//! `num_steps`), written atomically, and read back in later epochs and runs; a damaged cache
//! file is made again. Augmented samples are drawn anew every epoch and never cached.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use burn::data::dataset::DatasetError;
use rockpool_events::{
    Compose, DvsGestureDataset, EventDataset, NmnistDataset, NpzEventDataset, SensorSize,
    ShdDataset, ToFrame, sample_seed,
};

use super::loader::{EpochDataset, Sample, SampleSource, SampleTarget};
use crate::error::{Error, Result};

/// The on-disk formats of event datasets (`[data] format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventFormat {
    /// Spiking Heidelberg Digits: one HDF5 file per split (20 classes, 700 channels).
    Shd,
    /// Spiking Speech Commands: one HDF5 file per split (35 classes, 700 channels).
    Ssc,
    /// N-MNIST: a split folder `Train/` or `Test/` of `<digit>/<id>.bin` (34×34×2).
    Nmnist,
    /// DVS Gesture in Tonic's preprocessed layout: a split folder of
    /// `user<NN>_<lighting>/<label>.npy` (128×128×2, 11 classes).
    DvsGesture,
    /// rockpool's own `.npz` event files (`times`, `channels` or `x`/`y`/`p`, `offsets`,
    /// `labels`).
    Npz,
}

rockpool_io::text_enum! {
    EventFormat("event dataset format") {
        Shd => "shd",
        Ssc => "ssc",
        Nmnist => "nmnist" | "n_mnist" | "n-mnist",
        DvsGesture => "dvs_gesture" | "dvsgesture" | "dvs-gesture",
        Npz => "npz" | "npz_events",
    }
}

/// Opens the event dataset at `path` (a file or a split folder, see [`EventFormat`]).
///
/// # Errors
/// [`Error::Value`] naming the file and what is wrong with it.
pub fn open(format: EventFormat, path: &Path) -> Result<Arc<dyn EventDataset>> {
    // The readers' errors name the file (and sample and field) themselves.
    let err =
        |e: rockpool_events::EventError| Error::value(format!("{format} data"), e.to_string());
    Ok(match format {
        EventFormat::Shd => Arc::new(ShdDataset::open_shd(path).map_err(err)?),
        EventFormat::Ssc => Arc::new(ShdDataset::open_ssc(path).map_err(err)?),
        EventFormat::Nmnist => Arc::new(NmnistDataset::open(path).map_err(err)?),
        EventFormat::DvsGesture => Arc::new(DvsGestureDataset::open(path).map_err(err)?),
        EventFormat::Npz => Arc::new(NpzEventDataset::open(path).map_err(err)?),
    })
}

/// Samples of an event dataset (or a subset of it) as rasters; see the [module docs](self).
#[derive(Clone)]
pub struct EventSamples {
    data: Arc<dyn EventDataset>,
    indices: Vec<usize>,
    transforms: Compose,
    augment: Compose,
    frame: ToFrame,
    seed: u64,
    sensor: SensorSize,
    cache: Option<PathBuf>,
}

impl EventSamples {
    /// All samples of `data` (or those at `indices`), transformed by `transforms` (every
    /// epoch alike) and `augment` (drawn anew each epoch from `seed`), binned by `frame`.
    ///
    /// # Errors
    /// [`Error::Value`] when a transform does not fit the sensor or an index is out of range.
    pub fn new(
        data: Arc<dyn EventDataset>,
        indices: Option<Vec<usize>>,
        (transforms, augment): (Compose, Compose),
        frame: ToFrame,
        seed: u64,
    ) -> Result<Self> {
        let sensor = data.sensor();
        let bad = |e: rockpool_events::EventError| Error::value("[data] transforms", e.to_string());
        let after = transforms.output_sensor(sensor).map_err(bad)?;
        if augment.output_sensor(after).map_err(bad)? != after {
            return Err(Error::value(
                "[data] augment",
                "augmentations must keep the sensor size (resize with `transforms`)",
            ));
        }
        frame
            .check()
            .map_err(|e| Error::value("[data] dt", e.to_string()))?;
        let indices = indices.unwrap_or_else(|| (0..data.len()).collect());
        if let Some(&i) = indices.iter().find(|&&i| i >= data.len()) {
            return Err(Error::value(
                "data",
                format!(
                    "sample {i} asked for, but '{}' holds {}",
                    data.name(),
                    data.len()
                ),
            ));
        }
        Ok(Self {
            data,
            indices,
            transforms,
            augment,
            frame,
            seed,
            sensor,
            cache: None,
        })
    }

    /// Keeps the rasters of samples without augmentation in `dir` (see the
    /// [module docs](self)); `source` names what they are made from (format and file), for
    /// the cache key.
    pub fn with_cache(mut self, dir: &Path, source: &str) -> Self {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (
            source,
            format!("{:?}", self.transforms),
            self.frame.dt.to_bits(),
            self.frame.bins,
            self.seed,
        )
            .hash(&mut h);
        self.cache = Some(dir.join(format!("{:016x}", h.finish())));
        self
    }

    fn cached(&self, i: usize) -> Option<PathBuf> {
        let dir = self.cache.as_ref()?;
        self.augment
            .steps()
            .is_empty()
            .then(|| dir.join(format!("{i}.npy")))
    }

    fn read_cached(&self, path: &Path) -> Option<ndarray::Array2<f32>> {
        let a = rockpool_io::read_npy(path).ok()?;
        let a: ndarray::ArrayD<f32> = a.try_into().ok()?;
        a.into_dimensionality().ok()
    }

    /// Input channels of the rasters.
    pub fn channels(&self) -> usize {
        self.transforms
            .output_sensor(self.sensor)
            .map(|s| s.channels())
            .unwrap_or(0)
    }

    /// As a [`SampleSource`] for the trainer.
    pub fn into_source(self) -> SampleSource {
        SampleSource {
            name: self.data.name().to_string(),
            size_in: self.channels(),
            num_classes: Some(self.data.num_classes()),
            data: Arc::new(self),
            workers: 1,
        }
    }
}

impl EpochDataset for EventSamples {
    fn len(&self) -> usize {
        self.indices.len()
    }

    fn get(&self, index: usize, epoch: usize) -> std::result::Result<Sample, DatasetError> {
        let fail = |e: rockpool_events::EventError| DatasetError::new(e);
        let i = *self.indices.get(index).ok_or_else(|| {
            DatasetError::new(Error::value("data", format!("sample {index} out of range")))
        })?;
        let cached = self.cached(i);
        if let Some(path) = &cached
            && let Some(x) = self.read_cached(path)
        {
            let label = self.data.label(i).map_err(fail)?;
            return Ok(Sample {
                x,
                target: SampleTarget::Class(label),
                index: i,
            });
        }
        let (events, label) = self.data.get(i).map_err(fail)?;
        // Fixed transforms: the same for every epoch (seeded by the sample alone).
        let fixed = sample_seed(self.seed, u64::MAX, i as u64);
        let (events, sensor) = self
            .transforms
            .apply(events, self.sensor, fixed)
            .map_err(fail)?;
        let seed = sample_seed(self.seed, epoch as u64, i as u64);
        let (events, sensor) = self.augment.apply(events, sensor, seed).map_err(fail)?;
        let x = self.frame.apply(&events, sensor).map_err(fail)?;
        if let Some(path) = &cached {
            // A cache that cannot be written only costs time: the sample is made again.
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let _ =
                rockpool_io::write_npy(path, &rockpool_io::NpyArray::from(x.clone().into_dyn()));
        }
        Ok(Sample {
            x,
            target: SampleTarget::Class(label),
            index: i,
        })
    }
}

/// Splits `n` samples into (training, validation) index lists: a permutation fixed by `seed`,
/// the first `⌈(1 − valid_fraction)·n⌉` for training.
pub fn split_indices(n: usize, valid_fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let order = rockpool_tasks::epoch_order(n, true, seed);
    let train = ((1.0 - valid_fraction) * n as f64).ceil() as usize;
    let (a, b) = order.split_at(train.min(n));
    (a.to_vec(), b.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rockpool_events::{EventStream, write_event_npz};

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            if e.path().is_dir() {
                out.extend(walk(&e.path()));
            } else {
                out.push(e.path());
            }
        }
        out
    }

    #[test]
    fn an_npz_event_dataset_becomes_binned_samples_with_seeded_augmentation() {
        let dir = std::env::temp_dir().join(format!("rockpool-ev-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ev.npz");
        let sensor = SensorSize::new(4, 1, 1).unwrap();
        let samples: Vec<(EventStream, usize)> = (0..6)
            .map(|i| {
                let t = vec![0.0, 0.0015, 0.0031];
                let ch = vec![i % 4, (i + 1) % 4, 3];
                (EventStream::from_channels(t, ch).unwrap(), i as usize % 2)
            })
            .collect();
        write_event_npz(&path, &samples, sensor, 2).unwrap();
        let data = open(EventFormat::Npz, &path).unwrap();
        let frame = ToFrame::new(1e-3).unwrap();
        let plain = EventSamples::new(data.clone(), None, Default::default(), frame, 0).unwrap();
        let s = plain.get(1, 0).unwrap();
        // Bins: t = 0 → 0, 1.5 ms → 1, 3.1 ms → 3; channels 1, 2, 3.
        assert_eq!(s.x.shape(), [4, 4]);
        assert_eq!(
            (s.x[[0, 1]], s.x[[1, 2]], s.x[[3, 3]], s.x.sum()),
            (1.0, 1.0, 1.0, 3.0)
        );
        assert_eq!(s.target, SampleTarget::Class(1));
        let source = plain.clone().into_source();
        assert_eq!(
            (source.size_in, source.num_classes, source.len()),
            (4, Some(2), 6)
        );

        let jitter: Compose =
            toml::from_str::<toml::Table>("t = [{ kind = \"time_jitter\", std = 1e-3 }]").unwrap()
                ["t"]
                .clone()
                .try_into()
                .unwrap();
        let aug = EventSamples::new(data, None, (Compose::default(), jitter), frame, 9).unwrap();
        let (a0, a0b, a1) = (
            aug.get(2, 0).unwrap(),
            aug.get(2, 0).unwrap(),
            aug.get(2, 1).unwrap(),
        );
        assert_eq!(a0, a0b, "the same epoch draws the same");
        assert_ne!(a0.x, a1.x, "another epoch draws anew");
        // The cache: the same sample, read back from the file it wrote.
        let cache = dir.join("cache");
        let cached = plain.clone().with_cache(&cache, "npz ev.npz");
        let first = cached.get(4, 0).unwrap();
        let files: Vec<_> = walk(&cache);
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(cached.get(4, 3).unwrap(), first);
        std::fs::write(&files[0], b"damaged").unwrap();
        assert_eq!(
            cached.get(4, 1).unwrap(),
            first,
            "a damaged cache file is made again"
        );
        let (train, valid) = split_indices(10, 0.2, 3);
        assert_eq!((train.len(), valid.len()), (8, 2));
        let mut all: Vec<usize> = train.iter().chain(&valid).copied().collect();
        all.sort();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        std::fs::remove_dir_all(&dir).ok();
    }
}
