//! Burn training metrics for spiking networks: accuracy under our losses' decision rules (the
//! most spikes, or the peak for a peak loss) and the firing rate of the hidden layers. Burn's
//! own `LossMetric` and `LearningRateMetric` are used as they are.

use std::sync::Arc;

use burn::tensor::TensorReadError;
use burn_train::metric::state::{FormatOptions, NumericMetricState};
use burn_train::metric::{
    Adaptor, Metric, MetricAttributes, MetricMetadata, MetricName, Numeric, NumericAttributes,
    NumericEntry, SerializedEntry,
};

use super::step::StepOutput;

/// The name [`AccuracyMetric`] logs under.
pub const ACCURACY: &str = "Accuracy";
/// The name [`FiringRateMetric`] logs under.
pub const FIRING_RATE: &str = "Firing Rate";
/// The name of Burn's `LossMetric`.
pub const LOSS: &str = "Loss";
/// The name of Burn's `LearningRateMetric`.
pub const LEARNING_RATE: &str = "Learning Rate";

/// Correct predictions and samples of one batch.
#[derive(Clone, Copy, Debug)]
pub struct Counts {
    /// Correct predictions.
    pub correct: usize,
    /// Samples.
    pub samples: usize,
}

impl Adaptor<Counts> for StepOutput {
    fn adapt(&self) -> Counts {
        Counts {
            correct: self.correct,
            samples: self.samples,
        }
    }
}

/// A batch's mean firing rate (Hz) and its samples; `None` when nothing was recorded.
#[derive(Clone, Copy, Debug)]
pub struct Rate {
    /// Mean firing rate of the hidden spiking layers, Hz.
    pub hz: Option<f64>,
    /// Samples.
    pub samples: usize,
}

impl Adaptor<Rate> for StepOutput {
    fn adapt(&self) -> Rate {
        Rate {
            hz: self.rate_hz,
            samples: self.samples,
        }
    }
}

/// A per-batch value and the samples it averages over, for a [`MeanMetric`].
pub trait Measure: Send + Sync + 'static {
    /// The metric's name.
    const NAME: &'static str;
    /// Its unit.
    const UNIT: &'static str;
    /// Decimals shown.
    const PRECISION: usize;
    /// Whether higher is better.
    const HIGHER_IS_BETTER: bool;
    /// `(value, samples)` of a batch, `None` when the batch has nothing to report.
    fn measure(&self) -> Option<(f64, usize)>;
}

impl Measure for Counts {
    const NAME: &'static str = ACCURACY;
    const UNIT: &'static str = "%";
    const PRECISION: usize = 2;
    const HIGHER_IS_BETTER: bool = true;
    fn measure(&self) -> Option<(f64, usize)> {
        (self.samples > 0).then(|| {
            (
                100.0 * self.correct as f64 / self.samples as f64,
                self.samples,
            )
        })
    }
}

impl Measure for Rate {
    const NAME: &'static str = FIRING_RATE;
    const UNIT: &'static str = "Hz";
    const PRECISION: usize = 1;
    const HIGHER_IS_BETTER: bool = false;
    fn measure(&self) -> Option<(f64, usize)> {
        self.hz
            .filter(|_| self.samples > 0)
            .map(|hz| (hz, self.samples))
    }
}

/// The mean of a [`Measure`] weighted by samples over the epoch.
pub struct MeanMetric<M: Measure> {
    name: MetricName,
    state: NumericMetricState,
    _measure: std::marker::PhantomData<fn(M)>,
}

impl<M: Measure> Clone for MeanMetric<M> {
    fn clone(&self) -> Self {
        Self {
            name: self.name.clone(),
            state: self.state.clone(),
            _measure: std::marker::PhantomData,
        }
    }
}

impl<M: Measure> Default for MeanMetric<M> {
    fn default() -> Self {
        Self {
            name: Arc::new(M::NAME.into()),
            state: NumericMetricState::new(),
            _measure: std::marker::PhantomData,
        }
    }
}

