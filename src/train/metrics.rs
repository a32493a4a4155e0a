//! Per-epoch metrics of a run and how they are written: `metrics.csv` (one row per epoch) and
//! the `loss.png` / `accuracy.png` curves.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Result;

/// One row of `metrics.csv`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct EpochMetrics {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss.
    pub train_loss: f64,
    /// Training accuracy (classification), fraction.
    pub train_acc: f64,
    /// Mean validation loss.
    pub valid_loss: f64,
    /// Validation accuracy, fraction.
    pub valid_acc: f64,
    /// Learning rate used.
    pub lr: f64,
    /// Wall-clock seconds of the epoch.
    pub seconds: f64,
    /// Training samples per second.
    pub samples_per_s: f64,
    /// Mean firing rate of the hidden spiking layers over the validation set, Hz (`None`
    /// when the network has no hidden spiking layer or validation did not record it).
    #[serde(default)]
    pub valid_rate_hz: Option<f64>,
}

/// `metrics.csv`: a header and one row per epoch.
pub(crate) fn metrics_csv(history: &[EpochMetrics]) -> String {
    let mut csv = String::from(
        "epoch,train_loss,train_acc,valid_loss,valid_acc,lr,seconds,samples_per_s,valid_rate_hz\n",
    );
    for m in history {
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}\n",
            m.epoch,
            m.train_loss,
            m.train_acc,
            m.valid_loss,
            m.valid_acc,
            m.lr,
            m.seconds,
            m.samples_per_s,
            m.valid_rate_hz.map(|r| r.to_string()).unwrap_or_default()
        ));
    }
    csv
}

/// Writes `metrics.csv`, `loss.png` and `accuracy.png` into `out`, each file atomically.
pub(crate) fn write_metrics(out: &Path, history: &[EpochMetrics]) -> Result<()> {
    rockpool_io::write_atomic(out.join("metrics.csv"), metrics_csv(history).as_bytes())?;
    let ep: Vec<f64> = history.iter().map(|m| m.epoch as f64).collect();
    let tl: Vec<f64> = history.iter().map(|m| m.train_loss).collect();
    let vl: Vec<f64> = history.iter().map(|m| m.valid_loss).collect();
    let ta: Vec<f64> = history.iter().map(|m| m.train_acc).collect();
    let va: Vec<f64> = history.iter().map(|m| m.valid_acc).collect();
    use rockpool_plot::{CurvePlot, plot_curves};
    plot_curves(
        &out.join("loss.png"),
        &[("train", &ep, &tl), ("validation", &ep, &vl)],
        &CurvePlot {
            title: "Loss".into(),
            y_label: "loss".into(),
            ..CurvePlot::default()
        },
    )?;
    plot_curves(
        &out.join("accuracy.png"),
        &[("train", &ep, &ta), ("validation", &ep, &va)],
        &CurvePlot {
            title: "Accuracy".into(),
            y_label: "accuracy".into(),
            ..CurvePlot::default()
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_has_a_header_and_one_row_per_epoch() {
        let rows = [
            EpochMetrics {
                epoch: 1,
                train_loss: 0.5,
                train_acc: 0.25,
                valid_loss: 0.75,
                valid_acc: 0.5,
                lr: 0.001,
                seconds: 2.0,
                samples_per_s: 400.0,
                valid_rate_hz: Some(12.5),
            },
            EpochMetrics {
                epoch: 2,
                ..EpochMetrics::default()
            },
        ];
        let csv = metrics_csv(&rows);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("epoch,train_loss"));
        assert_eq!(lines[1], "1,0.5,0.25,0.75,0.5,0.001,2,400,12.5");
        assert_eq!(lines[2], "2,0,0,0,0,0,0,0,");
    }
}
