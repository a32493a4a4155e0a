//! The training job: one TOML file (`configs/*.toml`, what `rockpool train` reads) that names
//! a network, its data, the optimisation and, optionally, Xylo deployment. [`run`] builds the
//! network, trains it ([`crate::train`]) and, in Xylo mode, exports the best model for the chip
//! and measures its accuracy on the bit-exact simulator. This is the one place where training
//! meets Xylo: [`crate::train`] knows nothing of the chip.
//!
//! ```toml
//! [network]
//! seed = 1
//! [[network.layers]]
//! type = "linear"
//! size_in = 16
//! size_out = 64
//! # …
//!
//! [task]
//! type = "frozen_noise"      # frozen_noise | keyword | delay, with their own fields
//!
//! [data]
//! train_samples = 800
//! valid_samples = 200
//!
//! [training]
//! epochs = 20
//! batch_size = 32
//! lr = 2e-3
//!
//! [xylo]                     # optional: train under the chip's constraints, then export
//! family = "syns61201"       # syns61201 | syns65302 | syns63300 (or vA2, XyloAudio3, imu, …)
//! quantize = "channel"       # channel | global
//! ```

use std::path::Path;

use rockpool_tasks::{Dataset, TaskConfig};
use rockpool_xylo::XyloFamily;
use serde::{Deserialize, Serialize};

use crate::device::Device;
use crate::error::{Error, Result};
use crate::network::NetworkConfig;
use crate::quant::XyloMode;
use crate::train::{
    DataConfig, Devices, ForwardFn, Splits, TrainReport, TrainingOptions, train_sources, train_with,
};
use crate::xylo::Quantization;

/// Xylo mode: train under the chip's constraints, then export (`[xylo]` in a job file).
///
/// The network is rewritten and evolved in Xylo mode ([`XyloMode`], see [`crate::quant`]):
/// `Linear` weights are fake-quantised to the chip's weight width (int8) with a
/// straight-through estimator (one scale per target neuron for channel quantisation, per
/// layer for global), `LIF` thresholds and biases are integers (int16) on the grid of the
/// weights feeding them, decays come from integer bit shifts, hidden and output layers emit at
/// most the chip's events per step (31 and 1), and a `Delay` of the chip's hop delay follows
/// every hidden `LIF`. After training, the best model's effective form is mapped, quantised,
/// exported to `config.json` and run on the bit-exact simulator over the validation set. The
/// limits come from the family's [`ChipSpec`](rockpool_xylo::ChipSpec).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XyloTraining {
    /// Chip family: `syns61201`, `syns65302` or `syns63300` (or an alias such as `vA2`).
    pub family: XyloFamily,
    /// Quantisation at export: `channel` (default) or `global`.
    #[serde(default)]
    pub quantize: Quantization,
    /// Fuzzy scaling for global quantisation.
    #[serde(default)]
    pub fuzzy: bool,
}

/// A whole job file (`configs/*.toml`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobConfig {
    /// The network.
    pub network: NetworkConfig,
    /// A built-in task (unless `data.path` names a dataset).
    #[serde(default)]
    pub task: Option<TaskConfig>,
    /// Data sizes or the dataset file.
    #[serde(default)]
    pub data: DataConfig,
    /// Optimisation.
    #[serde(default)]
    pub training: TrainingOptions,
    /// Xylo-mode training and export.
    #[serde(default)]
    pub xylo: Option<XyloTraining>,
}

/// The former name of [`JobConfig`] (it was `rockpool::train::TrainConfig`).
pub type TrainConfig = JobConfig;

impl JobConfig {
    /// Parses a job; `file` names it in errors.
    pub fn from_toml_str(text: &str, file: &str) -> Result<Self> {
        let cfg: JobConfig =
            toml::from_str(text).map_err(|e| Error::config(file, e.to_string().trim_end()))?;
        cfg.training.validate(file)?;
        cfg.data.validate(file)?;
        if let Some(task) = &cfg.task {
            task.validate()
                .map_err(|e| Error::config(file, format!("[task] {e}")))?;
        }
        if cfg.task.is_none() && cfg.data.path.is_none() {
            return Err(Error::config(
                file,
                "give a [task] table or a dataset in [data] path",
            ));
        }
        if cfg.network.layers.is_empty() {
            return Err(Error::config(file, "[network] has no layers"));
        }
        Ok(cfg)
    }

