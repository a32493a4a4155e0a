//! The dataset type every task produces: inputs `[N, T, C]`, targets, time step and class
//! names; with subsets, stratified splits and seeded mini-batches.

use ndarray::{Array3, Axis};
use rand::seq::SliceRandom;

use crate::error::{Result, TaskError};
use crate::random::{rng, stream};

/// What a network should produce for each sample.
#[derive(Debug, Clone, PartialEq)]
pub enum Targets {
    /// One class index per sample, `[N]`, each in `0..num_classes`.
    Class(Vec<usize>),
    /// A target trace per sample, `[N, T, K]`: `K` output channels over the same `T` steps as
    /// the input.
    Sequence(Array3<f32>),
}

impl Targets {
    /// Number of samples `N`.
    pub fn len(&self) -> usize {
        match self {
            Targets::Class(labels) => labels.len(),
            Targets::Sequence(y) => y.len_of(Axis(0)),
        }
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The class labels `[N]`, if these are class targets.
    pub fn as_class(&self) -> Option<&[usize]> {
        match self {
            Targets::Class(labels) => Some(labels),
            Targets::Sequence(_) => None,
        }
    }

    /// The target traces `[N, T, K]`, if these are sequence targets.
    pub fn as_sequence(&self) -> Option<&Array3<f32>> {
        match self {
            Targets::Class(_) => None,
            Targets::Sequence(y) => Some(y),
        }
    }

    /// The targets of the samples at `indices`, in that order (repeats allowed).
    ///
    /// # Panics
    /// If an index is `>= self.len()`; [`Dataset::subset`] checks indices first.
    pub fn select(&self, indices: &[usize]) -> Targets {
        match self {
            Targets::Class(labels) => Targets::Class(indices.iter().map(|&i| labels[i]).collect()),
            Targets::Sequence(y) => Targets::Sequence(y.select(Axis(0), indices)),
        }
    }
}

/// A set of `N` samples for training or evaluating a network.
///
/// Inputs are `[N, T, C]` — samples, time steps of `dt` seconds, input channels — holding spike
/// counts per step (or analog values, for tasks that say so). Targets are class labels or
/// target traces (see [`Targets`]).
///
/// The fields are public so a training loop can take the arrays; [`Dataset::new`] is the
/// checked way to build one, and every method here keeps its invariants: `x`, `y` agree on `N`
/// (and on `T` for sequence targets), labels are `< num_classes`, and for class targets
/// `class_names.len() == num_classes`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Inputs, `[N, T, C]`: spike counts per time step (or analog values).
    pub x: Array3<f32>,
    /// Targets: `[N]` class labels or `[N, T, K]` traces.
    pub y: Targets,
    /// Time step of `x` (and of sequence targets), in seconds.
    pub dt: f64,
    /// Number of classes for class targets; `None` for sequence targets.
    pub num_classes: Option<usize>,
    /// One name per class (`class_names[label]`); empty for sequence targets.
    pub class_names: Vec<String>,
    /// A short name for the dataset, e.g. `frozen_noise` (used in logs and file names).
    pub name: String,
}

/// The most classes a dataset may have: class labels must be below this (2²⁰).
pub const MAX_CLASSES: usize = 1 << 20;

