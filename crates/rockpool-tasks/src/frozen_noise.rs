//! Frozen-noise spike-pattern classification.
//!
//! Each of `K` classes is one fixed ("frozen") random spike pattern over `C` channels and `T`
//! steps of `dt` seconds: every bin holds a Poisson count with mean `rate · dt`. The patterns
//! depend only on `pattern_seed`, so datasets generated with different sample seeds (a
//! training and a validation set) share them.
//!
//! A sample of class `k` is pattern `k` corrupted three ways, in this order:
//! 1. every spike is deleted with probability `p_drop`;
//! 2. every surviving spike moves by a uniform random whole number of steps in
//!    `[-jitter, +jitter]`; spikes moved outside `[0, T)` are lost;
//! 3. background spikes are added: a Poisson count with mean `noise_rate · dt` in every bin.
//!
//! Counts are then capped at `max_spikes_per_step` (15, Xylo's input limit). Labels are
//! balanced (class counts differ by at most one) and in random order.
//!
//! The network must tell the patterns apart from the timing and channel of their spikes, with
//! the corruption making exact matching impossible: the classic test of a spiking classifier
//! (e.g. Gütig & Sompolinsky's tempotron tasks).

use ndarray::Array3;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::dataset::{Dataset, Targets};
use crate::error::Result;
use crate::random::{Poisson, TaskRng, balanced_labels, rng, stream};
use crate::validate::{Check, MAX_SPIKES_PER_STEP, checked_elements};

/// Configuration of the frozen-noise classification task; see the [module docs](self).
///
/// Defaults make a quick CPU demo: 4 classes, 16 channels (Xylo's input count), 100 steps of
/// 1 ms, patterns at 40 Hz (about 64 spikes each), ±1 step jitter, 10 % deletion and 2 Hz
/// background noise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[doc(alias = "FrozenNoise")]
pub struct FrozenNoiseConfig {
    /// Number of classes `K` (one frozen pattern each).
    pub num_classes: usize,
    /// Number of input channels `C`.
    pub num_channels: usize,
    /// Number of time steps `T` per sample.
    pub num_steps: usize,
    /// Time step, in seconds.
    pub dt: f64,
    /// Mean firing rate of a pattern channel, in Hz (spikes per second).
    pub rate: f64,
    /// Largest spike-time jitter, in steps: each spike moves by a uniform offset in
    /// `[-jitter, +jitter]`.
    pub jitter: usize,
    /// Probability in `[0, 1)` that each pattern spike is deleted.
    pub p_drop: f64,
    /// Rate of added background spikes per channel, in Hz.
    pub noise_rate: f64,
    /// Cap on the spike count of one channel in one step (Xylo's input limit is 15).
    pub max_spikes_per_step: u32,
    /// Seed of the frozen class patterns (independent of the per-sample seed).
    pub pattern_seed: u64,
}

impl Default for FrozenNoiseConfig {
    fn default() -> Self {
        FrozenNoiseConfig {
            num_classes: 4,
            num_channels: 16,
            num_steps: 100,
            dt: 1e-3,
            rate: 40.0,
            jitter: 1,
            p_drop: 0.1,
            noise_rate: 2.0,
            max_spikes_per_step: 15,
            pattern_seed: 0,
        }
    }
}

impl FrozenNoiseConfig {
    /// Task name used in errors and as the dataset name.
    pub const NAME: &'static str = "frozen_noise";

    /// Checks every field.
    ///
    /// # Errors
    /// [`TaskError::Config`](crate::TaskError::Config) naming the first field out of range.
    pub fn validate(&self) -> Result<()> {
        let c = Check(Self::NAME);
        c.at_least("num_classes", self.num_classes, 1)?;
        c.at_least("num_channels", self.num_channels, 1)?;
        c.at_least("num_steps", self.num_steps, 1)?;
        c.positive("dt", self.dt)?;
        c.positive("rate", self.rate)?;
        c.non_negative("noise_rate", self.noise_rate)?;
        c.probability_below_one("p_drop", self.p_drop)?;
        if self.jitter >= self.num_steps {
            return Err(c.error(
                "jitter",
                self.jitter,
                format!(
                    "the jitter must be smaller than num_steps = {}",
                    self.num_steps
                ),
            ));
        }
        c.at_least("max_spikes_per_step", self.max_spikes_per_step, 1)?;
        c.at_most(
            "max_spikes_per_step",
            self.max_spikes_per_step,
            MAX_SPIKES_PER_STEP,
        )?;
        // Spikes are drawn one by one: a mean of thousands per step would never finish.
        for (field, rate) in [("rate", self.rate), ("noise_rate", self.noise_rate)] {
            if rate * self.dt > MAX_SPIKES_PER_STEP as f64 {
                return Err(c.error(
                    field,
                    rate,
                    format!(
                        "{field} × dt = {} spikes per step on average, more than \
                         {MAX_SPIKES_PER_STEP}",
                        rate * self.dt
                    ),
                ));
            }
        }
        checked_elements(
            c,
            "num_steps",
            self.num_steps,
            "the class patterns",
            &[
                ("num_classes", self.num_classes),
                ("num_steps", self.num_steps),
                ("num_channels", self.num_channels),
            ],
        )?;
        Ok(())
    }