/// Fraction of correct predictions (%), weighted by samples over the epoch.
pub type AccuracyMetric = MeanMetric<Counts>;

/// Mean firing rate of the hidden spiking layers (Hz), weighted by samples over the epoch;
/// reported where the step recorded the layers (validation, and training with an activity
/// penalty).
pub type FiringRateMetric = MeanMetric<Rate>;

impl<M: Measure> MeanMetric<M> {
    fn format(&self) -> FormatOptions {
        FormatOptions::new(self.name.clone())
            .unit(M::UNIT)
            .precision(M::PRECISION)
    }
}

impl<M: Measure> Metric for MeanMetric<M> {
    type Input = M;

    fn name(&self) -> MetricName {
        self.name.clone()
    }

    fn attributes(&self) -> MetricAttributes {
        NumericAttributes {
            unit: Some(M::UNIT.into()),
            higher_is_better: M::HIGHER_IS_BETTER,
        }
        .into()
    }

    fn update(
        &mut self,
        item: &M,
        _metadata: &MetricMetadata,
    ) -> Result<SerializedEntry, TensorReadError> {
        if let Some((value, samples)) = item.measure() {
            self.state.update(value, samples);
        }
        Ok(self.state.compute_update(self.format()))
    }

    fn compute(&mut self) -> Result<SerializedEntry, TensorReadError> {
        Ok(self.state.compute_final(self.format()))
    }

    fn clear(&mut self) {
        self.state.reset()
    }
}

impl<M: Measure> Numeric for MeanMetric<M> {
    fn value(&self) -> Option<NumericEntry> {
        Some(self.state.current_value())
    }

    fn running_value(&self) -> Option<NumericEntry> {
        Some(self.state.running_value())
    }

    fn final_value(&self) -> NumericEntry {
        self.state.final_value()
    }
}

/// Burn's metric logger for a run: keeps the current run's metric entries in memory so that
/// the event store can aggregate them per epoch (the run folder's `metrics.csv` is written
/// from those aggregates by the ledger; Burn's `FileMetricLogger` would add a folder per epoch
/// and metric).
#[derive(Default)]
pub struct MemoryLogger {
    names: std::collections::HashMap<burn_train::metric::MetricId, String>,
    entries: std::collections::HashMap<(String, usize, String), Vec<String>>,
}

impl burn_train::logger::MetricLogger for MemoryLogger {
    fn log(
        &mut self,
        update: burn_train::metric::store::MetricsUpdate,
        epoch: usize,
        split: &burn_train::metric::store::Split,
    ) {
        // Earlier epochs are aggregated (and cached by the store) before the next one starts.
        self.entries.retain(|(_, e, _), _| *e + 1 >= epoch);
        for u in &update.entries_numeric {
            let entry = &u.entry;
            if entry.serialized_entry.is_not_available() {
                continue;
            }
            let Some(name) = self.names.get(&entry.metric_id) else {
                continue;
            };
            self.entries
                .entry((name.clone(), epoch, split.to_string()))
                .or_default()
                .push(entry.serialized_entry.serialized.clone());
        }
    }

    fn read_numeric(
        &mut self,
        name: &str,
        epoch: usize,
        split: &burn_train::metric::store::Split,
    ) -> Result<Vec<NumericEntry>, String> {
        self.entries
            .get(&(name.to_string(), epoch, split.to_string()))
            .map(|v| {
                v.iter()
                    .filter_map(|s| NumericEntry::deserialize(s).ok())
                    .collect()
            })
            // Nothing logged (a metric of the other split): no value, not an error, which
            // the event store would turn into a panic.
            .map_or_else(|| Ok(Vec::new()), Ok)
    }

    fn log_metric_definition(&mut self, definition: burn_train::metric::MetricDefinition) {
        self.names
            .insert(definition.metric_id.clone(), definition.name.to_string());
    }

    fn log_epoch_summary(&mut self, _summary: burn_train::metric::store::EpochSummary) {}
}
