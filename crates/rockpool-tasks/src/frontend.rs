//! An audio front end: filter bank → envelope → downsampling → optional spike encoding, turning
//! a mono signal into the `[T, C]` input of a spiking network (the pipeline of Xylo Audio's
//! analog front end, in software).

use ndarray::Array2;

use crate::encoder::SpikeEncoder;
use crate::error::{Result, TaskError};
use crate::filterbank::{Biquad, FilterBank};

/// Turns audio sampled at `bank.fs()` Hz into features per time step of
/// `decimation / fs` seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioFrontEnd {
    /// The band-pass channels.
    pub bank: FilterBank,
    /// Envelope low-pass cutoff, in Hz.
    pub envelope_cutoff: f64,
    /// Audio samples averaged into one time step (`fs · dt`).
    pub decimation: usize,
    /// Spike encoder applied to the downsampled envelopes; `None` returns the envelopes.
    pub encoder: Option<SpikeEncoder>,
}

impl AudioFrontEnd {
    /// Time step of the output, in seconds.
    pub fn dt(&self) -> f64 {
        self.decimation as f64 / self.bank.fs()
    }

    /// Processes `audio` (mono, at `fs` Hz, any length) into `[T, C]` with
    /// `T = len / decimation` (a final partial step is dropped) and `C` the number of channels:
    /// spike counts per step, or envelope amplitudes (the amplitude of a sine at a channel's
    /// centre frequency) without an encoder.
    ///
    /// The result is [`FilterBank::process`], then [`envelope`](crate::envelope), then
    /// [`downsample_mean`](crate::downsample_mean), then [`SpikeEncoder::encode`], computed in
    /// one pass in `f64` without the intermediate `[len, C]` arrays (so it can differ from that
    /// composition in the last bits of `f32`).
    ///
    /// # Errors
    /// [`TaskError::Argument`] if the cutoff is not below the Nyquist frequency, the
    /// decimation is 0 or the encoder is invalid.
    pub fn process(&self, audio: &[f32]) -> Result<Array2<f32>> {
        if self.decimation == 0 {
            return Err(TaskError::Argument {
                name: "decimation",
                value: "0".into(),
                reason: "at least one audio sample per time step".into(),
            });
        }
        let lp = Biquad::low_pass(self.envelope_cutoff, self.bank.fs())?;
        let filters = self.bank.filters();
        let t_len = audio.len() / self.decimation;
        let used = &audio[..t_len * self.decimation];
        let mut out = Array2::<f32>::zeros((t_len, filters.len()));
        let scale = std::f64::consts::FRAC_PI_2;
        let per_step = 1.0 / self.decimation as f64;
        // Channels in groups of LANES with fixed-size state arrays: the recursions of a group
        // are independent, so the compiler keeps them in vector registers. Unused lanes of the
        // last group have zero coefficients and are not written out.
        for (g, group) in filters.chunks(LANES).enumerate() {
            let coef = |f: fn(&Biquad) -> f64| {
                let mut c = [0.0; LANES];
                for (ci, b) in c.iter_mut().zip(group) {
                    *ci = f(b);
                }
                c
            };
            let (b0, b1, b2) = (coef(|b| b.b[0]), coef(|b| b.b[1]), coef(|b| b.b[2]));
            let (a1, a2) = (coef(|b| b.a[1]), coef(|b| b.a[2]));
            let (mut s0, mut s1) = ([0.0f64; LANES], [0.0f64; LANES]);
            let (mut e0, mut e1) = ([0.0f64; LANES], [0.0f64; LANES]);
            for (t, block) in used.chunks_exact(self.decimation).enumerate() {
                let mut acc = [0.0f64; LANES];
                for &x in block {
                    let x = f64::from(x);
                    for l in 0..LANES {
                        // Band-pass, then rectified envelope low-pass (transposed direct form II).
                        let y = b0[l] * x + s0[l];
                        s0[l] = b1[l] * x - a1[l] * y + s1[l];
                        s1[l] = b2[l] * x - a2[l] * y;
                        let r = scale * y.abs();
                        let e = lp.b[0] * r + e0[l];
                        e0[l] = lp.b[1] * r - lp.a[1] * e + e1[l];
                        e1[l] = lp.b[2] * r - lp.a[2] * e;
                        acc[l] += e;
                    }
                }
                for (l, a) in acc.iter().take(group.len()).enumerate() {
                    out[[t, g * LANES + l]] = (a * per_step) as f32;
                }
            }
        }
        match &self.encoder {
            Some(e) => e.encode(out.view()),
            None => Ok(out),
        }
    }
}

/// Channels processed together by [`AudioFrontEnd::process`].
const LANES: usize = 4;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filterbank::{downsample_mean, envelope};

    #[test]
    fn fused_pass_equals_the_composition_of_the_stages() {
        // 7 channels: one full group of 4 and a partial one.
        let bank = FilterBank::log_spaced(7, 200.0, 4000.0, 3.0, 16_000.0).unwrap();
        let mut state = 12345u64;
        let audio: Vec<f32> = (0..4000)
            .map(|i| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let noise = (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
                (0.7 * (i as f32 * 0.3).sin()) + 0.2 * noise
            })
            .collect();
        let mut front = AudioFrontEnd {
            bank: bank.clone(),
            envelope_cutoff: 80.0,
            decimation: 16,
            encoder: None,
        };
        let fused = front.process(&audio[..3990]).unwrap();
        let bands = bank.process(&audio[..3990]);
        let env = envelope(bands.view(), 16_000.0, 80.0).unwrap();
        let composed = downsample_mean(env.view(), 16).unwrap();
        assert_eq!(fused.dim(), (249, 7));
        assert_eq!(composed.dim(), fused.dim());
        for (a, b) in fused.iter().zip(&composed) {
            assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{a} vs {b}");
        }
        assert!((front.dt() - 0.001).abs() < 1e-15);
        front.encoder = Some(SpikeEncoder::new(0.05, 15).unwrap());
        let spikes = front.process(&audio).unwrap();
        assert_eq!(
            spikes,
            SpikeEncoder::new(0.05, 15)
                .unwrap()
                .encode(front_envelope(&front, &audio).view())
                .unwrap()
        );
        front.decimation = 0;
        assert!(front.process(&audio).is_err());
    }

    fn front_envelope(front: &AudioFrontEnd, audio: &[f32]) -> Array2<f32> {
        AudioFrontEnd {
            encoder: None,
            ..front.clone()
        }
        .process(audio)
        .unwrap()
    }
}
