//! Resampling to a front end's rate, by the rule Rockpool's front ends use.
//!
//! A signal of `N` samples at `fs_in` Hz is read at the instants `t_out = k / fs_out` for
//! `k = 0, 1, …` while `t_out < (N − 1) / fs_in` (numpy's float-step `arange`, so the last input
//! instant itself is excluded and the length is `ceil(((N − 1)/fs_in) / (1/fs_out))` in float64),
//! by linear interpolation between the input samples at `t_in = n / fs_in` (numpy's `interp`).
//! For example 9600 samples at 16 kHz become 29294 at 48828.125 Hz, and 2000 at 44.1 kHz
//! become 2214.

/// The most samples a resampled signal may have (2²⁷, 45 minutes at 48828.125 Hz, 86 s at
/// 1.5625 MHz): a sample rate far below the front end's (a damaged WAV header claiming 1 Hz)
/// would otherwise ask for gigabytes.
pub const MAX_RESAMPLED_LEN: usize = 1 << 27;

/// [`resample`] for front-end block `module`, refusing a non-positive or non-finite `fs_in` and
/// an output longer than [`MAX_RESAMPLED_LEN`] with an error naming both rates.
pub fn resample_checked(
    module: &str,
    x: &[f64],
    fs_in: f64,
    fs_out: f64,
) -> crate::Result<Vec<f64>> {
    if !(fs_in.is_finite() && fs_in > 0.0) {
        return Err(crate::error::input_error(
            module,
            format!("sample rate {fs_in} Hz is not a positive number"),
        ));
    }
    let len = (x.len().saturating_sub(1) as f64 / fs_in * fs_out).ceil();
    if len > MAX_RESAMPLED_LEN as f64 {
        return Err(crate::error::input_error(
            module,
            format!(
                "{} samples at {fs_in} Hz resample to {len:e} samples at {fs_out} Hz, more than \
                 the {MAX_RESAMPLED_LEN} allowed (is the sample rate right?)",
                x.len()
            ),
        ));
    }
    Ok(resample(x, fs_in, fs_out))
}

/// The number of samples [`resample`] returns for `n` input samples.
pub fn resampled_len(n: usize, fs_in: f64, fs_out: f64) -> usize {
    if n < 2 {
        return 0;
    }
    let stop = (n - 1) as f64 / fs_in;
    let step = 1.0 / fs_out;
    let len = (stop / step).ceil();
    if len <= 0.0 { 0 } else { len as usize }
}

/// Resamples `x` (sampled at `fs_in` Hz) to `fs_out` Hz: see the module documentation.
/// With `fs_in == fs_out` the input is returned unchanged (Rockpool does not resample then).
pub fn resample(x: &[f64], fs_in: f64, fs_out: f64) -> Vec<f64> {
    if fs_in == fs_out {
        return x.to_vec();
    }
    let n = x.len();
    let len = resampled_len(n, fs_in, fs_out);
    let step = 1.0 / fs_out;
    let t_in = |i: usize| i as f64 / fs_in;
    let last = t_in(n.saturating_sub(1));
    let mut out = Vec::with_capacity(len);
    // The interval [x0, x1) = [t_in(j), t_in(j+1)) holding t and its slope, recomputed only
    // when j moves (t grows, so j only moves forward); the values are those of `np.interp`.
    let mut j = 0usize;
    let (mut x0, mut x1) = (t_in(0), t_in(1));
    let mut slope = if n > 1 {
        (x[1] - x[0]) / (x1 - x0)
    } else {
        0.0
    };
    for k in 0..len {
        let t = k as f64 * step;
        if t >= last {
            out.push(x[n - 1]);
            continue;
        }
        if x1 <= t {
            while j + 1 < n && t_in(j + 1) <= t {
                j += 1;
            }
            x0 = t_in(j);
            x1 = t_in(j + 1);
            slope = (x[j + 1] - x[j]) / (x1 - x0);
        }
        if t == x0 {
            out.push(x[j]);
        } else {
            out.push(slope * (t - x0) + x[j]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_match_rockpool_examples() {
        assert_eq!(resampled_len(9600, 16000.0, 48828.125), 29294);
        assert_eq!(resampled_len(2000, 44100.0, 48828.125), 2214);
        assert_eq!(resample(&[1.0, 2.0, 3.0], 10.0, 10.0), vec![1.0, 2.0, 3.0]);
    }

    #[test]
    fn absurd_rates_are_refused_before_allocating() {
        let x = vec![0.0; 10_000];
        let e = resample_checked("M", &x, 1.0, 48828.125)
            .unwrap_err()
            .to_string();
        assert!(e.contains("more than") && e.contains("1 Hz"), "{e}");
        assert!(resample_checked("M", &x, 0.0, 48828.125).is_err());
        assert!(resample_checked("M", &x, f64::NAN, 48828.125).is_err());
        assert_eq!(
            resample_checked("M", &x, 16000.0, 48828.125).unwrap().len(),
            resampled_len(10_000, 16000.0, 48828.125)
        );
    }

    #[test]
    fn linear_interpolation_between_samples() {
        // A ramp stays a ramp: x(t) = t · fs_in at any instant.
        let x: Vec<f64> = (0..100).map(|i| i as f64).collect();
        let y = resample(&x, 1000.0, 3000.0);
        assert_eq!(y.len(), resampled_len(100, 1000.0, 3000.0));
        for (k, v) in y.iter().enumerate() {
            let want = k as f64 / 3000.0 * 1000.0;
            assert!((v - want).abs() < 1e-9, "{k}: {v} vs {want}");
        }
    }
}
