//! A temporal delay task: reproduce the input `delay` steps later.
//!
//! Input `x` `[N, T, C]`: each sample holds `num_pulses` single spikes, each on a uniformly
//! random channel at a uniformly random step in `[0, T − delay)`, at distinct (step, channel)
//! positions. Target `y` `[N, T, C]` ([`Targets::Sequence`]) is the input delayed by `delay`
//! steps:
//!
//! ```text
//! y[n, t, c] = x[n, t − delay, c]   for t ≥ delay,   0 otherwise
//! ```
//!
//! Pulses start early enough that every delayed pulse lies inside the sample, so the target
//! holds exactly as many spikes as the input. To answer, a network must remember which channel
//! fired, and when, for `delay · dt` seconds: a feed-forward network without synaptic or
//! membrane memory cannot, a small recurrent spiking network (or one whose time constants
//! span the delay) can. Train with a mean-squared error between the output trace and `y`
//! (possibly after smoothing both with a synaptic kernel).
//!
//! Defaults: 4 channels, 100 steps of 1 ms, a 10 ms delay, 2 pulses per sample.

use ndarray::Array3;
use serde::{Deserialize, Serialize};

use crate::dataset::{Dataset, Targets};
use crate::error::Result;
use crate::random::{rng, stream};
use crate::validate::{Check, checked_elements};

/// Configuration of the delay task; see the [module docs](self).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DelayConfig {
    /// Number of input (and target) channels `C`.
    pub num_channels: usize,
    /// Number of time steps `T` per sample.
    pub num_steps: usize,
    /// Delay between an input pulse and its target, in steps (`< num_steps`).
    pub delay: usize,
    /// Pulses per sample; at most `(num_steps − delay) · num_channels`.
    pub num_pulses: usize,
    /// Time step, in seconds.
    pub dt: f64,
}

impl Default for DelayConfig {
    fn default() -> Self {
        DelayConfig {
            num_channels: 4,
            num_steps: 100,
            delay: 10,
            num_pulses: 2,
            dt: 1e-3,
        }
    }
}

impl DelayConfig {
    /// Task name used in errors and as the dataset name.
    pub const NAME: &'static str = "delay";

    /// Checks every field.
    ///
    /// # Errors
    /// [`TaskError::Config`](crate::TaskError::Config) naming the first field out of range.
    pub fn validate(&self) -> Result<()> {
        let c = Check(Self::NAME);
        c.at_least("num_channels", self.num_channels, 1)?;
        c.at_least("num_steps", self.num_steps, 1)?;
        c.positive("dt", self.dt)?;
        if self.delay >= self.num_steps {
            return Err(c.error(
                "delay",
                self.delay,
                format!("must be smaller than num_steps = {}", self.num_steps),
            ));
        }
        checked_elements(
            c,
            "num_steps",
            self.num_steps,
            "one sample",
            &[
                ("num_steps", self.num_steps),
                ("num_channels", self.num_channels),
            ],
        )?;
        let slots = (self.num_steps - self.delay) * self.num_channels;
        if self.num_pulses > slots {
            return Err(c.error(
                "num_pulses",
                self.num_pulses,
                format!(
                    "at most (num_steps − delay) · num_channels = {slots} pulses fit at \
                     distinct positions"
                ),
            ));
        }
        Ok(())
    }

