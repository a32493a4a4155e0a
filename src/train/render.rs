//! How a run shows its progress: Burn's terminal dashboard when stdout is a terminal, and
//! otherwise ([`PlainRenderer`]) a progress bar on stderr (drawn only when stderr is a
//! terminal) plus the one line per epoch that the run folder's ledger prints, so logs of CI
//! jobs and pipes get one line an epoch instead of one a batch.

use std::collections::HashMap;
use std::io::IsTerminal;

use burn_train::logger::{EvaluationProgressLogger, TrainingProgressLogger};
use burn_train::metric::{MetricDefinition, MetricId};
use burn_train::renderer::{
    EvaluationName, MetricState, MetricsRenderer, MetricsRendererEvaluation,
    MetricsRendererTraining,
};
use burn_train::{Interrupter, LearnerSummary};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether a run shows Burn's terminal dashboard: stdout is a terminal and
/// `ROCKPOOL_PLAIN_PROGRESS` is not set.
pub fn dashboard() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("ROCKPOOL_PLAIN_PROGRESS").is_none()
}

/// The renderer of a run: Burn's dashboard ([`dashboard`]) or a [`PlainRenderer`].
pub fn renderer(interrupter: Interrupter, resumed_from: Option<usize>) -> Box<dyn MetricsRenderer> {
    if dashboard() {
        return Box::new(burn_train::renderer::tui::TuiMetricsRendererWrapper::new(
            interrupter,
            resumed_from,
        ));
    }
    Box::new(PlainRenderer::default())
}

/// A progress bar over the current split (training or validation) with the running loss and
/// accuracy; drawn on stderr when it is a terminal, silent otherwise. With
/// [`PlainRenderer::with_epoch_lines`] it also prints one line per epoch (for a training
/// script; `rockpool train`'s run folder prints its own, with the learning rate and times).
#[derive(Default)]
pub struct PlainRenderer {
    epoch_lines: bool,
    train_summary: Option<String>,
    bar: Option<ProgressBar>,
    names: HashMap<MetricId, String>,
    epoch: usize,
    epochs: usize,
    split: String,
    loss: Option<String>,
    accuracy: Option<String>,
}

impl PlainRenderer {
    /// A renderer that prints `epoch e/E: train loss … acc … | valid loss … acc …` on stderr
    /// after every epoch.
    pub fn with_epoch_lines() -> Self {
        Self {
            epoch_lines: true,
            ..Self::default()
        }
    }

    fn summary(&self) -> String {
        format!(
            "loss {} acc {}",
            self.loss.as_deref().unwrap_or("-"),
            self.accuracy.as_deref().unwrap_or("-")
        )
    }

    fn on_metric(&mut self, state: MetricState) {
        let MetricState::Numeric(entry, _) = state else {
            return;
        };
        let Some(name) = self.names.get(&entry.metric_id) else {
            return;
        };
        // "epoch 0.52 - batch 0.49": the running value of the epoch.
        let running = entry
            .serialized_entry
            .formatted
            .split(" - ")
            .next()
            .unwrap_or("")
            .trim_start_matches("epoch ")
            .to_string();
        match name.as_str() {
            super::meters::LOSS => self.loss = Some(running),
            super::meters::ACCURACY => self.accuracy = Some(running),
            _ => return,
        }
        if let Some(bar) = &self.bar {
            bar.set_message(format!(
                "loss {} acc {}",
                self.loss.as_deref().unwrap_or("-"),
                self.accuracy.as_deref().unwrap_or("-")
            ));
        }
    }
}

impl MetricsRendererTraining for PlainRenderer {
    fn update_train(&mut self, state: MetricState) {
        self.on_metric(state);
    }

    fn update_valid(&mut self, state: MetricState) {
        self.on_metric(state);
    }

    fn on_train_end(
        &mut self,
        _summary: Option<LearnerSummary>,
    ) -> Result<(), Box<dyn core::error::Error>> {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        Ok(())
    }
}

impl TrainingProgressLogger for PlainRenderer {
    fn start(
        &mut self,
        total_epochs: usize,
        starting_epoch: usize,
        _total_items: Option<usize>,
        _label: Option<&str>,
    ) {
        self.epochs = total_epochs;
        self.epoch = starting_epoch;
    }

    fn update_epoch(&mut self, epoch: usize) {
        self.epoch = epoch + 1;
    }

    fn start_split(&mut self, split: &str, total_items: usize) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(total_items as u64), target);
        bar.set_style(
            ProgressStyle::with_template(
                "epoch {prefix} {msg:>10} [{bar:30}] {pos}/{len} {wide_msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        self.split = split.to_string();
        bar.set_prefix(format!("{}/{} {}", self.epoch, self.epochs, self.split));
        (self.loss, self.accuracy) = (None, None);
        self.bar = Some(bar);
    }

    fn update_split(&mut self, items_processed: usize) {
        if let Some(bar) = &self.bar {
            bar.set_position(items_processed as u64);
        }
    }

    fn end_split(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        if !self.epoch_lines {
            return;
        }
        match self.train_summary.take() {
            None => self.train_summary = Some(self.summary()),
            Some(train) => super::run_dir::note(&format!(
                "epoch {}/{}: train {train} | {} {}",
                self.epoch,
                self.epochs,
                self.split,
                self.summary()
            )),
        }
    }

    fn end(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    fn log_event_training(&mut self, _event: String) {}
}

impl EvaluationProgressLogger for PlainRenderer {
    fn start_global_progress(&mut self, _total_tests: usize) {}

    fn start_test(&mut self, _name: &str, _total_items: usize) {}

    fn update_test_progress(&mut self, _items_processed: usize) {}

    fn end_test(&mut self) {}

    fn end_global_progress(&mut self) {}

    fn log_event_evaluation(&mut self, _event: String) {}
}

impl MetricsRendererEvaluation for PlainRenderer {
    fn update_test(&mut self, _name: EvaluationName, _state: MetricState) {}
}

impl MetricsRenderer for PlainRenderer {
    fn manual_close(&mut self) {}

    fn register_metric(&mut self, definition: MetricDefinition) {
        self.names
            .insert(definition.metric_id.clone(), definition.name.to_string());
    }
}
