//! Datasets and synthetic tasks for training spiking neural networks.
//!
//! Every task is generated on the fly from a seed — no downloads — and returns a [`Dataset`]:
//! inputs `x` `[N, T, C]` (samples, time steps of `dt` seconds, channels) holding spike counts
//! per step, and targets that are either class labels `[N]` or target traces `[N, T, K]`
//! ([`Targets`]). Generation is deterministic: the same configuration and seed give the same
//! arrays on every platform (all randomness comes from ChaCha8 streams).
//!
//! | task | config | `x` | `y` | defaults |
//! |---|---|---|---|---|
//! | frozen-noise spike patterns | [`FrozenNoiseConfig`] | spike counts | class | 4 classes, `[N, 100, 16]` |
//! | synthetic audio keywords | [`KeywordConfig`] | spike counts (or envelopes) | class | 5 classes, `[N, 500, 16]` |
//! | temporal delay | [`DelayConfig`] | 0/1 spikes | `[N, 100, 4]` traces | `[N, 100, 4]`, 10-step delay |
//!
//! All use `dt` = 1 ms by default and cap spike counts at 15 per channel per step, Xylo's input
//! limit. [`TaskConfig`] names any of them in a TOML training file:
//!
//! ```
//! use rockpool_tasks::TaskConfig;
//!
//! let task: TaskConfig = toml::from_str(r#"
//!     type = "frozen_noise"
//!     num_classes = 3
//!     jitter = 2
//! "#).unwrap();
//! let data = task.generate(300, 0).unwrap();
//! let (train, valid) = data.split(0.8, 0).unwrap();
//! assert_eq!((train.len(), valid.len()), (240, 60));
//! for batch in train.batches(32, true, 1).unwrap() {
//!     assert_eq!(batch.x.shape()[1..], [100, 16]);
//! }
//! ```
//!
//! User data comes from npz files ([`load_npz_dataset`], [`save_npz_dataset`]). The keyword
//! task's audio front end — [`FilterBank`], [`envelope`], [`downsample_mean`],
//! [`SpikeEncoder`], assembled in [`AudioFrontEnd`] — works on any audio.
//!
//! Tasks whose classes are fixed prototypes (the frozen-noise patterns) take the prototypes'
//! seed from the configuration (`pattern_seed`), not from the sample seed, so a training set
//! and a validation set generated with different seeds pose the same problem.

#![warn(missing_docs)]

pub mod chip_front_end;
pub mod dataset;
pub mod delay;
pub mod encoder;
mod error;
pub mod filterbank;
pub mod frontend;
pub mod frozen_noise;
pub mod keyword;
pub mod npz;
mod random;
mod validate;

pub use chip_front_end::ChipFrontEnd;
pub use dataset::{Batch, Batches, Dataset, MAX_CLASSES, Targets, epoch_order};
pub use delay::DelayConfig;
pub use encoder::SpikeEncoder;
pub use error::{Result, TaskError};
pub use filterbank::{Biquad, FilterBank, downsample_mean, envelope, log_spaced, mel_spaced};
pub use frontend::AudioFrontEnd;
pub use frozen_noise::FrozenNoiseConfig;
pub use keyword::{Keyword, KeywordConfig, KeywordOutput, Spacing};
pub use npz::{load_npz_dataset, save_npz_dataset};
pub use validate::MAX_ELEMENTS;

use serde::{Deserialize, Serialize};

/// Any built-in task, as named in a configuration file by its `type` field
/// (`frozen_noise`, `keyword` or `delay`); the other fields are the task's own, each with its
/// default when left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TaskConfig {
    /// Frozen-noise spike-pattern classification.
    FrozenNoise(FrozenNoiseConfig),
    /// Synthetic audio keyword classification.
    Keyword(KeywordConfig),
    /// Reproduce the input after a delay.
    Delay(DelayConfig),
}

impl Default for TaskConfig {
    fn default() -> Self {
        TaskConfig::FrozenNoise(FrozenNoiseConfig::default())
    }
}

impl TaskConfig {
    /// The task's name, as in the `type` field (`frozen_noise`, `keyword`, `delay`).
    pub fn name(&self) -> &'static str {
        match self {
            TaskConfig::FrozenNoise(_) => FrozenNoiseConfig::NAME,
            TaskConfig::Keyword(_) => KeywordConfig::NAME,
            TaskConfig::Delay(_) => DelayConfig::NAME,
        }
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// [`TaskError::Config`] naming the first field out of range.
    pub fn validate(&self) -> Result<()> {
        match self {
            TaskConfig::FrozenNoise(c) => c.validate(),
            TaskConfig::Keyword(c) => c.validate(),
            TaskConfig::Delay(c) => c.validate(),
        }
    }

    /// Generates `n_samples` samples of the task with `seed`; see each task's `generate`.
    ///
    /// # Errors
    /// [`TaskError::Config`] if the configuration is invalid.
    pub fn generate(&self, n_samples: usize, seed: u64) -> Result<Dataset> {
        match self {
            TaskConfig::FrozenNoise(c) => c.generate(n_samples, seed),
            TaskConfig::Keyword(c) => c.generate(n_samples, seed),
            TaskConfig::Delay(c) => c.generate(n_samples, seed),
        }
    }
}

impl From<FrozenNoiseConfig> for TaskConfig {
    fn from(c: FrozenNoiseConfig) -> Self {
        TaskConfig::FrozenNoise(c)
    }
}

impl From<KeywordConfig> for TaskConfig {
    fn from(c: KeywordConfig) -> Self {
        TaskConfig::Keyword(c)
    }
}

impl From<DelayConfig> for TaskConfig {
    fn from(c: DelayConfig) -> Self {
        TaskConfig::Delay(c)
    }
}