    /// Generates `n_samples` samples: `x` `[N, T, C]` (0/1 spikes) and sequence targets
    /// `y` `[N, T, C]` equal to `x` delayed by `delay` steps. The same `seed` (and
    /// configuration) always gives the same dataset.
    ///
    /// # Errors
    /// As [`validate`](Self::validate).
    pub fn generate(&self, n_samples: usize, seed: u64) -> Result<Dataset> {
        self.validate()?;
        checked_elements(
            Check(Self::NAME),
            "n_samples",
            n_samples,
            "x",
            &[
                ("n_samples", n_samples),
                ("num_steps", self.num_steps),
                ("num_channels", self.num_channels),
            ],
        )?;
        let (t_len, c_len, d) = (self.num_steps, self.num_channels, self.delay);
        let slots = (t_len - d) * c_len;
        let mut r = rng(seed, stream::SAMPLES);
        let mut x = Array3::<f32>::zeros((n_samples, t_len, c_len));
        let mut y = Array3::<f32>::zeros((n_samples, t_len, c_len));
        for n in 0..n_samples {
            for slot in rand::seq::index::sample(&mut r, slots, self.num_pulses) {
                let (t, c) = (slot / c_len, slot % c_len);
                x[[n, t, c]] = 1.0;
                y[[n, t + d, c]] = 1.0;
            }
        }
        Dataset::new(x, Targets::Sequence(y), self.dt, Self::NAME)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Axis, s};

    #[test]
    fn targets_are_the_inputs_delayed() {
        for cfg in [
            DelayConfig::default(),
            DelayConfig {
                num_channels: 3,
                num_steps: 20,
                delay: 7,
                num_pulses: 5,
                dt: 2e-3,
            },
            DelayConfig {
                delay: 0,
                ..Default::default()
            },
        ] {
            let d = cfg.generate(64, 9).unwrap();
            let y = d.y.as_sequence().unwrap();
            let (n, t, c) = (64, cfg.num_steps, cfg.num_channels);
            assert_eq!(d.x.dim(), (n, t, c));
            assert_eq!(y.dim(), (n, t, c));
            assert_eq!(d.size_out(), c);
            assert_eq!(d.num_classes, None);
            let dl = cfg.delay;
            // Shift by hand and compare exactly.
            let mut shifted = Array3::<f32>::zeros((n, t, c));
            shifted
                .slice_mut(s![.., dl.., ..])
                .assign(&d.x.slice(s![.., ..t - dl, ..]));
            assert_eq!(&shifted, y);
            // Nothing is lost at the end: every pulse has its target.
            for sample in d.x.axis_iter(Axis(0)) {
                assert_eq!(sample.sum(), cfg.num_pulses as f32);
                assert!(sample.iter().all(|&v| v == 0.0 || v == 1.0));
            }
            assert!(y.slice(s![.., ..dl, ..]).iter().all(|&v| v == 0.0));
        }
    }

    #[test]
    fn pulses_cover_channels_and_times() {
        let cfg = DelayConfig::default();
        let d = cfg.generate(2000, 1).unwrap();
        // 4000 pulses over 4 channels: ~1000 each (sd ≈ 27).
        let per_channel = d.x.sum_axis(Axis(0)).sum_axis(Axis(0));
        assert!(
            per_channel.iter().all(|&v| (v - 1000.0).abs() < 150.0),
            "{per_channel}"
        );
        // Onsets uniform in [0, 90): the mean is ≈ 44.5.
        let mut sum = 0.0;
        for ((_, t, _), &v) in d.x.indexed_iter() {
            sum += t as f64 * f64::from(v);
        }
        let mean = sum / 4000.0;
        assert!((mean - 44.5).abs() < 2.0, "{mean}");
    }

    #[test]
    fn determinism_and_validation() {
        let cfg = DelayConfig::default();
        assert_eq!(cfg.generate(10, 3).unwrap(), cfg.generate(10, 3).unwrap());
        assert_ne!(
            cfg.generate(10, 3).unwrap().x,
            cfg.generate(10, 4).unwrap().x
        );
        let e = DelayConfig {
            delay: 100,
            ..cfg.clone()
        }
        .generate(1, 0)
        .unwrap_err();
        assert!(e.to_string().contains("`delay` = 100"), "{e}");
        let e = DelayConfig {
            num_pulses: 361,
            ..cfg.clone()
        }
        .generate(1, 0)
        .unwrap_err();
        assert!(e.to_string().contains("`num_pulses` = 361"), "{e}");
        assert!(
            DelayConfig {
                num_pulses: 360,
                ..cfg
            }
            .generate(1, 0)
            .is_ok()
        );
    }
}
