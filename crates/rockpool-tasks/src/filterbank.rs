//! A band-pass filter bank and envelope extraction, as in an audio front end (Xylo Audio's
//! analog front end has 16 such channels).
//!
//! Each channel is a second-order band-pass section: the bilinear transform (with the centre
//! frequency pre-warped) of the analog band-pass
//!
//! ```text
//! H(s) = (ω₀/Q) s / (s² + (ω₀/Q) s + ω₀²)
//! ```
//!
//! which is the first-order Butterworth low-pass prototype moved to band-pass, i.e.
//! `scipy.signal.butter(1, [f_lo, f_hi], "bandpass")` with `√(f_lo·f_hi)` = centre and
//! `f_hi − f_lo` = centre / Q (in the pre-warped domain). With `t = tan(π f_c / f_s)`:
//!
//! ```text
//! a₀ = 1 + t/Q + t²
//! b = [t/Q, 0, −t/Q] / a₀        a = [1, 2(t² − 1)/a₀, (1 − t/Q + t²)/a₀]
//! ```
//!
//! The gain is exactly 1 (0 dB) at the centre frequency and `1/√2` (−3 dB) at the two edges
//! where the pre-warped frequency `Ω = tan(π f / f_s)` satisfies `|Ω² − Ω₀²| = Ω Ω₀ / Q`; these
//! are the same coefficients as the "constant 0 dB peak gain" band-pass of R. Bristow-Johnson's
//! Audio EQ Cookbook.
//!
//! [`envelope`] rectifies each band (scaled by π/2, so a sine of amplitude `A` has envelope
//! `A`) and smooths it with a second-order Butterworth low-pass; [`downsample_mean`] averages
//! blocks of samples down to the network's time step.

use ndarray::{Array2, ArrayView2, Axis};

use crate::error::{Result, TaskError};

/// One second-order IIR section (biquad): `y[n] = b₀x[n] + b₁x[n−1] + b₂x[n−2] − a₁y[n−1] −
/// a₂y[n−2]`, with `a₀ = 1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Biquad {
    /// Feed-forward coefficients `[b₀, b₁, b₂]`.
    pub b: [f64; 3],
    /// Feedback coefficients `[1, a₁, a₂]`.
    pub a: [f64; 3],
}

impl Biquad {
    /// The band-pass section of the [module docs](self): unit gain at `centre` Hz, bandwidth
    /// `centre / q` Hz (between the −3 dB points, in the pre-warped domain), at sampling rate
    /// `fs` Hz.
    ///
    /// # Errors
    /// [`TaskError::Argument`] if `fs` or `q` is not positive and finite, or `centre` is not in
    /// `(0, fs/2)`.
    pub fn band_pass(centre: f64, q: f64, fs: f64) -> Result<Biquad> {
        check_rate(fs)?;
        check_frequency("centre", centre, fs)?;
        if !(q.is_finite() && q > 0.0) {
            return Err(TaskError::Argument {
                name: "q",
                value: q.to_string(),
                reason: "the quality factor (centre / bandwidth) must be positive and finite"
                    .into(),
            });
        }
        let t = (std::f64::consts::PI * centre / fs).tan();
        let a0 = 1.0 + t / q + t * t;
        let b0 = t / q / a0;
        Ok(Biquad {
            b: [b0, 0.0, -b0],
            a: [1.0, 2.0 * (t * t - 1.0) / a0, (1.0 - t / q + t * t) / a0],
        })
    }

    /// A second-order Butterworth low-pass with −3 dB point at `cutoff` Hz (pre-warped, so
    /// exact) and unit gain at DC, at sampling rate `fs` Hz.
    ///
    /// # Errors
    /// [`TaskError::Argument`] if `fs` is not positive and finite or `cutoff` is not in
    /// `(0, fs/2)`.
    pub fn low_pass(cutoff: f64, fs: f64) -> Result<Biquad> {
        check_rate(fs)?;
        check_frequency("cutoff", cutoff, fs)?;
        let t = (std::f64::consts::PI * cutoff / fs).tan();
        let s2 = std::f64::consts::SQRT_2;
        let a0 = 1.0 + s2 * t + t * t;
        let b0 = t * t / a0;
        Ok(Biquad {
            b: [b0, 2.0 * b0, b0],
            a: [1.0, 2.0 * (t * t - 1.0) / a0, (1.0 - s2 * t + t * t) / a0],
        })
    }

