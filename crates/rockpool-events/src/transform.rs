//! Event transforms: composable, seeded steps from one [`EventStream`] to another.
//!
//! Each [`Transform`] maps `(events, sensor)` to `(events, sensor)`; [`Compose`] applies a list
//! in order. Randomness comes only from the seed passed to [`Compose::apply`]: step *k* draws
//! from a ChaCha8 generator seeded with that seed on stream *k*, so the same seed gives the
//! same result on every platform, steps draw independently of each other, and appending a step
//! leaves the draws of the earlier ones unchanged. A
//! loader passes [`sample_seed`]`(seed, epoch, index)` to vary augmentation per epoch and
//! sample while keeping runs reproducible.
//!
//! Names follow Tonic where Tonic has the transform; behaviour is specified here (Tonic's code
//! was not consulted). All times are in seconds. Every step keeps the stream sorted by time.
//!
//! In TOML, a step is a table whose `kind` names it (unknown keys are refused):
//!
//! ```
//! use rockpool_events::Compose;
//!
//! #[derive(serde::Deserialize)]
//! struct Config { transforms: Compose }
//!
//! let c: Config = toml::from_str(r#"
//!     transforms = [
//!         { kind = "time_jitter", std = 1e-3 },
//!         { kind = "drop_event", p = 0.1 },
//!         { kind = "downsample", spatial_factor = 0.5 },
//!     ]
//! "#).unwrap();
//! assert_eq!(c.transforms.steps().len(), 3);
//! ```

use rand::seq::index;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::{EventError, Result};
use crate::stream::{EventStream, SensorSize};

/// Largest `width · height` of the per-pixel memory of `denoise` and `refractory_period`.
const MAX_PIXELS: usize = 1 << 26;

/// One event transform. Parameters are in seconds (times) and pixels (coordinates).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Transform {
    /// Adds Gaussian noise of standard deviation `std` (s) to every time, then re-sorts.
    /// With `clip_negative` (the default) events whose time becomes negative are dropped;
    /// without, they are kept (rasters ignore negative times).
    TimeJitter {
        /// Standard deviation (s), `>= 0`.
        std: f64,
        /// Drop events moved before 0 (default true).
        #[serde(default = "yes")]
        clip_negative: bool,
    },
    /// Adds Gaussian noise of standard deviations `std_x`, `std_y` (pixels) to the coordinates
    /// and rounds to the nearest pixel. Events moved off the sensor are dropped with
    /// `clip_outliers` (the default), otherwise clamped to its edge.
    SpatialJitter {
        /// Standard deviation along `x` (pixels), `>= 0`.
        std_x: f64,
        /// Standard deviation along `y` (pixels), `>= 0` (use 0 for one-row sensors).
        #[serde(default)]
        std_y: f64,
        /// Drop events moved off the sensor (default true) instead of clamping them.
        #[serde(default = "yes")]
        clip_outliers: bool,
    },
    /// Drops `round(p · E)` events chosen uniformly at random without replacement.
    DropEvent {
        /// Fraction of events dropped, in `[0, 1]`.
        p: f64,
    },
    /// Scales coordinates and times down: `x ← ⌊x · f_x⌋`, `y ← ⌊y · spatial_factor⌋`,
    /// `t ← t · time_factor`; the sensor becomes `⌈W · f_x⌉ × ⌈H · spatial_factor⌉`.
    /// `f_x = spatial_factor · channel_factor`; `channel_factor` is for one-row sensors
    /// (SHD/SSC units) and must be 1 on others.
    Downsample {
        /// Factor for `x` and `y`, in `(0, 1]` (default 1).
        #[serde(default = "one")]
        spatial_factor: f64,
        /// Factor for the channel (`x`) of one-row sensors, in `(0, 1]` (default 1).
        #[serde(default = "one")]
        channel_factor: f64,
        /// Factor for times, `> 0` (default 1).
        #[serde(default = "one")]
        time_factor: f64,
    },
    /// Drops isolated events: an event is kept only if one of its four neighbouring pixels
    /// (`x ± 1` or `y ± 1`; on one-row sensors `x ± 1`), of any polarity, had an event at most
    /// `filter_time` seconds before it (strictly less than `filter_time` earlier). Every event,
    /// kept or not, updates its pixel's last time.
    Denoise {
        /// Window (s), `> 0`.
        filter_time: f64,
    },
    /// Drops an event when its pixel `(x, y)` (either polarity) had a kept event less than
    /// `period` seconds before.
    RefractoryPeriod {
        /// Refractory period (s), `>= 0`.
        period: f64,
    },
    /// Keeps a `width × height` window at a uniformly random position and shifts it to the
    /// origin; the sensor becomes `width × height`.
    RandomCrop {
        /// Window width (pixels), `1 ..= W`.
        width: usize,
        /// Window height (pixels), `1 ..= H`.
        height: usize,
    },
    /// Keeps events with `min <= t < max` (times unchanged).
    CropTime {
        /// Start (s), default 0.
        #[serde(default)]
        min: f64,
        /// End (s), default: no end.
        #[serde(default)]
        max: Option<f64>,
    },
    /// Sets every polarity to 0; the sensor gets one polarity.
    MergePolarities,
}