impl Dataset {
    /// Builds a dataset from inputs `x` `[N, T, C]` and targets `y`, checking that they fit.
    ///
    /// For class targets, `num_classes` is one more than the largest label and classes are named
    /// `"0"`, `"1"`, …; [`Dataset::with_class_names`] names them.
    ///
    /// # Errors
    /// [`TaskError::Dataset`] if `x` has no time steps or no channels, a label is not below
    /// [`MAX_CLASSES`], `x` and `y` disagree on `N`, sequence targets on `T`, if `x` or
    /// `y` holds NaN or infinity; [`TaskError::Argument`] if `dt` is not a positive finite
    /// number of seconds.
    pub fn new(x: Array3<f32>, y: Targets, dt: f64, name: impl Into<String>) -> Result<Self> {
        if !(dt.is_finite() && dt > 0.0) {
            return Err(TaskError::Argument {
                name: "dt",
                value: dt.to_string(),
                reason: "the time step must be a positive, finite number of seconds".into(),
            });
        }
        let (n, t, c) = x.dim();
        if t == 0 || c == 0 {
            return Err(TaskError::Dataset(format!(
                "x has shape {:?}: a sample needs at least one time step and one channel",
                x.shape()
            )));
        }
        if y.len() != n {
            return Err(TaskError::Dataset(format!(
                "x has {n} samples (shape {:?}) but y has {}",
                x.shape(),
                y.len()
            )));
        }
        if let Some((index, value)) = first_non_finite(&x) {
            return Err(TaskError::Dataset(format!(
                "x{index:?} = {value}: inputs must be finite"
            )));
        }
        let (num_classes, class_names) = match &y {
            Targets::Class(labels) => {
                let k = labels.iter().max().map_or(0, |&m| m.saturating_add(1));
                if k > MAX_CLASSES {
                    return Err(TaskError::Dataset(format!(
                        "class label {} is too large: labels must be below {MAX_CLASSES} \
                         (they count classes from 0)",
                        k - 1
                    )));
                }
                (Some(k), (0..k).map(|c| c.to_string()).collect())
            }
            Targets::Sequence(seq) => {
                if seq.len_of(Axis(2)) == 0 {
                    return Err(TaskError::Dataset(format!(
                        "the sequence targets have shape {:?}: they need at least one channel",
                        seq.shape()
                    )));
                }
                if seq.len_of(Axis(1)) != t {
                    return Err(TaskError::Dataset(format!(
                        "x has {t} time steps (shape {:?}) but the sequence targets have {} \
                         (shape {:?}); targets must cover the same steps",
                        x.shape(),
                        seq.len_of(Axis(1)),
                        seq.shape()
                    )));
                }
                if let Some((index, value)) = first_non_finite(seq) {
                    return Err(TaskError::Dataset(format!(
                        "y{index:?} = {value}: targets must be finite"
                    )));
                }
                (None, Vec::new())
            }
        };
        Ok(Dataset {
            x,
            y,
            dt,
            num_classes,
            class_names,
            name: name.into(),
        })
    }

    /// Names the classes (`names[label]`), which also sets `num_classes = names.len()` (so a
    /// class may have no samples).
    ///
    /// # Errors
    /// [`TaskError::Dataset`] if the targets are sequences, or a label is `>= names.len()`.
    pub fn with_class_names(mut self, names: Vec<String>) -> Result<Self> {
        let Targets::Class(labels) = &self.y else {
            return Err(TaskError::Dataset(
                "class names given for a dataset with sequence targets".into(),
            ));
        };
        if let Some(&bad) = labels.iter().find(|&&l| l >= names.len()) {
            return Err(TaskError::Dataset(format!(
                "label {bad} has no name: {} class names given",
                names.len()
            )));
        }
        self.num_classes = Some(names.len());
        self.class_names = names;
        Ok(self)
    }

    /// Number of samples `N`.
    pub fn len(&self) -> usize {
        self.x.len_of(Axis(0))
    }

    /// Whether the dataset has no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of time steps `T` per sample.
    pub fn num_steps(&self) -> usize {
        self.x.len_of(Axis(1))
    }

    /// Duration of one sample, `T · dt`, in seconds.
    pub fn duration(&self) -> f64 {
        self.num_steps() as f64 * self.dt
    }

    /// Number of input channels `C`: the input size of a network for this data.
    pub fn size_in(&self) -> usize {
        self.x.len_of(Axis(2))
    }

    /// Output size a network needs: `num_classes` for class targets, `K` for sequence targets.
    pub fn size_out(&self) -> usize {
        match &self.y {
            Targets::Class(_) => self.num_classes.unwrap_or(0),
            Targets::Sequence(y) => y.len_of(Axis(2)),
        }
    }