    /// The frozen class patterns, `[K, T, C]` spike counts, fixed by `pattern_seed`.
    ///
    /// # Errors
    /// As [`validate`](Self::validate).
    pub fn patterns(&self) -> Result<Array3<f32>> {
        self.validate()?;
        let mut r = rng(self.pattern_seed, stream::PATTERNS);
        let poisson = Poisson::new(self.rate * self.dt);
        let cap = self.max_spikes_per_step;
        Ok(Array3::from_shape_simple_fn(
            (self.num_classes, self.num_steps, self.num_channels),
            || poisson.sample(&mut r).min(cap) as f32,
        ))
    }

    /// Generates `n_samples` samples: `x` `[N, T, C]` spike counts, `y` class labels `[N]`.
    /// The same `seed` (and configuration) always gives the same dataset.
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
        let patterns = self.patterns()?;
        let (k, t_len, c_len) = patterns.dim();
        let mut r = rng(seed, stream::SAMPLES);
        let labels = balanced_labels(&mut r, n_samples, k);
        let mut x = Array3::<f32>::zeros((n_samples, t_len, c_len));
        let noise = Poisson::new(self.noise_rate * self.dt);
        let cap = self.max_spikes_per_step as f32;
        for (n, &label) in labels.iter().enumerate() {
            for ((t, c), &count) in patterns.slice(ndarray::s![label, .., ..]).indexed_iter() {
                for _ in 0..count as u32 {
                    if let Some(t_new) = self.corrupt_spike(&mut r, t, t_len) {
                        x[[n, t_new, c]] += 1.0;
                    }
                }
            }
            if self.noise_rate > 0.0 {
                for v in x.slice_mut(ndarray::s![n, .., ..]) {
                    *v = (*v + noise.sample(&mut r) as f32).min(cap);
                }
            } else {
                x.slice_mut(ndarray::s![n, .., ..])
                    .mapv_inplace(|v| v.min(cap));
            }
        }
        let names = (0..k).map(|i| format!("pattern_{i}")).collect();
        Dataset::new(x, Targets::Class(labels), self.dt, Self::NAME)?.with_class_names(names)
    }

    /// Where a pattern spike at step `t` lands after deletion and jitter, if it survives.
    fn corrupt_spike(&self, r: &mut TaskRng, t: usize, t_len: usize) -> Option<usize> {
        if self.p_drop > 0.0 && r.random::<f64>() < self.p_drop {
            return None;
        }
        let j = self.jitter as i64;
        let t_new = t as i64 + if j > 0 { r.random_range(-j..=j) } else { 0 };
        (0..t_len as i64).contains(&t_new).then_some(t_new as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, Axis, s};

    #[test]
    fn shapes_balance_and_determinism() {
        let cfg = FrozenNoiseConfig::default();
        let d = cfg.generate(202, 11).unwrap();
        assert_eq!(d.x.dim(), (202, 100, 16));
        assert_eq!(d.size_in(), 16);
        assert_eq!(d.size_out(), 4);
        assert_eq!(d.class_names[3], "pattern_3");
        let counts = d.class_counts().unwrap();
        assert_eq!(counts.iter().sum::<usize>(), 202);
        assert!(counts.iter().all(|&c| c == 50 || c == 51), "{counts:?}");
        assert_eq!(cfg.generate(202, 11).unwrap(), d);
        assert_ne!(cfg.generate(202, 12).unwrap().x, d.x);
        // Patterns depend on pattern_seed only.
        let other = FrozenNoiseConfig {
            pattern_seed: 1,
            ..cfg.clone()
        };
        assert_ne!(other.patterns().unwrap(), cfg.patterns().unwrap());
        assert!(
            d.x.iter()
                .all(|&v| (0.0..=15.0).contains(&v) && v.fract() == 0.0)
        );
    }

    #[test]
    fn pattern_rate_matches_config() {
        let cfg = FrozenNoiseConfig {
            num_steps: 1000,
            num_classes: 8,
            ..Default::default()
        };
        let p = cfg.patterns().unwrap();
        // Expected spikes: K·T·C·rate·dt = 8·1000·16·0.04 = 5120; Poisson sd ≈ 72.
        let total = p.sum();
        assert!((total - 5120.0).abs() < 300.0, "{total}");
    }

    #[test]
    fn without_corruption_samples_equal_their_pattern() {
        let cfg = FrozenNoiseConfig {
            jitter: 0,
            p_drop: 0.0,
            noise_rate: 0.0,
            ..Default::default()
        };
        let p = cfg.patterns().unwrap();
        let d = cfg.generate(20, 3).unwrap();
        for (n, &l) in d.y.as_class().unwrap().iter().enumerate() {
            assert_eq!(d.x.index_axis(Axis(0), n), p.index_axis(Axis(0), l));
        }
    }

    #[test]
    fn deletion_and_noise_change_spike_counts_as_expected() {
        let cfg = FrozenNoiseConfig {
            jitter: 0,
            p_drop: 0.5,
            noise_rate: 10.0,
            ..Default::default()
        };
        let p = cfg.patterns().unwrap();
        let n = 400;
        let d = cfg.generate(n, 4).unwrap();
        let labels = d.y.as_class().unwrap();
        let pattern_spikes: f32 = labels.iter().map(|&l| p.index_axis(Axis(0), l).sum()).sum();
        // Expected: half the pattern spikes survive, plus 10 Hz · 0.1 s · 16 channels = 16
        // background spikes per sample.
        let expected = 0.5 * pattern_spikes + 16.0 * n as f32;
        let got = d.x.sum();
        assert!(
            (got / expected - 1.0).abs() < 0.03,
            "got {got}, expected {expected}"
        );
    }

    /// Spike counts smoothed over ±`half` steps, flattened, then normalised to zero mean and
    /// unit norm: the correlation of two of these is a jitter-tolerant similarity.
    fn normalised_profile(a: ndarray::ArrayView2<f32>, half: usize) -> Vec<f64> {
        let (t_len, c_len) = a.dim();
        let smooth = Array2::from_shape_fn((t_len, c_len), |(t, c)| {
            let lo = t.saturating_sub(half);
            let hi = (t + half + 1).min(t_len);
            f64::from(a.slice(s![lo..hi, c]).sum())
        });
        let mean = smooth.mean().unwrap();
        let centred: Vec<f64> = smooth.iter().map(|v| v - mean).collect();
        let norm = centred.iter().map(|v| v * v).sum::<f64>().sqrt();
        centred.iter().map(|v| v / norm).collect()
    }

    #[test]
    fn samples_are_closest_to_their_own_pattern() {
        let cfg = FrozenNoiseConfig::default();
        let p = cfg.patterns().unwrap();
        let d = cfg.generate(200, 21).unwrap();
        let profiles: Vec<Vec<f64>> = p
            .axis_iter(Axis(0))
            .map(|a| normalised_profile(a, 1))
            .collect();
        let mut correct = 0;
        let mut own_sum = 0.0;
        for (n, &label) in d.y.as_class().unwrap().iter().enumerate() {
            let s = normalised_profile(d.x.index_axis(Axis(0), n), 1);
            let corr: Vec<f64> = profiles
                .iter()
                .map(|q| q.iter().zip(&s).map(|(a, b)| a * b).sum())
                .collect();
            let best = (0..corr.len())
                .max_by(|&a, &b| corr[a].total_cmp(&corr[b]))
                .unwrap();
            correct += usize::from(best == label);
            own_sum += corr[label];
        }
        assert_eq!(
            correct, 200,
            "every sample should match its own pattern best"
        );
        // Own-pattern correlation stays high despite the corruption.
        assert!(
            own_sum / 200.0 > 0.5,
            "mean own correlation {}",
            own_sum / 200.0
        );
    }

    #[test]
    fn validation_names_the_field() {
        let bad = |cfg: FrozenNoiseConfig, field: &str| {
            let e = cfg.generate(1, 0).unwrap_err().to_string();
            assert!(e.contains(&format!("`{field}`")), "{e}");
            assert!(e.starts_with("frozen_noise task"), "{e}");
        };
        let d = FrozenNoiseConfig::default;
        bad(
            FrozenNoiseConfig {
                num_classes: 0,
                ..d()
            },
            "num_classes",
        );
        bad(FrozenNoiseConfig { dt: -1.0, ..d() }, "dt");
        bad(
            FrozenNoiseConfig {
                rate: f64::NAN,
                ..d()
            },
            "rate",
        );
        bad(FrozenNoiseConfig { p_drop: 1.0, ..d() }, "p_drop");
        bad(FrozenNoiseConfig { jitter: 100, ..d() }, "jitter");
        bad(
            FrozenNoiseConfig {
                noise_rate: -2.0,
                ..d()
            },
            "noise_rate",
        );
        bad(
            FrozenNoiseConfig {
                max_spikes_per_step: 0,
                ..d()
            },
            "max_spikes_per_step",
        );
    }
}
