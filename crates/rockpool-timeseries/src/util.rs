//! Small helpers shared by both kinds of series: time checks, tolerances, periodic tiling.

use crate::error::{Result, TimeSeriesError, finite};

/// Absolute tolerance (seconds) when snapping `t_start`/`t_stop` or sample times to a limit.
pub(crate) const TOLERANCE_ABSOLUTE: f64 = 1e-9;
/// Tolerance relative to a series' duration when snapping sample times to its limits.
pub(crate) const TOLERANCE_RELATIVE: f64 = 1e-6;
/// The largest number of rows (or cells) a raster or clocked grid may have: guards against
/// `dt = 1e-300` and the like, which would otherwise exhaust memory.
pub(crate) const MAX_STEPS: usize = 1 << 32;
/// The largest channel index (and channel count) an event series may use.
pub(crate) const MAX_CHANNEL: usize = u32::MAX as usize;

/// Checks that a channel index or count is at most [`MAX_CHANNEL`].
pub(crate) fn check_channel(channel: usize) -> Result<usize> {
    if channel > MAX_CHANNEL {
        Err(TimeSeriesError::ChannelTooLarge {
            channel,
            limit: MAX_CHANNEL,
        })
    } else {
        Ok(channel)
    }
}

/// Checks that every time is finite and that the times never decrease.
pub(crate) fn check_times(times: &[f64]) -> Result<()> {
    for (index, &time) in times.iter().enumerate() {
        finite(&format!("time at index {index}"), time)?;
        if index > 0 && time < times[index - 1] {
            return Err(TimeSeriesError::UnsortedTimes {
                index,
                previous: times[index - 1],
                time,
            });
        }
    }
    Ok(())
}

/// Checks that a time step is positive and finite.
pub(crate) fn check_dt(dt: f64) -> Result<f64> {
    if dt > 0.0 && dt.is_finite() {
        Ok(dt)
    } else {
        Err(TimeSeriesError::InvalidDt { dt })
    }
}

/// Checks that `t_start <= t_stop` (both finite).
pub(crate) fn check_window(t_start: f64, t_stop: f64) -> Result<()> {
    finite("t_start", t_start)?;
    finite("t_stop", t_stop)?;
    if t_start > t_stop {
        Err(TimeSeriesError::TStartAfterTStop { t_start, t_stop })
    } else {
        Ok(())
    }
}

/// Number of `dt` steps covering `duration`: `ceil(duration / dt)`, bounded by [`MAX_STEPS`].
pub(crate) fn num_steps(duration: f64, dt: f64) -> Result<usize> {
    let steps = (duration / dt).ceil().max(0.0);
    if steps > MAX_STEPS as f64 {
        return Err(TimeSeriesError::TooManySteps {
            steps,
            dt,
            duration,
            limit: MAX_STEPS,
        });
    }
    Ok(steps as usize)
}

/// Median of the intervals between consecutive times (NumPy's median: the mean of the two
/// middle values for an even count); 0 when there are fewer than two times.
pub(crate) fn median_interval(times: &[f64]) -> f64 {
    if times.len() < 2 {
        return 0.0;
    }
    let mut diffs: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    diffs.sort_by(f64::total_cmp);
    let n = diffs.len();
    if n % 2 == 1 {
        diffs[n / 2]
    } else {
        (diffs[n / 2 - 1] + diffs[n / 2]) / 2.0
    }
}

/// Indices that sort `times` ascending, keeping the original order among equal times.
pub(crate) fn stable_order(times: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..times.len()).collect();
    order.sort_by(|&a, &b| times[a].total_cmp(&times[b]));
    order
}

/// Maps a time onto one period `[t_start, t_start + period)`: `t_start + (t - t_start) mod
/// period`, with the modulo taking the sign of the period (Python's `%`).
pub(crate) fn wrap_periodic(t: f64, t_start: f64, period: f64) -> f64 {
    t_start + (t - t_start).rem_euclid(period)
}

/// Repeats the times of one period `[t_start, t_start + period)` over `[from, to]` (or
/// `[from, to)` when `include_to` is false): returns `(times[i] + k * period, i)` pairs in
/// ascending time, ties in period order then index order.
pub(crate) fn tile_periodic(
    times: &[f64],
    t_start: f64,
    period: f64,
    from: f64,
    to: f64,
    include_to: bool,
) -> Vec<(f64, usize)> {
    if times.is_empty() || period <= 0.0 || from > to {
        return Vec::new();
    }
    // Periods whose copies may overlap the window; one extra either side absorbs rounding.
    let k_first = ((from - t_start) / period).floor() as i64 - 1;
    let k_last = ((to - t_start) / period).ceil() as i64 + 1;
    let mut out = Vec::new();
    for k in k_first..=k_last {
        let shift = k as f64 * period;
        for (i, &t) in times.iter().enumerate() {
            let tiled = t + shift;
            let inside = tiled >= from && (tiled < to || (include_to && tiled == to));
            if inside {
                out.push((tiled, i));
            }
        }
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out
}

/// Snaps `t` to `first`/`last` when it lies within `tolerance` outside them.
pub(crate) fn snap(t: f64, first: f64, last: f64, tolerance: f64) -> f64 {
    if t < first && t >= first - tolerance {
        first
    } else if t > last && t <= last + tolerance {
        last
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_matches_numpy() {
        assert_eq!(median_interval(&[0.0, 1.0, 2.0, 4.0]), 1.0);
        assert_eq!(median_interval(&[0.0, 0.1, 0.3]), (0.1 + (0.3 - 0.1)) / 2.0);
        assert_eq!(median_interval(&[5.0]), 0.0);
    }

    #[test]
    fn wrap_is_python_modulo() {
        assert_eq!(wrap_periodic(-1.0, 0.0, 4.0), 3.0);
        assert_eq!(wrap_periodic(4.0, 0.0, 4.0), 0.0);
        assert_eq!(wrap_periodic(5.5, 1.0, 2.0), 1.5);
    }

    #[test]
    fn tiling_is_half_open_unless_asked() {
        let tiled = tile_periodic(&[0.0, 0.5], 0.0, 1.0, 0.0, 2.0, false);
        let times: Vec<f64> = tiled.iter().map(|p| p.0).collect();
        assert_eq!(times, vec![0.0, 0.5, 1.0, 1.5]);
        let tiled = tile_periodic(&[0.0, 0.5], 0.0, 1.0, 0.0, 2.0, true);
        assert_eq!(tiled.len(), 5);
    }

    #[test]
    fn steps_are_bounded() {
        assert_eq!(num_steps(1.0, 0.3).unwrap(), 4);
        assert!(num_steps(1.0, 1e-300).is_err());
    }
}
