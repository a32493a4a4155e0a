//! The training data as Burn's data API sees it: a task [`Dataset`] behind Burn's
//! [`DataLoader`] trait, yielding [`Minibatch`]es prepared on a background thread (prefetch).
//!
//! Burn's own loaders shuffle with an RNG that advances on every pass and, with worker threads,
//! hand batches out in the order the workers finish them; neither can be restored to "epoch
//! `e`" when a run resumes. [`EpochLoader`] draws epoch `e`'s order from `(seed, e)` alone, so
//! an interrupted and resumed run sees exactly the batches of an uninterrupted one, and it can
//! split every global batch across devices ([`EpochLoader::shards`]) so that training on `n`
//! devices sees the same global batches as training on one.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};

use burn::data::dataloader::{DataLoader, DataLoaderIterator, Progress};
use burn::data::dataset::DatasetError;
use burn::tensor::Device;
use rockpool_tasks::Dataset;

use crate::data::{Batch, inputs, targets};

/// Batches prepared ahead of the one being trained on.
const PREFETCH: usize = 2;

/// One step's share of a global mini-batch, as the training and validation steps take it.
#[derive(Clone, Debug)]
pub struct Minibatch {
    /// The samples: inputs `[b, T, C]`, targets, dataset indices.
    pub batch: Batch,
    /// The epoch it belongs to, 0-based.
    pub epoch: usize,
    /// Its global batch's position in the epoch, 0-based.
    pub step: usize,
    /// `b / B`: this part's share of its global batch of `B` samples (1 on one device). The
    /// training step weights its loss by it, so the gradients of the parts add up to the
    /// gradient of the global batch's mean loss.
    pub share: f64,
}

/// A [`DataLoader`] over a task [`Dataset`]: mini-batches of `batch_size` samples in an order
/// drawn from `(seed, epoch)` (or the dataset's order, for evaluation), converted to tensors
/// on a background thread while the previous batch trains.
///
/// Each [`DataLoader::iter`] is one epoch; the first is epoch [`starting_at`](Self::starting_at)
/// (0 unless a run resumes). Cloned loaders ([`DataLoader::to_device`],
/// [`DataLoader::slice`]) share the epoch counter.
#[derive(Clone)]
pub struct EpochLoader {
    data: Arc<Dataset>,
    batch_size: usize,
    shuffle: Option<u64>,
    device: Device,
    epoch: Arc<AtomicUsize>,
    /// Devices the global batches are split across (1: not split).
    shards: usize,
    /// Which part of each global batch this loader yields; `None`: all of it (a loader not
    /// yet [sliced](DataLoader::slice)).
    shard: Option<usize>,
}

impl std::fmt::Debug for EpochLoader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EpochLoader")
            .field("dataset", &self.data.name)
            .field("samples", &self.data.len())
            .field("batch_size", &self.batch_size)
            .field("shuffle", &self.shuffle)
            .field("shards", &self.shards)
            .field("shard", &self.shard)
            .finish()
    }
}

impl EpochLoader {
    /// A loader of `batch_size`-sample batches of `data` on `device`; `shuffle`: `Some(seed)`
    /// draws every epoch's order from `(seed, epoch)`, `None` keeps the dataset's order.
    ///
    /// An empty `data` gives empty epochs.
    ///
    /// # Errors
    /// [`crate::Error::Value`] if `batch_size` is 0.
    pub fn new(
        data: Arc<Dataset>,
        batch_size: usize,
        shuffle: Option<u64>,
        device: &Device,
    ) -> crate::Result<Self> {
        if batch_size == 0 {
            return Err(crate::Error::value(
                "batch_size",
                "0: a batch must hold at least one sample",
            ));
        }
        Ok(Self {
            data,
            batch_size,
            shuffle,
            device: device.clone(),
            epoch: Arc::new(AtomicUsize::new(0)),
            shards: 1,
            shard: None,
        })
    }

    /// The same loader with its first pass being epoch `epoch` (0-based): a resumed run's.
    pub fn starting_at(self, epoch: usize) -> Self {
        self.epoch.store(epoch, Ordering::SeqCst);
        self
    }

