//! The training data as Burn's data API sees it: samples ([`Sample`]) from any Burn
//! [`Dataset`](BurnDataset) (a task [`Dataset`] through [`TaskDataset`]), collated by a Burn
//! [`Batcher`] ([`SampleBatcher`]) and served by [`EpochLoader`], a Burn [`DataLoader`] that
//! prepares the next [`Minibatch`] on a background thread (prefetch).
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

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataloader::{DataLoader, DataLoaderIterator, Progress};
use burn::data::dataset::{Dataset as BurnDataset, DatasetError};
use burn::tensor::{Device, Tensor, TensorData};
use ndarray::{Array2, Axis};
use rockpool_tasks::{Dataset, Targets, epoch_order};

use crate::data::{Batch, Target};

/// One sample: inputs `[T, C]` and its target.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Inputs `[T, C]`: spike counts (or analog values) per time step.
    pub x: Array2<f32>,
    /// Its target.
    pub target: SampleTarget,
    /// Its index in the dataset.
    pub index: usize,
}

/// A sample's target.
#[derive(Clone, Debug, PartialEq)]
pub enum SampleTarget {
    /// A class label.
    Class(usize),
    /// A target trace `[T, K]`.
    Sequence(Array2<f32>),
}

/// Samples by index for a given epoch: what [`EpochLoader`] reads. The epoch lets a dataset
/// draw per-epoch augmentations reproducibly (from the seed, the epoch and the index); every
/// Burn dataset of [`Sample`]s is one (through [`BurnSamples`]), ignoring the epoch.
pub trait EpochDataset: Send + Sync {
    /// Number of samples.
    fn len(&self) -> usize;

    /// Whether there is no sample.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sample `index` as epoch `epoch` (0-based) sees it.
    ///
    /// # Errors
    /// A [`DatasetError`] naming the sample when it cannot be read.
    fn get(&self, index: usize, epoch: usize) -> Result<Sample, DatasetError>;
}

/// A Burn dataset of [`Sample`]s as an [`EpochDataset`].
#[derive(Clone)]
pub struct BurnSamples(pub Arc<dyn BurnDataset<Sample>>);

impl EpochDataset for BurnSamples {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn get(&self, index: usize, _epoch: usize) -> Result<Sample, DatasetError> {
        self.0.get(index)
    }
}

/// A task [`Dataset`] as a Burn dataset of [`Sample`]s.
#[derive(Clone, Debug)]
pub struct TaskDataset(pub Arc<Dataset>);

impl BurnDataset<Sample> for TaskDataset {
    fn get(&self, index: usize) -> Result<Sample, DatasetError> {
        let d = &self.0;
        if index >= d.len() {
            return Err(DatasetError::new(crate::Error::value(
                format!("dataset '{}'", d.name),
                format!("sample {index} asked for, but it holds {}", d.len()),
            )));
        }
        let target = match &d.y {
            Targets::Class(labels) => SampleTarget::Class(labels[index]),
            Targets::Sequence(s) => SampleTarget::Sequence(s.index_axis(Axis(0), index).to_owned()),
        };
        Ok(Sample {
            x: d.x.index_axis(Axis(0), index).to_owned(),
            target,
            index,
        })
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}

/// One split of training data as the trainer takes it: a Burn dataset of [`Sample`]s and what
/// is checked against the network before training (input width, classes).
#[derive(Clone)]
pub struct SampleSource {
    /// The samples.
    pub data: Arc<dyn EpochDataset>,
    /// A short name for messages.
    pub name: String,
    /// Input channels `C` of every sample.
    pub size_in: usize,
    /// Number of classes for class targets; `None` for sequence targets.
    pub num_classes: Option<usize>,
    /// Threads a loader reads its samples on ([`EpochLoader::with_workers`]).
    pub workers: usize,
}

impl std::fmt::Debug for SampleSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SampleSource")
            .field("name", &self.name)
            .field("samples", &self.data.len())
            .field("size_in", &self.size_in)
            .field("num_classes", &self.num_classes)
            .finish()
    }
}

