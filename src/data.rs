//! Datasets as Burn tensors: the mini-batches of a [`Dataset`] (a built-in task or an `.npz`
//! file, see [`crate::tasks`]) come out as inputs `[B, T, C]` on a device and targets the
//! losses take ([`Target`]), so a training loop never converts arrays by hand.
//!
//! ```
//! use rockpool::data;
//! use rockpool::tasks::FrozenNoiseConfig;
//!
//! let dev = rockpool::device::default_device()?;
//! let dataset = FrozenNoiseConfig::default().generate(10, 0)?; // `TaskError` converts with `?`
//! let sizes: Vec<usize> = data::batches(&dataset, 4, Some(0), &dev)?
//!     .map(|batch| batch.x.dims()[0])
//!     .collect();
//! assert_eq!(sizes, [4, 4, 2]);
//! # Ok::<(), rockpool::Error>(())
//! ```

use burn::tensor::{Device, Tensor, TensorData};
use ndarray::Array3;
use rockpool_tasks::{Dataset, Targets};

use crate::error::{Error, Result};

/// What the network is trained to produce.
#[allow(clippy::large_enum_variant)] // one per batch
#[derive(Clone, Debug)]
pub enum Target {
    /// Class labels `[B]`.
    Classes(Vec<usize>),
    /// Target sequences `[B, T, K]`.
    Sequence(Tensor<3>),
}

/// One mini-batch of `B` samples, on a device.
#[derive(Clone, Debug)]
pub struct Batch {
    /// Inputs `[B, T, C]`: spike counts (or analog values) per time step of the dataset's `dt`.
    pub x: Tensor<3>,
    /// Targets: class labels `[B]` or target traces `[B, T, K]`.
    pub target: Target,
    /// The dataset index of each sample, `[B]`.
    pub indices: Vec<usize>,
}

impl Batch {
    /// Number of samples `B`.
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    /// Whether the batch holds no samples (never, for batches from [`batches`]).
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// The class labels `[B]`, for accuracy on a classification task.
    ///
    /// # Errors
    /// [`Error::Value`] if the targets are sequences (a regression task has no labels).
    pub fn labels(&self) -> Result<&[usize]> {
        match &self.target {
            Target::Classes(labels) => Ok(labels),
            Target::Sequence(y) => Err(Error::value(
                "targets",
                format!(
                    "class labels asked for, but this batch has sequence targets of shape {:?}",
                    y.dims()
                ),
            )),
        }
    }
}

/// Iterator over the mini-batches of one epoch as tensors; see [`batches`].
#[derive(Clone, Debug)]
pub struct Batches<'a> {
    inner: rockpool_tasks::Batches<'a>,
    device: Device,
}