    /// Prepares the loader for training on `n` devices: Burn's multi-device strategies ask
    /// for `n` [slices](DataLoader::slice), and slice `k` then yields the `k`-th of `n` nearly
    /// equal parts of every global batch (instead of a contiguous range of samples), so that
    /// the devices together train on exactly the global batches of a one-device run.
    pub fn shards(mut self, n: usize) -> Self {
        self.shards = n.max(1);
        self.shard = None;
        self
    }

    /// (part, parts) of each global batch this loader yields.
    fn part_of(&self) -> (usize, usize) {
        match self.shard {
            Some(k) => (k, self.shards),
            None => (0, 1),
        }
    }

    /// Number of global batches per epoch.
    pub fn num_batches(&self) -> usize {
        self.data.len().div_ceil(self.batch_size)
    }

    /// The dataset.
    pub fn dataset(&self) -> &Arc<Dataset> {
        &self.data
    }

    /// The `(start, end)` range of part `k` of `n` of a global batch of `len` samples.
    fn part(len: usize, (k, n): (usize, usize)) -> (usize, usize) {
        (k * len / n, (k + 1) * len / n)
    }
}

/// The batches of one epoch, as they arrive from the preparing thread.
struct EpochIter {
    receiver: Receiver<Result<Minibatch, DatasetError>>,
    done: usize,
    total: usize,
}

impl Iterator for EpochIter {
    type Item = Result<Minibatch, DatasetError>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = self.receiver.recv().ok()?;
        if let Ok(m) = &item {
            self.done += m.batch.len();
        }
        Some(item)
    }
}

impl DataLoaderIterator<Minibatch> for EpochIter {
    fn progress(&self) -> Progress {
        Progress::new(self.done, self.total, Some("samples".into()))
    }
}