    /// Number of samples of each class, `[num_classes]`; `None` for sequence targets.
    pub fn class_counts(&self) -> Option<Vec<usize>> {
        let labels = self.y.as_class()?;
        let mut counts = vec![0; self.num_classes.unwrap_or(0)];
        for &l in labels {
            if l >= counts.len() {
                counts.resize(l + 1, 0);
            }
            counts[l] += 1;
        }
        Some(counts)
    }

    /// The samples at `indices`, in that order (repeats allowed), with the same `dt`, classes
    /// and name.
    ///
    /// # Errors
    /// [`TaskError::Argument`] naming the first index `>= len()`.
    pub fn subset(&self, indices: &[usize]) -> Result<Dataset> {
        if let Some(&bad) = indices.iter().find(|&&i| i >= self.len()) {
            return Err(TaskError::Argument {
                name: "indices",
                value: bad.to_string(),
                reason: format!("index out of range for a dataset of {} samples", self.len()),
            });
        }
        Ok(Dataset {
            x: self.x.select(Axis(0), indices),
            y: self.y.select(indices),
            dt: self.dt,
            num_classes: self.num_classes,
            class_names: self.class_names.clone(),
            name: self.name.clone(),
        })
    }

    /// Splits into `(train, valid)`, putting a `fraction` of the samples in `train`.
    ///
    /// For class targets the split is stratified: each class contributes
    /// `round(fraction · n_class)` of its samples to `train`, so both parts keep the class
    /// proportions. Sequence targets are split as a whole, `round(fraction · N)` to `train`.
    /// Which samples go where is random but fixed by `seed`; within each part samples keep
    /// their original order.
    ///
    /// # Errors
    /// [`TaskError::Argument`] if `fraction` is not in `[0, 1]`.
    pub fn split(&self, fraction: f64, seed: u64) -> Result<(Dataset, Dataset)> {
        if !(0.0..=1.0).contains(&fraction) {
            return Err(TaskError::Argument {
                name: "fraction",
                value: fraction.to_string(),
                reason: "the training fraction must lie in [0, 1], e.g. 0.8".into(),
            });
        }
        let mut r = rng(seed, stream::SPLIT);
        let groups: Vec<Vec<usize>> = match &self.y {
            Targets::Class(labels) => {
                let mut groups = vec![Vec::new(); self.num_classes.unwrap_or(0)];
                for (i, &l) in labels.iter().enumerate() {
                    if l >= groups.len() {
                        groups.resize(l + 1, Vec::new());
                    }
                    groups[l].push(i);
                }
                groups
            }
            Targets::Sequence(_) => vec![(0..self.len()).collect()],
        };
        let (mut train, mut valid) = (Vec::new(), Vec::new());
        for mut group in groups {
            group.shuffle(&mut r);
            let n_train = (fraction * group.len() as f64).round() as usize;
            train.extend_from_slice(&group[..n_train]);
            valid.extend_from_slice(&group[n_train..]);
        }
        train.sort_unstable();
        valid.sort_unstable();
        Ok((self.subset(&train)?, self.subset(&valid)?))
    }

    /// Iterates over mini-batches of `batch_size` samples, covering every sample exactly once;
    /// the last batch holds the remainder when `batch_size` does not divide `N`.
    ///
    /// With `shuffle`, the order is a random permutation fixed by `seed` (pass e.g.
    /// `seed + epoch` for a new order each epoch); without, samples come in order.
    ///
    /// # Errors
    /// [`TaskError::Argument`] if `batch_size` is 0.
    pub fn batches(&self, batch_size: usize, shuffle: bool, seed: u64) -> Result<Batches<'_>> {
        if batch_size == 0 {
            return Err(TaskError::Argument {
                name: "batch_size",
                value: "0".into(),
                reason: "a batch must hold at least one sample".into(),
            });
        }
        let order = epoch_order(self.len(), shuffle, seed);
        Ok(Batches {
            data: self,
            order,
            batch_size,
            next: 0,
        })
    }
}

/// The order in which [`Dataset::batches`] visits `len` samples: `0..len`, or with `shuffle`
/// a permutation fixed by `seed` (the same one `batches` uses, so a loader built on this order
/// yields the same batches).
pub fn epoch_order(len: usize, shuffle: bool, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    if shuffle {
        order.shuffle(&mut rng(seed, stream::BATCHES));
    }
    order
}