    /// Magnitude of the frequency response at `freq` Hz for sampling rate `fs` Hz:
    /// `|B(e^{jω})| / |A(e^{jω})|` with `ω = 2π·freq/fs`.
    pub fn gain(&self, freq: f64, fs: f64) -> f64 {
        let w = std::f64::consts::TAU * freq / fs;
        let poly = |c: &[f64; 3]| {
            // c₀ + c₁e^{−jω} + c₂e^{−2jω}
            let re = c[0] + c[1] * w.cos() + c[2] * (2.0 * w).cos();
            let im = -c[1] * w.sin() - c[2] * (2.0 * w).sin();
            re.hypot(im)
        };
        poly(&self.b) / poly(&self.a)
    }

    /// Filters `signal` from rest (zero initial state); the output has the same length.
    pub fn filter(&self, signal: &[f32]) -> Vec<f32> {
        let mut state = [0.0; 2];
        signal
            .iter()
            .map(|&x| self.step(&mut state, f64::from(x)) as f32)
            .collect()
    }

    /// One step of the transposed direct form II, which keeps two state values.
    #[inline]
    fn step(&self, s: &mut [f64; 2], x: f64) -> f64 {
        let y = self.b[0] * x + s[0];
        s[0] = self.b[1] * x - self.a[1] * y + s[1];
        s[1] = self.b[2] * x - self.a[2] * y;
        y
    }
}

fn check_rate(fs: f64) -> Result<()> {
    if fs.is_finite() && fs > 0.0 {
        Ok(())
    } else {
        Err(TaskError::Argument {
            name: "fs",
            value: fs.to_string(),
            reason: "the sampling rate must be a positive, finite number of Hz".into(),
        })
    }
}

fn check_frequency(name: &'static str, f: f64, fs: f64) -> Result<()> {
    if f > 0.0 && f < fs / 2.0 {
        Ok(())
    } else {
        Err(TaskError::Argument {
            name,
            value: f.to_string(),
            reason: format!(
                "must lie strictly between 0 and the Nyquist frequency {} Hz",
                fs / 2.0
            ),
        })
    }
}

/// A bank of band-pass [`Biquad`]s sharing one quality factor, one per channel.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterBank {
    centres: Vec<f64>,
    q: f64,
    fs: f64,
    filters: Vec<Biquad>,
}

impl FilterBank {
    /// One band-pass channel per entry of `centres` (Hz), each with quality factor `q`
    /// (centre / bandwidth), at sampling rate `fs` Hz.
    ///
    /// # Errors
    /// As [`Biquad::band_pass`], and [`TaskError::Argument`] if `centres` is empty.
    pub fn new(centres: &[f64], q: f64, fs: f64) -> Result<FilterBank> {
        if centres.is_empty() {
            return Err(TaskError::Argument {
                name: "centres",
                value: "[]".into(),
                reason: "a filter bank needs at least one channel".into(),
            });
        }
        let filters = centres
            .iter()
            .map(|&c| Biquad::band_pass(c, q, fs))
            .collect::<Result<_>>()?;
        Ok(FilterBank {
            centres: centres.to_vec(),
            q,
            fs,
            filters,
        })
    }

    /// `n` channels with centres spaced evenly in log frequency from `f_low` to `f_high` Hz
    /// (see [`log_spaced`]).
    ///
    /// # Errors
    /// As [`FilterBank::new`].
    pub fn log_spaced(n: usize, f_low: f64, f_high: f64, q: f64, fs: f64) -> Result<FilterBank> {
        FilterBank::new(&log_spaced(n, f_low, f_high), q, fs)
    }

    /// `n` channels with centres spaced evenly on the mel scale from `f_low` to `f_high` Hz
    /// (see [`mel_spaced`]).
    ///
    /// # Errors
    /// As [`FilterBank::new`].
    pub fn mel_spaced(n: usize, f_low: f64, f_high: f64, q: f64, fs: f64) -> Result<FilterBank> {
        FilterBank::new(&mel_spaced(n, f_low, f_high), q, fs)
    }