    /// Reads a job file. A relative dataset path (`[data] path`) is taken relative to the
    /// file's folder.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = crate::error::read_text(path)?;
        let mut cfg = Self::from_toml_str(&text, &path.display().to_string())?;
        if let (Some(p), Some(dir)) = (&cfg.data.path, path.parent())
            && p.is_relative()
        {
            cfg.data.path = Some(dir.join(p));
        }
        Ok(cfg)
    }

    /// The network as it is trained: the configured one, or in Xylo mode its rewrite
    /// ([`XyloMode::for_network`]) (load a run's `params.npz` into this one).
    pub fn training_network(&self) -> Result<NetworkConfig> {
        Ok(self.xylo_setup()?.0)
    }

    /// In Xylo mode, how the training network evolves ([`XyloMode`]); `None` otherwise.
    pub fn xylo_mode(&self) -> Result<Option<XyloMode>> {
        Ok(self.xylo_setup()?.1)
    }

    fn xylo_setup(&self) -> Result<(NetworkConfig, Option<XyloMode>)> {
        match &self.xylo {
            Some(x) => {
                let (net, mode) =
                    XyloMode::for_network(&self.network, x.family.chip(), x.quantize)?;
                Ok((net, Some(mode)))
            }
            None => Ok((self.network.clone(), None)),
        }
    }

    /// Builds (train, validation) datasets ([`DataConfig::datasets`]).
    pub fn datasets(&self) -> Result<(Dataset, Dataset)> {
        self.data.datasets(self.task.as_ref())
    }
}

/// The file a Xylo-mode job writes into its run folder: the exported chip configuration.
pub const XYLO_CONFIG: &str = "config.json";

/// Removes a previous job's files from its run folder `out` (the training run's,
/// [`crate::train::RUN_FILES`], and the Xylo export [`XYLO_CONFIG`]), so that a new job starts
/// afresh there (`rockpool train --overwrite`); other files are left alone.
pub fn clear_run(out: &Path) -> Result<()> {
    crate::train::clear_run(out)?;
    crate::train::remove_files(out, &[XYLO_CONFIG])
}

/// What a job produced.
#[derive(Clone, Debug)]
pub struct JobReport {
    /// The training run: metrics, best epoch, output folder.
    pub training: TrainReport,
    /// Xylo mode on a classification task: the exported configuration's accuracy on the
    /// simulated chip over the validation set, fraction.
    pub chip_acc: Option<f64>,
    /// Xylo mode: the deployment report (empty otherwise).
    pub xylo_report: Vec<String>,
}

/// Runs a job, writing everything into `out_dir`: the training outputs (see [`crate::train`])
/// and, in Xylo mode, `config.json` (the best model exported for the chip). With `resume`,
/// training continues from the checkpoint in `out_dir`.
pub fn run(cfg: &JobConfig, out_dir: &Path, device: &Device, resume: bool) -> Result<JobReport> {
    run_on(cfg, out_dir, &Devices::one(device), resume)
}