impl Iterator for Batches<'_> {
    type Item = Batch;

    fn next(&mut self) -> Option<Batch> {
        let b = self.inner.next()?;
        Some(Batch {
            x: inputs(&b.x, &self.device),
            target: targets(&b.y, &self.device),
            indices: b.indices,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl ExactSizeIterator for Batches<'_> {}

/// The mini-batches of `data`, `batch_size` samples each (the last one holds the remainder),
/// covering every sample once, as tensors on `device`.
///
/// `shuffle_seed`: `None` keeps the dataset's order (for evaluation); `Some(seed)` draws a
/// permutation fixed by `seed` (pass the epoch number for a new order every epoch). Batches are
/// converted one at a time, as the iterator reaches them.
///
/// # Errors
/// [`Error::Task`] if `batch_size` is 0.
pub fn batches<'a>(
    data: &'a Dataset,
    batch_size: usize,
    shuffle_seed: Option<u64>,
    device: &Device,
) -> Result<Batches<'a>> {
    let inner = data.batches(
        batch_size,
        shuffle_seed.is_some(),
        shuffle_seed.unwrap_or(0),
    )?;
    Ok(Batches {
        inner,
        device: device.clone(),
    })
}

/// The whole dataset as one batch, in order: inputs `[N, T, C]` and all targets.
pub fn full_batch(data: &Dataset, device: &Device) -> Batch {
    Batch {
        x: inputs(&data.x, device),
        target: targets(&data.y, device),
        indices: (0..data.len()).collect(),
    }
}

/// The class labels `[N]` of a dataset.
///
/// # Errors
/// [`Error::Value`] naming the dataset if its targets are sequences.
pub fn labels(data: &Dataset) -> Result<&[usize]> {
    data.y.as_class().ok_or_else(|| {
        Error::value(
            format!("targets of dataset '{}'", data.name),
            "class labels asked for, but the targets are sequences",
        )
    })
}

/// An input array `[B, T, C]` as a tensor on `device`.
pub fn inputs(x: &Array3<f32>, device: &Device) -> Tensor<3> {
    let (b, t, c) = x.dim();
    let values = match x.as_slice() {
        Some(s) => s.to_vec(),
        None => x.iter().copied().collect(),
    };
    Tensor::from_data(TensorData::new(values, [b, t, c]), device)
}

/// Targets as the losses take them: labels stay on the host, traces `[B, T, K]` become a
/// tensor on `device`.
pub fn targets(y: &Targets, device: &Device) -> Target {
    match y {
        Targets::Class(labels) => Target::Classes(labels.clone()),
        Targets::Sequence(s) => Target::Sequence(inputs(s, device)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::device;

    fn classes(n: usize) -> Dataset {
        let x = Array3::from_shape_fn((n, 3, 2), |(i, t, c)| (i * 100 + t * 10 + c) as f32);
        Dataset::new(
            x,
            Targets::Class((0..n).map(|i| i % 3).collect()),
            1e-3,
            "toy",
        )
        .unwrap()
    }

    fn values(x: &Tensor<3>) -> Vec<f32> {
        x.to_data().try_to_vec_as::<f32>().unwrap()
    }

    #[test]
    fn batches_carry_the_samples_and_labels_they_name() {
        let dev = device();
        let d = classes(7);
        for shuffle in [None, Some(3)] {
            let all: Vec<Batch> = batches(&d, 3, shuffle, &dev).unwrap().collect();
            assert_eq!(all.iter().map(Batch::len).collect::<Vec<_>>(), [3, 3, 1]);
            let mut seen = Vec::new();
            for b in &all {
                assert_eq!(b.x.dims(), [b.len(), 3, 2]);
                let x = values(&b.x);
                for (row, &i) in b.indices.iter().enumerate() {
                    // Row `row` of the tensor is sample `i`, element for element.
                    assert_eq!(
                        &x[row * 6..(row + 1) * 6],
                        &[0.0, 1.0, 10.0, 11.0, 20.0, 21.0].map(|v| v + (i * 100) as f32)
                    );
                    assert_eq!(b.labels().unwrap()[row], i % 3);
                }
                seen.extend_from_slice(&b.indices);
            }
            if shuffle.is_none() {
                assert_eq!(seen, (0..7).collect::<Vec<_>>());
            }
            seen.sort_unstable();
            assert_eq!(seen, (0..7).collect::<Vec<_>>());
        }
        assert_eq!(batches(&d, 2, None, &dev).unwrap().len(), 4);
    }

    #[test]
    fn shuffling_follows_the_dataset_seed() {
        let dev = device();
        let d = classes(40);
        let order = |seed| -> Vec<usize> {
            batches(&d, 8, Some(seed), &dev)
                .unwrap()
                .flat_map(|b| b.indices)
                .collect()
        };
        let tasks_order: Vec<usize> = d
            .batches(8, true, 5)
            .unwrap()
            .flat_map(|b| b.indices)
            .collect();
        assert_eq!(order(5), tasks_order);
        assert_ne!(order(5), order(6));
    }

    #[test]
    fn sequence_targets_become_tensors_and_have_no_labels() {
        let dev = device();
        let x = Array3::from_shape_fn((4, 5, 1), |(i, t, _)| (i + t) as f32);
        let y = Array3::from_shape_fn((4, 5, 2), |(i, t, k)| (i * 10 + t + k) as f32);
        let d = Dataset::new(x, Targets::Sequence(y.clone()), 1e-3, "seq").unwrap();
        let b = batches(&d, 4, None, &dev).unwrap().next().unwrap();
        match &b.target {
            Target::Sequence(t) => {
                assert_eq!(t.dims(), [4, 5, 2]);
                assert_eq!(values(t), y.iter().copied().collect::<Vec<_>>());
            }
            Target::Classes(_) => panic!("sequence targets expected"),
        }
        let e = b.labels().unwrap_err().to_string();
        assert!(e.contains("sequence targets of shape [4, 5, 2]"), "{e}");
        let e = labels(&d).unwrap_err().to_string();
        assert!(e.contains("dataset 'seq'"), "{e}");
    }

    #[test]
    fn full_batch_is_the_dataset_in_order() {
        let dev = device();
        let d = classes(5);
        let b = full_batch(&d, &dev);
        assert_eq!(b.x.dims(), [5, 3, 2]);
        assert_eq!(values(&b.x), d.x.iter().copied().collect::<Vec<_>>());
        assert_eq!(b.labels().unwrap(), labels(&d).unwrap());
        assert_eq!(b.indices, [0, 1, 2, 3, 4]);
    }

    #[test]
    fn task_errors_convert_with_the_question_mark() {
        let dev = device();
        let d = classes(3);
        let e = batches(&d, 0, None, &dev).unwrap_err();
        assert!(matches!(e, Error::Task(_)), "{e:?}");
        assert!(e.to_string().contains("`batch_size` = 0"), "{e}");
    }

    #[test]
    fn non_contiguous_inputs_keep_their_logical_order() {
        let dev = device();
        // A transposed view is not in standard layout; the tensor must follow [B, T, C] order.
        let base = Array3::from_shape_fn((2, 3, 4), |(a, b, c)| (a * 100 + b * 10 + c) as f32);
        let x = base.permuted_axes([2, 1, 0]); // [4, 3, 2]
        assert!(x.as_slice().is_none());
        let t = inputs(&x, &dev);
        assert_eq!(t.dims(), [4, 3, 2]);
        let v = values(&t);
        assert_eq!(v[0..2], [0.0, 100.0]);
        assert_eq!(v[2..4], [10.0, 110.0]);
        assert_eq!(v[6..8], [1.0, 101.0]);
    }
}