fn yes() -> bool {
    true
}

fn one() -> f64 {
    1.0
}

impl Transform {
    /// The snake-case name used in TOML (`kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            Transform::TimeJitter { .. } => "time_jitter",
            Transform::SpatialJitter { .. } => "spatial_jitter",
            Transform::DropEvent { .. } => "drop_event",
            Transform::Downsample { .. } => "downsample",
            Transform::Denoise { .. } => "denoise",
            Transform::RefractoryPeriod { .. } => "refractory_period",
            Transform::RandomCrop { .. } => "random_crop",
            Transform::CropTime { .. } => "crop_time",
            Transform::MergePolarities => "merge_polarities",
        }
    }

    /// Checks the parameters (independent of any sensor).
    pub fn check(&self) -> Result<()> {
        let k = self.kind();
        let nonneg = |field, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(EventError::parameter(
                    k,
                    field,
                    v,
                    "must be finite and >= 0",
                ))
            }
        };
        let unit = |field, v: f64| {
            if v > 0.0 && v <= 1.0 {
                Ok(())
            } else {
                Err(EventError::parameter(k, field, v, "must be in (0, 1]"))
            }
        };
        match *self {
            Transform::TimeJitter { std, .. } => nonneg("std", std),
            Transform::SpatialJitter { std_x, std_y, .. } => {
                nonneg("std_x", std_x)?;
                nonneg("std_y", std_y)
            }
            Transform::DropEvent { p } => {
                if (0.0..=1.0).contains(&p) {
                    Ok(())
                } else {
                    Err(EventError::parameter(k, "p", p, "must be in [0, 1]"))
                }
            }
            Transform::Downsample {
                spatial_factor,
                channel_factor,
                time_factor,
            } => {
                unit("spatial_factor", spatial_factor)?;
                unit("channel_factor", channel_factor)?;
                if time_factor.is_finite() && time_factor > 0.0 {
                    Ok(())
                } else {
                    Err(EventError::parameter(
                        k,
                        "time_factor",
                        time_factor,
                        "must be finite and > 0",
                    ))
                }
            }
            Transform::Denoise { filter_time } => {
                if filter_time.is_finite() && filter_time > 0.0 {
                    Ok(())
                } else {
                    Err(EventError::parameter(
                        k,
                        "filter_time",
                        filter_time,
                        "must be finite and > 0",
                    ))
                }
            }
            Transform::RefractoryPeriod { period } => nonneg("period", period),
            Transform::RandomCrop { width, height } => {
                if width == 0 || height == 0 {
                    Err(EventError::parameter(
                        k,
                        "width/height",
                        format!("{width}/{height}"),
                        "must be >= 1",
                    ))
                } else {
                    Ok(())
                }
            }
            Transform::CropTime { min, max } => {
                if min.is_nan() || max.is_some_and(|m| m.is_nan() || m < min) {
                    Err(EventError::parameter(
                        k,
                        "max",
                        format!("{max:?}"),
                        format!("must be >= min ({min})"),
                    ))
                } else {
                    Ok(())
                }
            }
            Transform::MergePolarities => Ok(()),
        }
    }

    /// The sensor after this step, for events from `sensor`; an error when the step does not
    /// fit the sensor (a crop larger than it, `channel_factor` on a two-dimensional sensor).
    pub fn output_sensor(&self, sensor: SensorSize) -> Result<SensorSize> {
        self.check()?;
        let k = self.kind();
        Ok(match *self {
            Transform::Downsample {
                spatial_factor,
                channel_factor,
                ..
            } => {
                if sensor.height > 1 && channel_factor != 1.0 {
                    return Err(EventError::parameter(
                        k,
                        "channel_factor",
                        channel_factor,
                        format!(
                            "applies to one-row sensors (SHD/SSC); this sensor is {sensor}: use spatial_factor"
                        ),
                    ));
                }
                let fx = spatial_factor * channel_factor;
                SensorSize {
                    width: ((sensor.width as f64 * fx).ceil() as usize).max(1),
                    height: ((sensor.height as f64 * spatial_factor).ceil() as usize).max(1),
                    polarities: sensor.polarities,
                }
            }
            Transform::RandomCrop { width, height } => {
                if width > sensor.width || height > sensor.height {
                    return Err(EventError::parameter(
                        k,
                        "width/height",
                        format!("{width}/{height}"),
                        format!("the window must fit the sensor {sensor}"),
                    ));
                }
                SensorSize {
                    width,
                    height,
                    polarities: sensor.polarities,
                }
            }
            Transform::Denoise { .. } | Transform::RefractoryPeriod { .. } => {
                if sensor.width * sensor.height > MAX_PIXELS {
                    return Err(EventError::parameter(
                        k,
                        "sensor",
                        sensor,
                        format!("more than {MAX_PIXELS} pixels"),
                    ));
                }
                sensor
            }
            Transform::MergePolarities => SensorSize {
                polarities: 1,
                ..sensor
            },
            _ => sensor,
        })
    }

    /// Applies the step to `events` from `sensor`, drawing from `rng`; returns the events and
    /// the new sensor. Events are expected inside the sensor (as readers return them).
    pub fn apply(
        &self,
        mut ev: EventStream,
        sensor: SensorSize,
        rng: &mut ChaCha8Rng,
    ) -> Result<(EventStream, SensorSize)> {
        let out = self.output_sensor(sensor)?;
        check_inside(&ev, sensor, self.kind())?;
        match *self {
            Transform::TimeJitter { std, clip_negative } => {
                for t in ev.t.iter_mut() {
                    *t += std * gaussian(rng);
                }
                if clip_negative {
                    let t = ev.t.clone();
                    ev.retain_indices(|i| t[i] >= 0.0);
                }
                ev.sort_by_time();
            }
            Transform::SpatialJitter {
                std_x,
                std_y,
                clip_outliers,
            } => {
                let mut keep = vec![true; ev.len()];
                for (i, k) in keep.iter_mut().enumerate() {
                    let nx = (ev.x[i] as f64 + std_x * gaussian(rng)).round();
                    let ny = (ev.y[i] as f64 + std_y * gaussian(rng)).round();
                    let (w, h) = (sensor.width as f64, sensor.height as f64);
                    if clip_outliers && (nx < 0.0 || nx >= w || ny < 0.0 || ny >= h) {
                        *k = false;
                    } else {
                        ev.x[i] = nx.clamp(0.0, w - 1.0) as u16;
                        ev.y[i] = ny.clamp(0.0, h - 1.0) as u16;
                    }
                }
                ev.retain_indices(|i| keep[i]);
            }
            Transform::DropEvent { p } => {
                let n = ev.len();
                let drop_n = ((p * n as f64).round() as usize).min(n);
                let mut keep = vec![true; n];
                for i in index::sample(rng, n, drop_n) {
                    keep[i] = false;
                }
                ev.retain_indices(|i| keep[i]);
            }
            Transform::Downsample {
                spatial_factor,
                channel_factor,
                time_factor,
            } => {
                let fx = spatial_factor * channel_factor;
                for i in 0..ev.len() {
                    ev.x[i] = ((ev.x[i] as f64 * fx).floor() as usize).min(out.width - 1) as u16;
                    ev.y[i] = ((ev.y[i] as f64 * spatial_factor).floor() as usize)
                        .min(out.height - 1) as u16;
                    ev.t[i] *= time_factor;
                }
            }
            Transform::Denoise { filter_time } => {
                let (w, h) = (sensor.width, sensor.height);
                let mut last = vec![f64::NEG_INFINITY; w * h];
                let mut keep = vec![false; ev.len()];
                for (i, k) in keep.iter_mut().enumerate() {
                    let (x, y, t) = (ev.x[i] as usize, ev.y[i] as usize, ev.t[i]);
                    let recent = |xx: usize, yy: usize| t - last[xx + w * yy] < filter_time;
                    *k = (x > 0 && recent(x - 1, y))
                        || (x + 1 < w && recent(x + 1, y))
                        || (y > 0 && recent(x, y - 1))
                        || (y + 1 < h && recent(x, y + 1));
                    if x < w && y < h {
                        last[x + w * y] = t;
                    }
                }
                ev.retain_indices(|i| keep[i]);
            }
            Transform::RefractoryPeriod { period } => {
                let w = sensor.width;
                let mut last = vec![f64::NEG_INFINITY; w * sensor.height];
                let mut keep = vec![false; ev.len()];
                for (i, k) in keep.iter_mut().enumerate() {
                    let px = ev.x[i] as usize + w * ev.y[i] as usize;
                    if px < last.len() && ev.t[i] - last[px] >= period {
                        *k = true;
                        last[px] = ev.t[i];
                    }
                }
                ev.retain_indices(|i| keep[i]);
            }
            Transform::RandomCrop { width, height } => {
                let ox = rng.random_range(0..=sensor.width - width) as u16;
                let oy = rng.random_range(0..=sensor.height - height) as u16;
                let (x, y) = (ev.x.clone(), ev.y.clone());
                ev.retain_indices(|i| {
                    x[i] >= ox
                        && ((x[i] - ox) as usize) < width
                        && y[i] >= oy
                        && ((y[i] - oy) as usize) < height
                });
                ev.x.iter_mut().for_each(|x| *x -= ox);
                ev.y.iter_mut().for_each(|y| *y -= oy);
            }
            Transform::CropTime { min, max } => {
                let t = ev.t.clone();
                let max = max.unwrap_or(f64::INFINITY);
                ev.retain_indices(|i| t[i] >= min && t[i] < max);
            }
            Transform::MergePolarities => ev.p.iter_mut().for_each(|p| *p = 0),
        }
        Ok((ev, out))
    }
}