/// [`run`] with training data-parallel over `devices` (see [`train_with`]); the export and
/// the chip simulation run on the first.
pub fn run_on(
    cfg: &JobConfig,
    out_dir: &Path,
    devices: &Devices,
    resume: bool,
) -> Result<JobReport> {
    let Some(device) = devices.list.first() else {
        return Err(Error::value("--devices", "no device given"));
    };
    let (network, mode) = cfg.xylo_setup()?;
    // Xylo mode evolves the chain with its constraints; otherwise the plain evolution.
    let forward = mode.clone().map(|m| -> ForwardFn {
        std::sync::Arc::new(move |net: &_, x, s, r| m.evolve(net, x, s, r))
    });
    let (train_set, valid_set) = match cfg.data.splits(cfg.task.as_ref())? {
        Splits::InMemory(train, valid) => (train, valid),
        Splits::Streamed(train, valid) => {
            if cfg.xylo.is_some() {
                return Err(Error::config(
                    "[xylo]",
                    "Xylo mode needs its validation data in memory for the simulated chip; \
                     event datasets are not supported there yet",
                ));
            }
            let sources = (train, valid);
            let training = train_sources(
                &network,
                sources,
                &cfg.training,
                out_dir,
                devices,
                resume,
                forward,
            )?;
            return Ok(JobReport {
                training,
                chip_acc: None,
                xylo_report: Vec::new(),
            });
        }
    };
    let data = (&train_set, &valid_set);
    let training = train_with(
        &network,
        data,
        &cfg.training,
        out_dir,
        devices,
        resume,
        forward,
    )?;
    let (mut chip_acc, mut xylo_report) = (None, Vec::new());
    if let Some(x) = &cfg.xylo {
        let mut best = network.build(device)?;
        crate::persist::load_parameters(&mut best, out_dir.join("params.npz"))?;
        // What the training evolved with: fake-quantised weights, thresholds on their grid.
        if let Some(m) = &mode {
            best = m.effective(&best)?;
        }
        let probe =
            crate::xylo::probe_raster(300, crate::module::ModuleExt::size_in(&best), 0.05, 0);
        let ex = crate::xylo::export(&best, x.family, x.quantize, x.fuzzy, &probe)?;
        ex.config
            .save(out_dir.join(XYLO_CONFIG))
            .map_err(|e| Error::value("xylo", e.to_string()))?;
        xylo_report = ex.report.clone();
        if let Some(labels) = valid_set.y.as_class() {
            let acc = crate::xylo::chip_accuracy(&ex.config, &valid_set.x, labels, 0)?;
            chip_acc = Some(acc);
            xylo_report.push(format!(
                "  validation accuracy: float {:.1} %, quantised on the simulated chip {:.1} %",
                100.0 * training.best_valid_acc,
                100.0 * acc
            ));
        }
        if !ex.validation.is_valid() {
            xylo_report.push(format!(
                "  the configuration is NOT valid:\n{}",
                ex.validation
            ));
        }
    }
    Ok(JobReport {
        training,
        chip_acc,
        xylo_report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NET: &str = "[network]\n[[network.layers]]\ntype = \"linear\"\nsize_in = 2\nsize_out = 3\n\
                       [[network.layers]]\ntype = \"lif\"\nn = 3\n\
                       [[network.layers]]\ntype = \"linear\"\nsize_in = 3\nsize_out = 2\n\
                       [[network.layers]]\ntype = \"lif\"\nn = 2\n[task]\ntype = \"frozen_noise\"\n";

    #[test]
    fn xylo_table_takes_family_and_quantisation_names() {
        let cfg =
            JobConfig::from_toml_str(&format!("{NET}[xylo]\nfamily = \"vA3\"\n"), "j").unwrap();
        let x = cfg.xylo.unwrap();
        assert_eq!(x.family, XyloFamily::Audio3);
        assert_eq!(x.quantize, Quantization::Channel);
        let cfg = JobConfig::from_toml_str(
            &format!("{NET}[xylo]\nfamily = \"XyloIMU\"\nquantize = \"Global\"\n"),
            "j",
        )
        .unwrap();
        let x = cfg.xylo.unwrap();
        assert_eq!(
            (x.family, x.quantize),
            (XyloFamily::Imu, Quantization::Global)
        );
        for (bad, word) in [
            ("family = \"syns65300\"", "syns65300"),
            ("family = \"vA2\"\nquantize = \"layer\"", "layer"),
        ] {
            let err = JobConfig::from_toml_str(&format!("{NET}[xylo]\n{bad}\n"), "j.toml")
                .unwrap_err()
                .to_string();
            assert!(err.contains("j.toml") && err.contains(word), "{err}");
        }
    }

    #[test]
    fn xylo_mode_takes_the_limits_of_the_chip() {
        use crate::nn::LayerConfig;
        use crate::quant::LayerQuant;
        let cfg = JobConfig::from_toml_str(NET, "j").unwrap();
        for family in XyloFamily::ALL {
            let chip = family.chip();
            let (net, mode) =
                XyloMode::for_network(&cfg.network, chip, Quantization::Channel).unwrap();
            let kinds: Vec<&LayerConfig> = net.layers.iter().map(|l| &l.layer).collect();
            let [
                LayerConfig::Linear(_),
                LayerConfig::Lif(hidden),
                LayerConfig::Delay(delay),
                LayerConfig::Linear(_),
                LayerConfig::Lif(out),
            ] = kinds[..]
            else {
                panic!("linear, lif, delay, linear, lif: {kinds:?}")
            };
            assert_eq!(
                mode.layers()[..2],
                [
                    LayerQuant::Weights {
                        bits: chip.weight_bits,
                        group: 1
                    },
                    LayerQuant::Thresholds {
                        bits: chip.threshold_bits.min(chip.bias_bits)
                    },
                ]
            );
            assert_eq!(hidden.max_spikes_per_dt, f64::from(chip.max_hidden_spikes));
            assert_eq!(out.max_spikes_per_dt, f64::from(chip.max_output_spikes));
            assert_eq!(delay.steps, chip.hop_delay_steps);
            assert!(hidden.quantize_decays && out.quantize_decays);
        }
    }

    fn job_error(extra: &str) -> String {
        JobConfig::from_toml_str(&format!("{NET}{extra}"), "job.toml")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn sizes_and_fractions_are_refused_with_the_users_numbers() {
        let e = job_error("[data]\ntrain_samples = 1000000000000\n");
        assert!(
            e.contains("job.toml") && e.contains("train_samples = 1000000000000"),
            "{e}"
        );
        let e = job_error("[data]\nvalid_samples = 0\n");
        assert!(e.contains("valid_samples = 0"), "{e}");
        let e = job_error("[data]\nvalid_fraction = 1.5\n");
        assert!(
            e.contains("valid_fraction = 1.5") && e.contains("[0, 1]") && !e.contains("-0.5"),
            "{e}"
        );
        let e = job_error("[training]\nbatch_size = 1000000000000\n");
        assert!(e.contains("batch_size = 1000000000000"), "{e}");
        let e = job_error(
            "[training]\nloss = { peak = { max_interval = 18446744073709551615, \
             weight_nontarget = 0.5, target_output = 1.0 } }\n",
        );
        assert!(e.contains("max_interval = 18446744073709551615"), "{e}");
    }

    #[test]
    fn non_finite_numbers_are_refused_with_the_field_named() {
        for field in [
            "grad_clip_norm",
            "l2",
            "weight_decay",
            "activity_weight",
            "activity_target_hz",
            "lr_min",
            "bounds_weight",
            "gamma",
            "lr",
        ] {
            for value in ["nan", "inf", "-inf"] {
                let e = job_error(&format!("[training]\n{field} = {value}\n"));
                assert!(
                    e.contains(&format!("{field} = {}", value.replace("nan", "NaN")))
                        && e.contains("job.toml"),
                    "{field} = {value}: {e}"
                );
            }
        }
        let e = job_error("[data]\ndt = nan\n");
        assert!(e.contains("dt = NaN"), "{e}");
        let e = job_error("[training]\nbounds = { tau_mem = [nan, 1.0] }\n");
        assert!(e.contains("bounds.tau_mem"), "{e}");
    }

    #[test]
    fn task_tables_are_checked_when_the_job_is_read() {
        let job = NET.replace(
            "type = \"frozen_noise\"",
            "type = \"frozen_noise\"\nnum_steps = 4294967296\nnum_channels = 4294967296",
        );
        let e = JobConfig::from_toml_str(&job, "job.toml")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("job.toml") && e.contains("num_steps") && e.contains("limit"),
            "{e}"
        );
        let job = NET.replace("type = \"frozen_noise\"", "type = \"delay\"\ndt = inf");
        let e = JobConfig::from_toml_str(&job, "job.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`dt` = inf"), "{e}");
    }

    #[test]
    fn generated_data_too_large_for_memory_is_refused_before_allocation() {
        let cfg = JobConfig::from_toml_str(
            &format!("{NET}[data]\ntrain_samples = 100000000\n"),
            "job.toml",
        )
        .unwrap();
        let e = cfg.datasets().unwrap_err().to_string();
        assert!(
            e.contains("train_samples = 100000000") && e.contains("limit"),
            "{e}"
        );
    }
}