/// The position and value of the first NaN or infinite element, if any.
fn first_non_finite(a: &Array3<f32>) -> Option<((usize, usize, usize), f32)> {
    a.indexed_iter()
        .find(|(_, v)| !v.is_finite())
        .map(|(i, &v)| (i, v))
}

/// One mini-batch: `B` samples taken from a [`Dataset`].
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// Inputs, `[B, T, C]`.
    pub x: Array3<f32>,
    /// Targets: `[B]` labels or `[B, T, K]` traces.
    pub y: Targets,
    /// The dataset index of each sample in the batch, `[B]`.
    pub indices: Vec<usize>,
}

impl Batch {
    /// Number of samples `B` in the batch.
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    /// Whether the batch is empty (never, for batches from [`Dataset::batches`]).
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }
}

/// Iterator over the mini-batches of one epoch; see [`Dataset::batches`].
#[derive(Debug, Clone)]
pub struct Batches<'a> {
    data: &'a Dataset,
    order: Vec<usize>,
    batch_size: usize,
    next: usize,
}

impl Iterator for Batches<'_> {
    type Item = Batch;

    fn next(&mut self) -> Option<Batch> {
        if self.next >= self.order.len() {
            return None;
        }
        let end = (self.next + self.batch_size).min(self.order.len());
        let indices = self.order[self.next..end].to_vec();
        self.next = end;
        Some(Batch {
            x: self.data.x.select(Axis(0), &indices),
            y: self.data.y.select(&indices),
            indices,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.order.len() - self.next).div_ceil(self.batch_size);
        (left, Some(left))
    }
}