    /// Number of channels.
    pub fn num_channels(&self) -> usize {
        self.filters.len()
    }

    /// Centre frequencies, in Hz, `[num_channels]`.
    pub fn centres(&self) -> &[f64] {
        &self.centres
    }

    /// Quality factor shared by all channels (centre / bandwidth).
    pub fn q(&self) -> f64 {
        self.q
    }

    /// Sampling rate, in Hz.
    pub fn fs(&self) -> f64 {
        self.fs
    }

    /// The band-pass section of each channel.
    pub fn filters(&self) -> &[Biquad] {
        &self.filters
    }

    /// Gain of each channel at `freq` Hz, `[num_channels]`.
    pub fn gains(&self, freq: f64) -> Vec<f64> {
        self.filters.iter().map(|f| f.gain(freq, self.fs)).collect()
    }

    /// Filters a mono `signal` (samples at `fs`) through every channel from rest.
    ///
    /// Returns `[len, num_channels]`: time along the first axis, like the `[T, C]` layout of a
    /// sample.
    pub fn process(&self, signal: &[f32]) -> Array2<f32> {
        let c_len = self.filters.len();
        let mut states = vec![[0.0f64; 2]; c_len];
        let mut out = Vec::with_capacity(signal.len() * c_len);
        // Channels in the inner loop: their recursions are independent, which lets the CPU
        // overlap them.
        for &x in signal {
            let x = f64::from(x);
            for (f, s) in self.filters.iter().zip(states.iter_mut()) {
                out.push(f.step(s, x) as f32);
            }
        }
        Array2::from_shape_vec((signal.len(), c_len), out)
            .expect("one output per sample and channel")
    }
}

/// `n` frequencies from `f_low` to `f_high` (both included) evenly spaced in log frequency:
/// `f_low · (f_high/f_low)^(i/(n−1))`. A single frequency is `f_low`.
pub fn log_spaced(n: usize, f_low: f64, f_high: f64) -> Vec<f64> {
    if n == 1 {
        return vec![f_low];
    }
    let ratio = f_high / f_low;
    (0..n)
        .map(|i| f_low * ratio.powf(i as f64 / (n - 1) as f64))
        .collect()
}

/// `n` frequencies from `f_low` to `f_high` (both included) evenly spaced on the mel scale
/// `m(f) = 2595 · log₁₀(1 + f/700)`. A single frequency is `f_low`.
pub fn mel_spaced(n: usize, f_low: f64, f_high: f64) -> Vec<f64> {
    let mel = |f: f64| 2595.0 * (1.0 + f / 700.0).log10();
    let hz = |m: f64| 700.0 * (10f64.powf(m / 2595.0) - 1.0);
    if n == 1 {
        return vec![f_low];
    }
    let (m_lo, m_hi) = (mel(f_low), mel(f_high));
    (0..n)
        .map(|i| hz(m_lo + (m_hi - m_lo) * i as f64 / (n - 1) as f64))
        .collect()
}

/// Amplitude envelope of each channel of `bands` `[len, C]` (samples at `fs` Hz): full-wave
/// rectification scaled by π/2 (the mean of `|A sin|` is `2A/π`, so a steady sine of amplitude
/// `A` gives envelope `A`), then a second-order Butterworth low-pass at `cutoff` Hz, from rest.
/// Returns `[len, C]`.
///
/// # Errors
/// As [`Biquad::low_pass`].
pub fn envelope(bands: ArrayView2<f32>, fs: f64, cutoff: f64) -> Result<Array2<f32>> {
    let lp = Biquad::low_pass(cutoff, fs)?;
    let (len, c_len) = bands.dim();
    let mut states = vec![[0.0f64; 2]; c_len];
    let mut out = Array2::<f32>::zeros((len, c_len));
    let scale = std::f64::consts::FRAC_PI_2;
    for (row_in, mut row_out) in bands.outer_iter().zip(out.outer_iter_mut()) {
        for ((x, y), s) in row_in.iter().zip(row_out.iter_mut()).zip(states.iter_mut()) {
            *y = lp.step(s, scale * f64::from(x.abs())) as f32;
        }
    }
    Ok(out)
}