/// Refuses events outside `sensor` (a stream that was not validated).
pub(crate) fn check_inside(ev: &EventStream, sensor: SensorSize, who: &'static str) -> Result<()> {
    let bad = (0..ev.len()).find(|&i| {
        ev.x[i] as usize >= sensor.width
            || ev.y[i] as usize >= sensor.height
            || ev.p[i] as usize >= sensor.polarities
    });
    if let Some(i) = bad {
        return Err(EventError::parameter(
            who,
            "events",
            format!(
                "event {i} at (x, y, p) = ({}, {}, {})",
                ev.x[i], ev.y[i], ev.p[i]
            ),
            format!("outside the sensor {sensor}"),
        ));
    }
    Ok(())
}

/// A standard normal draw (Box–Muller; one of the pair is used).
fn gaussian(rng: &mut ChaCha8Rng) -> f64 {
    let u1 = 1.0 - rng.random::<f64>(); // (0, 1]
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A list of transforms applied in order; deserialises from a TOML/serde list of
/// [`Transform`] tables, checking every step's parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Transform>", into = "Vec<Transform>")]
pub struct Compose {
    steps: Vec<Transform>,
}

impl TryFrom<Vec<Transform>> for Compose {
    type Error = EventError;

    fn try_from(steps: Vec<Transform>) -> Result<Self> {
        Compose::new(steps)
    }
}

impl From<Compose> for Vec<Transform> {
    fn from(c: Compose) -> Self {
        c.steps
    }
}

impl Compose {
    /// The steps, checked ([`Transform::check`]).
    pub fn new(steps: Vec<Transform>) -> Result<Self> {
        for s in &steps {
            s.check()?;
        }
        Ok(Compose { steps })
    }

    /// The steps in order.
    pub fn steps(&self) -> &[Transform] {
        &self.steps
    }

    /// The sensor after all steps, for events from `sensor`.
    pub fn output_sensor(&self, sensor: SensorSize) -> Result<SensorSize> {
        self.steps
            .iter()
            .try_fold(sensor, |s, step| step.output_sensor(s))
    }

    /// Applies every step in order. Step `k` draws from ChaCha8 seeded with `seed`, stream `k`:
    /// the same `(events, sensor, seed)` give the same result everywhere.
    pub fn apply(
        &self,
        events: EventStream,
        sensor: SensorSize,
        seed: u64,
    ) -> Result<(EventStream, SensorSize)> {
        let mut state = (events, sensor);
        for (k, step) in self.steps.iter().enumerate() {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(k as u64);
            state = step.apply(state.0, state.1, &mut rng)?;
        }
        Ok(state)
    }
}

/// A seed for sample `index` in epoch `epoch` of a run seeded with `seed`: SplitMix64 finalisers
/// chained over the three numbers, so neighbouring `(epoch, index)` pairs get unrelated seeds.
pub fn sample_seed(seed: u64, epoch: u64, index: u64) -> u64 {
    fn mix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    mix(mix(mix(seed) ^ epoch) ^ index)
}