impl SampleSource {
    /// A task dataset (held in memory) as a source.
    pub fn from_task(data: Arc<Dataset>) -> Self {
        Self {
            name: data.name.clone(),
            size_in: data.size_in(),
            num_classes: data.num_classes,
            data: Arc::new(BurnSamples(Arc::new(TaskDataset(data)))),
            workers: 1,
        }
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether it holds no sample.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// Collates [`Sample`]s into a [`Batch`] on a device: inputs `[B, T, C]` and the targets.
/// Samples shorter than the longest one are padded with zeros at the end (inputs and target
/// traces); samples with different channel counts, or a mix of class and sequence targets,
/// are an error naming the sample.
#[derive(Clone, Copy, Debug, Default)]
pub struct SampleBatcher;

impl Batcher<Sample, Result<Batch, DatasetError>> for SampleBatcher {
    fn batch(&self, items: Vec<Sample>, device: &Device) -> Result<Batch, DatasetError> {
        let bad = |m: String| DatasetError::new(crate::Error::value("batch", m));
        let b = items.len();
        let t = items.iter().map(|s| s.x.nrows()).max().unwrap_or(0);
        let c = items.first().map_or(0, |s| s.x.ncols());
        let mut x = vec![0.0f32; b * t * c];
        let mut labels = Vec::new();
        let mut traces: Option<(usize, Vec<f32>)> = None;
        for (i, s) in items.iter().enumerate() {
            if s.x.ncols() != c {
                return Err(bad(format!(
                    "sample {} has {} channels, sample {} has {c}",
                    s.index,
                    s.x.ncols(),
                    items[0].index
                )));
            }
            for (r, row) in s.x.rows().into_iter().enumerate() {
                let at = (i * t + r) * c;
                x[at..at + c].iter_mut().zip(row).for_each(|(d, v)| *d = *v);
            }
            match (&s.target, &mut traces) {
                (SampleTarget::Class(l), None) if labels.len() == i => labels.push(*l),
                (SampleTarget::Sequence(y), _) if labels.is_empty() => {
                    let k = y.ncols();
                    let (kk, buf) = traces.get_or_insert_with(|| (k, vec![0.0; b * t * k]));
                    if *kk != k || y.nrows() > t {
                        return Err(bad(format!(
                            "sample {}'s target trace has another shape",
                            s.index
                        )));
                    }
                    for (r, row) in y.rows().into_iter().enumerate() {
                        let at = (i * t + r) * k;
                        buf[at..at + k]
                            .iter_mut()
                            .zip(row)
                            .for_each(|(d, v)| *d = *v);
                    }
                }
                _ => {
                    return Err(bad(format!(
                        "sample {} mixes class and sequence targets with the others",
                        s.index
                    )));
                }
            }
        }
        let target = match traces {
            Some((k, buf)) => {
                Target::Sequence(Tensor::from_data(TensorData::new(buf, [b, t, k]), device))
            }
            None => Target::Classes(labels),
        };
        Ok(Batch {
            x: Tensor::from_data(TensorData::new(x, [b, t, c]), device),
            target,
            indices: items.iter().map(|s| s.index).collect(),
        })
    }
}

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

/// A [`DataLoader`] over a Burn dataset of [`Sample`]s (a task [`Dataset`] with
/// [`EpochLoader::new`]): mini-batches of `batch_size` samples in an order drawn from
/// `(seed, epoch)` (or the dataset's order, for evaluation), read and collated
/// ([`SampleBatcher`]) on a background thread while the previous batch trains.
///
/// Each [`DataLoader::iter`] is one epoch; the first is epoch [`starting_at`](Self::starting_at)
/// (0 unless a run resumes). Cloned loaders ([`DataLoader::to_device`],
/// [`DataLoader::slice`]) share the epoch counter.
#[derive(Clone)]
pub struct EpochLoader {
    data: Arc<dyn EpochDataset>,
    name: String,
    batch_size: usize,
    shuffle: Option<u64>,
    device: Device,
    epoch: Arc<AtomicUsize>,
    /// Threads reading and transforming the samples of a batch (1: the preparing thread).
    workers: usize,
    /// Devices the global batches are split across (1: not split).
    shards: usize,
    /// Which part of each global batch this loader yields; `None`: all of it (a loader not
    /// yet [sliced](DataLoader::slice)).
    shard: Option<usize>,
}

impl std::fmt::Debug for EpochLoader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EpochLoader")
            .field("dataset", &self.name)
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
        let name = data.name.clone();
        Self::from_dataset(
            Arc::new(TaskDataset(data)),
            &name,
            batch_size,
            shuffle,
            device,
        )
    }

    /// [`EpochLoader::new`] over a [`SampleSource`].
    ///
    /// # Errors
    /// [`crate::Error::Value`] if `batch_size` is 0.
    pub fn from_source(
        source: &SampleSource,
        batch_size: usize,
        shuffle: Option<u64>,
        device: &Device,
    ) -> crate::Result<Self> {
        Ok(Self::from_epoch_dataset(
            source.data.clone(),
            &source.name,
            batch_size,
            shuffle,
            device,
        )?
        .with_workers(source.workers))
    }