/// Averages consecutive blocks of `factor` rows of `x` `[len, C]`, giving
/// `[len / factor, C]`; a final partial block is dropped.
///
/// # Errors
/// [`TaskError::Argument`] if `factor` is 0.
pub fn downsample_mean(x: ArrayView2<f32>, factor: usize) -> Result<Array2<f32>> {
    if factor == 0 {
        return Err(TaskError::Argument {
            name: "factor",
            value: "0".into(),
            reason: "the downsampling factor must be at least 1".into(),
        });
    }
    let (len, c_len) = x.dim();
    let t_len = len / factor;
    let mut out = Array2::<f32>::zeros((t_len, c_len));
    for (t, mut row) in out.outer_iter_mut().enumerate() {
        let block = x.slice(ndarray::s![t * factor..(t + 1) * factor, ..]);
        row.assign(&block.mean_axis(Axis(0)).expect("non-empty block"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::{PI, SQRT_2, TAU};

    const FS: f64 = 16_000.0;

    fn tone(freq: f64, amplitude: f64, seconds: f64) -> Vec<f32> {
        (0..(seconds * FS) as usize)
            .map(|i| (amplitude * (TAU * freq * i as f64 / FS).sin()) as f32)
            .collect()
    }

    #[test]
    fn band_pass_gain_is_one_at_centre_and_half_power_at_edges() {
        for &(fc, q) in &[(300.0, 4.0), (1000.0, 2.0), (5000.0, 8.0), (7000.0, 1.0)] {
            let f = Biquad::band_pass(fc, q, FS).unwrap();
            assert!(
                (f.gain(fc, FS) - 1.0).abs() < 1e-12,
                "fc {fc}: {}",
                f.gain(fc, FS)
            );
            // Edges: pre-warped Ω with Ω² ∓ ΩΩ₀/Q − Ω₀² = 0 ⇒ Ω = Ω₀(√(1 + 4Q²) ± 1)/(2Q).
            let w0 = (PI * fc / FS).tan();
            for sign in [-1.0, 1.0] {
                let w = w0 * ((1.0 + 4.0 * q * q).sqrt() + sign) / (2.0 * q);
                let f_edge = w.atan() * FS / PI;
                let g = f.gain(f_edge, FS);
                assert!(
                    (g - 1.0 / SQRT_2).abs() < 1e-12,
                    "fc {fc}, edge {f_edge}: {g}"
                );
            }
            // No gain at DC and Nyquist.
            assert!(f.gain(0.0, FS) < 1e-12);
            assert!(f.gain(FS / 2.0, FS) < 1e-9);
        }
    }

    #[test]
    fn band_pass_matches_the_rbj_cookbook() {
        // Independent formula: α = sin ω₀ / (2Q), b = [α, 0, −α]/(1+α), a = [1, −2cos ω₀, 1−α]/(1+α).
        let (fc, q) = (1234.0, 3.0);
        let w0 = TAU * fc / FS;
        let alpha = w0.sin() / (2.0 * q);
        let f = Biquad::band_pass(fc, q, FS).unwrap();
        let expected_b = [alpha / (1.0 + alpha), 0.0, -alpha / (1.0 + alpha)];
        let expected_a = [
            1.0,
            -2.0 * w0.cos() / (1.0 + alpha),
            (1.0 - alpha) / (1.0 + alpha),
        ];
        for i in 0..3 {
            assert!((f.b[i] - expected_b[i]).abs() < 1e-14);
            assert!((f.a[i] - expected_a[i]).abs() < 1e-14);
        }
    }

    #[test]
    fn low_pass_is_butterworth() {
        let f = Biquad::low_pass(100.0, FS).unwrap();
        assert!((f.gain(0.0, FS) - 1.0).abs() < 1e-12);
        assert!((f.gain(100.0, FS) - 1.0 / SQRT_2).abs() < 1e-12);
        // Far above cutoff a second-order filter falls 12 dB per octave: gain ≈ (fc/f)² in the
        // pre-warped domain.
        let g = f.gain(1600.0, FS);
        let expected = ((PI * 100.0 / FS).tan() / (PI * 1600.0 / FS).tan()).powi(2);
        assert!((g / expected - 1.0).abs() < 0.01, "{g} vs {expected}");
    }

    #[test]
    fn simulated_steady_state_matches_the_closed_form_gain() {
        let f = Biquad::band_pass(1000.0, 4.0, FS).unwrap();
        for &freq in &[1000.0, 700.0, 1500.0] {
            let y = f.filter(&tone(freq, 1.0, 0.5));
            let peak = y[4000..].iter().fold(0.0f32, |m, v| m.max(v.abs()));
            let g = f.gain(freq, FS) as f32;
            assert!((peak - g).abs() < 2e-3, "{freq} Hz: peak {peak}, gain {g}");
        }
    }

    #[test]
    fn tone_at_a_centre_excites_that_channel_most() {
        let bank = FilterBank::log_spaced(16, 300.0, 3000.0, 4.0, FS).unwrap();
        assert_eq!(bank.num_channels(), 16);
        assert!((bank.centres()[0] - 300.0).abs() < 1e-9);
        assert!((bank.centres()[15] - 3000.0).abs() < 1e-9);
        for ch in [0, 5, 10, 15] {
            let fc = bank.centres()[ch];
            let bands = bank.process(&tone(fc, 0.8, 0.3));
            assert_eq!(bands.dim(), (4800, 16));
            let env = envelope(bands.view(), FS, 100.0).unwrap();
            // Mean envelope over the last 100 ms, once the filters have settled.
            let late = env
                .slice(ndarray::s![3200.., ..])
                .mean_axis(Axis(0))
                .unwrap();
            let best = (0..16)
                .max_by(|&a, &b| late[a].total_cmp(&late[b]))
                .unwrap();
            assert_eq!(best, ch, "tone at {fc} Hz: envelopes {late}");
            // Unit gain at the centre and π/2 scaling: the envelope is the tone's amplitude, up
            // to sampling: the mean of |sin| over the 16 samples of a 3 kHz period at 16 kHz is
            // cot(π/16)/8 = 0.628 rather than 2/π = 0.637, 1.3 % less.
            assert!(
                (late[ch] / 0.8 - 1.0).abs() < 0.015,
                "channel {ch}: {}",
                late[ch]
            );
        }
    }

    #[test]
    fn spacings() {
        let l = log_spaced(3, 100.0, 400.0);
        assert!((l[1] - 200.0).abs() < 1e-9);
        let m = mel_spaced(5, 300.0, 3000.0);
        let mel = |f: f64| 2595.0 * (1.0 + f / 700.0).log10();
        let steps: Vec<f64> = m.windows(2).map(|w| mel(w[1]) - mel(w[0])).collect();
        assert!(steps.iter().all(|s| (s - steps[0]).abs() < 1e-9));
        assert!((m[4] - 3000.0).abs() < 1e-6);
        assert_eq!(log_spaced(1, 5.0, 9.0), [5.0]);
    }

    #[test]
    fn downsample_averages_blocks() {
        let x = Array2::from_shape_fn((7, 2), |(t, c)| (t * 10 + c) as f32);
        let d = downsample_mean(x.view(), 3).unwrap();
        assert_eq!(d, ndarray::array![[10.0, 11.0], [40.0, 41.0]]);
        assert!(downsample_mean(x.view(), 0).is_err());
    }

    #[test]
    fn bad_parameters_are_refused() {
        assert!(
            Biquad::band_pass(9000.0, 4.0, FS)
                .unwrap_err()
                .to_string()
                .contains("Nyquist")
        );
        assert!(Biquad::band_pass(1000.0, 0.0, FS).is_err());
        assert!(Biquad::band_pass(1000.0, 4.0, -1.0).is_err());
        assert!(FilterBank::new(&[], 4.0, FS).is_err());
        assert!(Biquad::low_pass(0.0, FS).is_err());
    }
}