impl ExactSizeIterator for Batches<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy(n: usize, k: usize) -> Dataset {
        let x = Array3::from_shape_fn((n, 3, 2), |(i, t, c)| (i * 100 + t * 10 + c) as f32);
        let y = Targets::Class((0..n).map(|i| i % k).collect());
        Dataset::new(x, y, 1e-3, "toy").unwrap()
    }

    #[test]
    fn new_infers_classes_and_sizes() {
        let d = toy(10, 3);
        assert_eq!(d.len(), 10);
        assert_eq!(d.num_steps(), 3);
        assert_eq!(d.size_in(), 2);
        assert_eq!(d.size_out(), 3);
        assert_eq!(d.num_classes, Some(3));
        assert_eq!(d.class_names, ["0", "1", "2"]);
        assert_eq!(d.class_counts(), Some(vec![4, 3, 3]));
        assert!((d.duration() - 0.003).abs() < 1e-12);
    }

    #[test]
    fn new_rejects_inconsistent_arrays() {
        let x = Array3::<f32>::zeros((4, 5, 2));
        let e = Dataset::new(x.clone(), Targets::Class(vec![0; 3]), 1e-3, "d").unwrap_err();
        assert!(e.to_string().contains("x has 4 samples"), "{e}");
        let seq = Targets::Sequence(Array3::zeros((4, 6, 1)));
        let e = Dataset::new(x.clone(), seq, 1e-3, "d").unwrap_err();
        assert!(e.to_string().contains("6"), "{e}");
        let e = Dataset::new(x.clone(), Targets::Class(vec![0; 4]), 0.0, "d").unwrap_err();
        assert!(e.to_string().contains("`dt` = 0"), "{e}");
        let mut bad = x;
        bad[[1, 2, 0]] = f32::NAN;
        let e = Dataset::new(bad, Targets::Class(vec![0; 4]), 1e-3, "d").unwrap_err();
        assert!(e.to_string().contains("x(1, 2, 0) = NaN"), "{e}");
    }

    #[test]
    fn class_names_set_num_classes() {
        let d = toy(4, 2)
            .with_class_names(vec!["a".into(), "b".into(), "c".into()])
            .unwrap();
        assert_eq!(d.num_classes, Some(3));
        assert_eq!(d.size_out(), 3);
        assert_eq!(d.class_counts(), Some(vec![2, 2, 0]));
        assert!(toy(4, 2).with_class_names(vec!["a".into()]).is_err());
    }

    #[test]
    fn subset_takes_rows_in_order() {
        let d = toy(5, 2);
        let s = d.subset(&[4, 1, 1]).unwrap();
        assert_eq!(s.y, Targets::Class(vec![0, 1, 1]));
        assert_eq!(s.x[[0, 2, 1]], 421.0);
        assert_eq!(s.x[[2, 0, 0]], 100.0);
        let e = d.subset(&[5]).unwrap_err();
        assert!(e.to_string().contains("`indices` = 5"), "{e}");
    }

    #[test]
    fn split_is_stratified_disjoint_and_seeded() {
        // 3 classes with 10, 20 and 30 samples.
        let labels: Vec<usize> = (0..60)
            .map(|i| usize::from(i >= 10) + usize::from(i >= 30))
            .collect();
        let x = Array3::from_shape_fn((60, 1, 1), |(i, _, _)| i as f32);
        let d = Dataset::new(x, Targets::Class(labels), 1e-3, "s").unwrap();
        let (train, valid) = d.split(0.8, 5).unwrap();
        assert_eq!(train.class_counts(), Some(vec![8, 16, 24]));
        assert_eq!(valid.class_counts(), Some(vec![2, 4, 6]));
        // Every sample lands in exactly one part (x holds the original index).
        let mut all: Vec<usize> = train
            .x
            .iter()
            .chain(valid.x.iter())
            .map(|&v| v as usize)
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..60).collect::<Vec<_>>());
        // Same seed, same split; another seed, another split.
        assert_eq!(d.split(0.8, 5).unwrap().0, train);
        assert_ne!(d.split(0.8, 6).unwrap().0.x, train.x);
        assert!(d.split(1.5, 0).is_err());
        assert!(d.split(f64::NAN, 0).is_err());
    }

    #[test]
    fn split_sequences_by_count() {
        let x = Array3::from_shape_fn((10, 2, 1), |(i, _, _)| i as f32);
        let y = Targets::Sequence(Array3::from_shape_fn((10, 2, 1), |(i, _, _)| i as f32));
        let d = Dataset::new(x, y, 1e-3, "q").unwrap();
        let (train, valid) = d.split(0.7, 1).unwrap();
        assert_eq!((train.len(), valid.len()), (7, 3));
        // Targets travel with their inputs.
        let ty = train.y.as_sequence().unwrap();
        assert_eq!(
            train.x.slice(ndarray::s![.., 0, 0]),
            ty.slice(ndarray::s![.., 0, 0])
        );
    }

    #[test]
    fn batches_cover_each_index_once() {
        let d = toy(10, 2);
        for shuffle in [false, true] {
            let batches: Vec<Batch> = d.batches(4, shuffle, 9).unwrap().collect();
            assert_eq!(
                batches.iter().map(Batch::len).collect::<Vec<_>>(),
                [4, 4, 2]
            );
            let mut seen: Vec<usize> = batches.iter().flat_map(|b| b.indices.clone()).collect();
            if !shuffle {
                assert_eq!(seen, (0..10).collect::<Vec<_>>());
            }
            seen.sort_unstable();
            assert_eq!(seen, (0..10).collect::<Vec<_>>());
            for b in &batches {
                for (row, &i) in b.indices.iter().enumerate() {
                    assert_eq!(b.x[[row, 0, 0]], (i * 100) as f32);
                    assert_eq!(b.y.as_class().unwrap()[row], i % 2);
                }
            }
        }
        assert_eq!(d.batches(3, true, 0).unwrap().len(), 4);
        assert!(d.batches(0, false, 0).is_err());
    }

    #[test]
    fn shuffling_is_reproducible() {
        let d = toy(50, 2);
        let order = |seed| -> Vec<usize> {
            d.batches(7, true, seed)
                .unwrap()
                .flat_map(|b| b.indices)
                .collect()
        };
        assert_eq!(order(1), order(1));
        assert_ne!(order(1), order(2));
        assert_ne!(order(1), (0..50).collect::<Vec<_>>());
    }
}