    /// [`EpochLoader::new`] over any [`EpochDataset`], named `name` in messages.
    ///
    /// # Errors
    /// [`crate::Error::Value`] if `batch_size` is 0.
    pub fn from_epoch_dataset(
        data: Arc<dyn EpochDataset>,
        name: &str,
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
            name: name.to_string(),
            batch_size,
            shuffle,
            device: device.clone(),
            epoch: Arc::new(AtomicUsize::new(0)),
            workers: 1,
            shards: 1,
            shard: None,
        })
    }

    /// [`EpochLoader::new`] over any Burn dataset of [`Sample`]s, named `name` in messages.
    ///
    /// # Errors
    /// [`crate::Error::Value`] if `batch_size` is 0.
    pub fn from_dataset(
        data: Arc<dyn BurnDataset<Sample>>,
        name: &str,
        batch_size: usize,
        shuffle: Option<u64>,
        device: &Device,
    ) -> crate::Result<Self> {
        Self::from_epoch_dataset(
            Arc::new(BurnSamples(data)),
            name,
            batch_size,
            shuffle,
            device,
        )
    }

    /// The same loader with its first pass being epoch `epoch` (0-based): a resumed run's.
    pub fn starting_at(self, epoch: usize) -> Self {
        self.epoch.store(epoch, Ordering::SeqCst);
        self
    }

    /// Reads and transforms the samples of each batch on `n` threads (default 1: the one
    /// background thread that prepares batches). Worth it when reading or transforming a
    /// sample costs more than the cores training leave free; the batches are the same.
    pub fn with_workers(mut self, n: usize) -> Self {
        self.workers = n.max(1);
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
    pub fn dataset(&self) -> &Arc<dyn EpochDataset> {
        &self.data
    }

    /// The `(start, end)` range of part `k` of `n` of a global batch of `len` samples.
    fn part(len: usize, (k, n): (usize, usize)) -> (usize, usize) {
        (k * len / n, (k + 1) * len / n)
    }
}

/// Samples `indices` of `data` for `epoch`, in order, read on up to `workers` threads.
fn read_samples(
    data: &dyn EpochDataset,
    indices: &[usize],
    epoch: usize,
    workers: usize,
) -> Result<Vec<Sample>, DatasetError> {
    if workers <= 1 || indices.len() < 2 {
        return indices.iter().map(|&i| data.get(i, epoch)).collect();
    }
    let chunk = indices.len().div_ceil(workers);
    std::thread::scope(|scope| {
        let handles: Vec<_> = indices
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|&i| data.get(i, epoch))
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(indices.len());
        for h in handles {
            let part = h.join().map_err(|_| {
                DatasetError::new(crate::Error::value("data", "a loader worker panicked"))
            })??;
            out.extend(part);
        }
        Ok(out)
    })
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
        let (shuffle, shard, workers) = (self.shuffle, self.part_of(), self.workers);
        std::thread::spawn(move || {
            let seed = shuffle.map(|s| s.wrapping_add(epoch as u64));
            let order = epoch_order(data.len(), seed.is_some(), seed.unwrap_or(0));
            for (step, global) in order.chunks(batch_size).enumerate() {
                let (start, end) = EpochLoader::part(global.len(), shard);
                if start == end {
                    continue;
                }
                let batch = read_samples(data.as_ref(), &global[start..end], epoch, workers)
                    .and_then(|items| SampleBatcher.batch(items, &device));
                let m = batch.map(|batch| Minibatch {
                    batch,
                    epoch,
                    step,
                    share: (end - start) as f64 / global.len() as f64,
                });
                let failed = m.is_err();
                if sender.send(m).is_err() || failed {
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
    fn several_workers_give_the_same_batches() {
        let dev = device();
        let one = EpochLoader::new(dataset(37), 8, Some(4), &dev).unwrap();
        let four = EpochLoader::new(dataset(37), 8, Some(4), &dev)
            .unwrap()
            .with_workers(4);
        let values = |l: &EpochLoader| -> Vec<Vec<f32>> {
            l.iter()
                .map(|m| m.unwrap().batch.x.into_data().try_to_vec::<f32>().unwrap())
                .collect()
        };
        assert_eq!(values(&one), values(&four));
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
    fn the_batcher_pads_shorter_samples_and_names_a_misfit() {
        let dev = device();
        let sample = |t: usize, c: usize, index: usize| Sample {
            x: Array2::from_elem((t, c), 1.0),
            target: SampleTarget::Class(index % 2),
            index,
        };
        let b = SampleBatcher
            .batch(vec![sample(3, 2, 0), sample(2, 2, 1)], &dev)
            .unwrap();
        assert_eq!(b.x.dims(), [2, 3, 2]);
        let v = b.x.to_data().try_to_vec::<f32>().unwrap();
        assert_eq!(&v[6..], [1.0, 1.0, 1.0, 1.0, 0.0, 0.0]);
        assert_eq!(b.labels().unwrap(), [0, 1]);
        let err = SampleBatcher
            .batch(vec![sample(3, 2, 0), sample(3, 5, 7)], &dev)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("sample 7") && err.contains("5 channels"),
            "{err}"
        );
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