impl DataLoader<Minibatch> for EpochLoader {
    fn iter<'a>(&'a self) -> Box<dyn DataLoaderIterator<Minibatch> + 'a> {
        let epoch = self.epoch.fetch_add(1, Ordering::SeqCst);
        let (sender, receiver) = sync_channel(PREFETCH);
        let (data, batch_size, device) = (self.data.clone(), self.batch_size, self.device.clone());
        let (shuffle, shard) = (self.shuffle, self.part_of());
        std::thread::spawn(move || {
            let seed = shuffle.map(|s| s.wrapping_add(epoch as u64));
            let batches = match data.batches(batch_size, seed.is_some(), seed.unwrap_or(0)) {
                Ok(b) => b,
                Err(e) => {
                    let _ = sender.send(Err(DatasetError::new(e)));
                    return;
                }
            };
            for (step, b) in batches.enumerate() {
                let global = b.len();
                let (start, end) = EpochLoader::part(global, shard);
                if start == end {
                    continue;
                }
                let (x, y, indices) = if shard.1 == 1 {
                    (b.x, b.y, b.indices)
                } else {
                    let keep: Vec<usize> = (start..end).collect();
                    (
                        b.x.select(ndarray::Axis(0), &keep),
                        b.y.select(&keep),
                        b.indices[start..end].to_vec(),
                    )
                };
                let batch = Batch {
                    x: inputs(&x, &device),
                    target: targets(&y, &device),
                    indices,
                };
                let m = Minibatch {
                    batch,
                    epoch,
                    step,
                    share: (end - start) as f64 / global as f64,
                };
                if sender.send(Ok(m)).is_err() {
                    return;
                }
            }
        });
        Box::new(EpochIter {
            receiver,
            done: 0,
            total: self.num_items(),
        })
    }

    fn num_items(&self) -> usize {
        let (k, n) = self.part_of();
        if n == 1 {
            return self.data.len();
        }
        let (full, rest) = (
            self.data.len() / self.batch_size,
            self.data.len() % self.batch_size,
        );
        let (s, e) = Self::part(self.batch_size, (k, n));
        let (rs, re) = Self::part(rest, (k, n));
        full * (e - s) + (re - rs)
    }

    fn to_device(&self, device: &Device) -> Arc<dyn DataLoader<Minibatch>> {
        Arc::new(Self {
            device: device.clone(),
            ..self.clone()
        })
    }

    /// Part `k` of the loader's shards, for the `k`-th of the devices Burn splits the data
    /// across: Burn asks for contiguous ranges `[k·N/n, (k+1)·N/n)` of the `N` items, and the
    /// shard index is recovered from `start` (see [`EpochLoader::shards`]).
    fn slice(&self, start: usize, _end: usize) -> Arc<dyn DataLoader<Minibatch>> {
        let n = self.shards;
        let step = (self.data.len() / n).max(1);
        let k = (start / step).min(n - 1);
        // Each shard counts its own passes (all of them see the same epochs).
        let epoch = Arc::new(AtomicUsize::new(self.epoch.load(Ordering::SeqCst)));
        Arc::new(Self {
            shard: Some(k),
            epoch,
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::device;
    use ndarray::Array3;
    use rockpool_tasks::Targets;

    fn dataset(n: usize) -> Arc<Dataset> {
        let x = Array3::from_shape_fn((n, 2, 1), |(i, t, _)| (i * 10 + t) as f32);
        let y = Targets::Class((0..n).map(|i| i % 2).collect());
        Arc::new(Dataset::new(x, y, 1e-3, "counting").unwrap())
    }

    fn indices(loader: &dyn DataLoader<Minibatch>) -> Vec<Vec<usize>> {
        loader.iter().map(|m| m.unwrap().batch.indices).collect()
    }

    #[test]
    fn each_pass_is_the_next_epoch_and_a_resumed_loader_repeats_it() {
        let dev = device();
        let loader = EpochLoader::new(dataset(10), 4, Some(7), &dev).unwrap();
        let (e0, e1, e2) = (indices(&loader), indices(&loader), indices(&loader));
        assert_ne!(e0, e1);
        assert_eq!(e0.iter().map(Vec::len).collect::<Vec<_>>(), [4, 4, 2]);
        let resumed = EpochLoader::new(dataset(10), 4, Some(7), &dev)
            .unwrap()
            .starting_at(2);
        assert_eq!(indices(&resumed), e2);
        // The same order as the task's own batches of that epoch.
        let direct: Vec<Vec<usize>> = dataset(10)
            .batches(4, true, 9)
            .unwrap()
            .map(|b| b.indices)
            .collect();
        assert_eq!(e2, direct);
    }

    #[test]
    fn shards_split_every_global_batch_and_cover_it_once() {
        let dev = device();
        let one = EpochLoader::new(dataset(11), 4, Some(3), &dev).unwrap();
        let global = indices(&one);
        let two = EpochLoader::new(dataset(11), 4, Some(3), &dev)
            .unwrap()
            .shards(2);
        let parts = burn::data::dataloader::split::split_dataloader(
            Arc::new(two) as Arc<dyn DataLoader<Minibatch>>,
            &[dev.clone(), dev.clone()],
        );
        let (a, b) = (indices(parts[0].as_ref()), indices(parts[1].as_ref()));
        assert_eq!(parts[0].num_items() + parts[1].num_items(), 11);
        for (step, g) in global.iter().enumerate() {
            let joined: Vec<usize> = a[step].iter().chain(&b[step]).copied().collect();
            assert_eq!(&joined, g, "global batch {step}");
        }
        let m = parts[1].iter().next().unwrap().unwrap();
        assert_eq!(m.share, 0.5);
    }

    #[test]
    fn batch_size_zero_is_refused_and_an_empty_dataset_gives_empty_epochs() {
        let dev = device();
        assert!(EpochLoader::new(dataset(3), 0, None, &dev).is_err());
        let empty = dataset(3).subset(&[]).unwrap();
        let loader = EpochLoader::new(Arc::new(empty), 2, Some(1), &dev).unwrap();
        assert_eq!((loader.num_items(), indices(&loader).len()), (0, 0));
    }
}
