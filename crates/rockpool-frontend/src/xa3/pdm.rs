//! The PDM microphone path of XyloAudio 3 (`PDMADC` = `MicrophonePDM` + `PolyPhaseFIR`):
//! audio in [−1, 1] → a ±1 bit stream at 1.5625 MHz → 14-bit audio at 48828.125 Hz.
//!
//! * `MicrophonePDM` resamples the audio to 1.5625 MHz (Rockpool's arange/interp rule, see
//!   [`crate::resample`]) and runs a 4th-order delta-sigma modulator in float64, in Rockpool's
//!   operation order so that the bits are identical: with the state `st = 0` and `q = 0` at the
//!   start, each sample `x`
//!   `d_i = (Σ_j A_ij·st_j + B_i·x) + A_Q,i·q`, then `st_i += d_i / fs`, then
//!   `q = +1 if st_3 > 0 else −1`. Only `A[1,0]`, `A[2,1]`, `A[3,2]` and `B[0]` are non-zero
//!   and `C = (0, 0, 0, 1)`, so each sum has one non-zero term and is exact.
//! * `PolyPhaseFIR` maps the bits to `u = (1 + b)/2 ∈ {0, 1}`, convolves them with 256 integer
//!   taps `h` (full convolution), keeps every 32nd sample and rescales:
//!   `y[k] = ((Σ_j h[j]·u[32k − j]) · 2 − Σh) >> 7`. The output has `ceil(N/32) + 8` samples;
//!   the first few are a start-up transient (missing past bits count as −1).

use ndarray::Array2;

use crate::error::{input_error, param_error};
use crate::{Block, Params, Result, Signal};

use super::{AUDIO_SAMPLING_RATE, PDM_SAMPLING_RATE};

/// The decimation factor of the PDM filter: 1.5625 MHz / 48828.125 Hz.
pub const DECIMATION_FACTOR: usize = 32;

/// `A[1,0]`, `A[2,1]`, `A[3,2]` of the modulator's state matrix (float64 bit patterns), dumped
/// from Rockpool 3.1.0's `PDMADC()` (`MicrophonePDM._sdm_module.A`).
const A_SUB: [u64; 3] = [0x4137d783ffffffff, 0x4137d78400000000, 0x4137d78400000000];
/// The quantiser feedback `A_Q` (float64 bit patterns), from the same object.
const A_Q: [u64; 4] = [
    0xc05057b0484d5130,
    0xc0a097f466236bce,
    0xc0e0d9353cfbcf88,
    0xc1140adc5b16674a,
];
/// `B[0]` (float64 bit pattern), from the same object; `B[1..] = 0`.
const B0: u64 = 0x405057b0484d5130;

/// The 256 taps of the decimation filter (`firwin`, cutoff 20 kHz, quantised to 16 bits), dumped
/// from Rockpool 3.1.0's `PDMADC()` (`PolyPhaseFIR.h`); their sum is 782020.
pub const FIR_TAPS: [i64; 256] = [
    -115, -107, -98, -90, -80, -70, -59, -47, -34, -20, -4, 11, 29, 48, 68, 90, 113, 138, 163, 190,
    218, 248, 277, 308, 338, 369, 399, 429, 457, 484, 510, 533, 553, 570, 583, 592, 596, 595, 588,
    575, 556, 529, 495, 454, 405, 347, 282, 208, 126, 35, -62, -168, -282, -402, -529, -662, -799,
    -941, -1086, -1233, -1382, -1530, -1677, -1822, -1962, -2096, -2224, -2342, -2451, -2547,
    -2630, -2697, -2748, -2780, -2792, -2782, -2750, -2693, -2610, -2500, -2363, -2197, -2001,
    -1775, -1517, -1229, -910, -559, -176, 236, 679, 1151, 1652, 2181, 2735, 3314, 3916, 4538,
    5180, 5838, 6511, 7195, 7889, 8589, 9293, 9998, 10700, 11398, 12087, 12765, 13429, 14076,
    14702, 15305, 15883, 16432, 16949, 17433, 17881, 18290, 18659, 18987, 19270, 19509, 19701,
    19846, 19943, 19991, 19991, 19943, 19846, 19701, 19509, 19270, 18987, 18659, 18290, 17881,
    17433, 16949, 16432, 15883, 15305, 14702, 14076, 13429, 12765, 12087, 11398, 10700, 9998, 9293,
    8589, 7889, 7195, 6511, 5838, 5180, 4538, 3916, 3314, 2735, 2181, 1652, 1151, 679, 236, -176,
    -559, -910, -1229, -1517, -1775, -2001, -2197, -2363, -2500, -2610, -2693, -2750, -2782, -2792,
    -2780, -2748, -2697, -2630, -2547, -2451, -2342, -2224, -2096, -1962, -1822, -1677, -1530,
    -1382, -1233, -1086, -941, -799, -662, -529, -402, -282, -168, -62, 35, 126, 208, 282, 347,
    405, 454, 495, 529, 556, 575, 588, 595, 596, 592, 583, 570, 553, 533, 510, 484, 457, 429, 399,
    369, 338, 308, 277, 248, 218, 190, 163, 138, 113, 90, 68, 48, 29, 11, -4, -20, -34, -47, -59,
    -70, -80, -90, -98, -107, -115,
];

/// Bits of the filter sum before the final shift (`num_bits_output_pre_Q`).
const NUM_BITS_PRE_Q: u32 = 21;
/// Bits of the output audio (`num_bits_output`).
pub const NUM_BITS_OUTPUT: u32 = 14;

/// Checks that the audio is finite and within [−1, 1] (Rockpool raises `ValueError` otherwise).
pub fn check_pdm_audio(module: &str, audio: &[f64]) -> Result<()> {
    if let Some(n) = audio.iter().position(|x| x.is_nan() || x.abs() > 1.0) {
        return Err(input_error(
            module,
            format!(
                "sample {n} = {} is outside [-1, 1]; the PDM microphone takes normalised audio",
                audio[n]
            ),
        ));
    }
    Ok(())
}

/// The delta-sigma modulator: `x` at 1.5625 MHz (|x| ≤ 1) → bits `±1`, appended to `bits`.
pub fn delta_sigma(x: &[f64], bits: &mut Vec<i8>) {
    let a = A_SUB.map(f64::from_bits);
    let aq = A_Q.map(f64::from_bits);
    let b0 = f64::from_bits(B0);
    let fs = PDM_SAMPLING_RATE;
    let mut st = [0.0f64; 4];
    let mut q = 0.0f64;
    bits.reserve(x.len());
    for &v in x {
        let d0 = b0 * v + aq[0] * q;
        let d1 = a[0] * st[0] + aq[1] * q;
        let d2 = a[1] * st[1] + aq[2] * q;
        let d3 = a[2] * st[2] + aq[3] * q;
        st[0] += d0 / fs;
        st[1] += d1 / fs;
        st[2] += d2 / fs;
        st[3] += d3 / fs;
        let bit = if st[3] > 0.0 { 1 } else { -1 };
        q = f64::from(bit);
        bits.push(bit);
    }
}

/// `MicrophonePDM`: audio (|x| ≤ 1) at `fs_in` Hz → the PDM bit stream (`±1`) at 1.5625 MHz.
pub fn microphone_pdm(module: &str, audio: &[f64], fs_in: f64) -> Result<Vec<i8>> {
    check_pdm_audio(module, audio)?;
    let mut bits = Vec::new();
    if fs_in == PDM_SAMPLING_RATE {
        delta_sigma(audio, &mut bits);
    } else {
        let x = crate::resample::resample_checked(module, audio, fs_in, PDM_SAMPLING_RATE)?;
        delta_sigma(&x, &mut bits);
    }
    if bits.is_empty() {
        return Err(input_error(
            module,
            "no samples left after resampling to 1.5625 MHz (at least 2 input samples are needed)",
        ));
    }
    Ok(bits)
}

/// The number of output samples of [`polyphase_fir`] for `n` bits: `ceil(n/32) + 8`.
pub fn fir_output_len(n: usize) -> usize {
    n.div_ceil(DECIMATION_FACTOR) + FIR_TAPS.len() / DECIMATION_FACTOR
}

/// `PolyPhaseFIR`: the bit stream (`±1`) at 1.5625 MHz → 14-bit audio at 48828.125 Hz,
/// `ceil(N/32) + 8` samples.
pub fn polyphase_fir(bits: &[i8]) -> Vec<i64> {
    const L: usize = FIR_TAPS.len();
    let n = bits.len();
    let len = fir_output_len(n);
    let dc: i64 = FIR_TAPS.iter().sum();
    let shift = NUM_BITS_PRE_Q - NUM_BITS_OUTPUT;
    // Bits as masks (−1 for a 1 bit, 0 otherwise), with L − 1 zeros before (the missing past)
    // and enough after, so that output k reads the window `padded[32k .. 32k + L]` against the
    // reversed taps: branch-free and vectorisable (every partial sum fits i32: Σ|h| < 2^20).
    let mut padded = vec![0i32; len * DECIMATION_FACTOR + L];
    for (p, &b) in padded[L - 1..].iter_mut().zip(bits) {
        *p = if b > 0 { -1 } else { 0 };
    }
    let mut taps_rev = [0i32; L];
    for (r, &h) in taps_rev.iter_mut().zip(FIR_TAPS.iter().rev()) {
        *r = h as i32;
    }
    let mut out = Vec::with_capacity(len);
    for k in 0..len {
        let m = k * DECIMATION_FACTOR;
        let window = &padded[m..m + L];
        let z: i32 = window.iter().zip(&taps_rev).map(|(&u, &h)| h & u).sum();
        out.push(((i64::from(z) << 1) - dc) >> shift);
    }
    out
}

/// The PDM microphone path (`PDMADC`): audio (|x| ≤ 1) at `fs_in` Hz → 14-bit audio at
/// 48828.125 Hz.
pub fn pdm_adc(module: &str, audio: &[f64], fs_in: f64) -> Result<Vec<i64>> {
    let bits = microphone_pdm(module, audio, fs_in)?;
    Ok(polyphase_fir(&bits))
}

/// Which stage of the PDM path a [`PdmBlock`] simulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PdmStage {
    /// `MicrophonePDM`: audio → bits.
    Microphone,
    /// `PolyPhaseFIR`: bits → audio.
    Fir,
    /// `PDMADC`: audio → audio.
    Adc,
}

/// `MicrophonePDM`, `PolyPhaseFIR` or `PDMADC` as a [`Block`] (the default parameters only:
/// the taps and the modulator are Rockpool's defaults).
#[derive(Debug, Clone)]
pub struct PdmBlock {
    stage: PdmStage,
}

impl PdmBlock {
    /// From Rockpool's constructor arguments; only their default values are supported.
    pub fn from_params(stage: PdmStage, params: &Params) -> Result<Self> {
        let m = match stage {
            PdmStage::Microphone => "MicrophonePDM",
            PdmStage::Fir => "PolyPhaseFIR",
            PdmStage::Adc => "PDMADC",
        };
        let fixed: &[(&str, f64)] = match stage {
            PdmStage::Microphone => &[
                ("sdm_order", 4.0),
                ("sdm_OSR", 32.0),
                ("bandwidth", 20000.0),
                ("fs", PDM_SAMPLING_RATE),
            ],
            PdmStage::Fir => &[
                ("decimation_factor", 32.0),
                ("cutoff", 20000.0),
                ("cutoff_width", 4000.0),
                ("filt_length", 256.0),
                ("num_bits_filter_Q", 16.0),
                ("num_bits_output", 14.0),
                ("fs", PDM_SAMPLING_RATE),
            ],
            PdmStage::Adc => &[],
        };
        for &(name, default) in fixed {
            let v = params.f64(m, name, default)?;
            if v != default {
                return Err(param_error(
                    m,
                    name,
                    format!("only Rockpool's default {default} is supported, got {v}"),
                ));
            }
        }
        params.finish(m)?;
        Ok(Self { stage })
    }
}

impl Block for PdmBlock {
    fn name(&self) -> &str {
        match self.stage {
            PdmStage::Microphone => "MicrophonePDM",
            PdmStage::Fir => "PolyPhaseFIR",
            PdmStage::Adc => "PDMADC",
        }
    }

    fn run(&mut self, input: &Signal, sample_rate: Option<f64>) -> Result<Signal> {
        let m = self.name().to_string();
        let (t, c) = input.shape();
        if c != 1 || t == 0 {
            return Err(input_error(
                &m,
                format!("expected one channel of at least one sample (T, 1), got ({t}, {c})"),
            ));
        }
        let column = |v: Vec<i64>| {
            let len = v.len();
            Array2::from_shape_vec((len, 1), v).map_err(|e| input_error(&m, e.to_string()))
        };
        match self.stage {
            PdmStage::Fir => {
                super::check_rate(&m, sample_rate, PDM_SAMPLING_RATE)?;
                let x = input
                    .to_i64()
                    .ok_or_else(|| input_error(&m, "expected a ±1 integer bit stream"))?;
                let mut bits = Vec::with_capacity(t);
                for (n, &b) in x.iter().enumerate() {
                    if b != 1 && b != -1 {
                        return Err(input_error(
                            &m,
                            format!("sample {n} = {b}: the PDM bit stream must be ±1"),
                        ));
                    }
                    bits.push(b as i8);
                }
                Ok(Signal::Int(column(polyphase_fir(&bits))?))
            }
            PdmStage::Microphone | PdmStage::Adc => {
                let fs = super::input_rate_or(&m, sample_rate, PDM_SAMPLING_RATE)?;
                let audio = input.to_f64().into_raw_vec_and_offset().0;
                let bits = microphone_pdm(&m, &audio, fs)?;
                let out = if self.stage == PdmStage::Adc {
                    polyphase_fir(&bits)
                } else {
                    bits.iter().map(|&b| i64::from(b)).collect()
                };
                Ok(Signal::Int(column(out)?))
            }
        }
    }

    fn input_rate(&self) -> f64 {
        PDM_SAMPLING_RATE
    }

    fn output_dt(&self) -> f64 {
        match self.stage {
            PdmStage::Microphone => 1.0 / PDM_SAMPLING_RATE,
            PdmStage::Fir | PdmStage::Adc => 1.0 / AUDIO_SAMPLING_RATE,
        }
    }

    fn output_channels(&self) -> usize {
        1
    }

    fn reset(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fir_length_and_silence() {
        assert_eq!(fir_output_len(31200), 983);
        // A 50 % duty bit stream (silence) decodes to about 0 once the start-up has passed.
        let bits: Vec<i8> = (0..3200).map(|i| if i % 2 == 0 { 1 } else { -1 }).collect();
        let y = polyphase_fir(&bits);
        assert_eq!(y.len(), 108);
        assert!(y[10..100].iter().all(|v| v.abs() <= 2), "{:?}", &y[..20]);
        assert_eq!(FIR_TAPS.iter().sum::<i64>(), 782020);
    }

    #[test]
    fn out_of_range_audio_is_refused() {
        assert!(check_pdm_audio("M", &[0.5, -1.0, 1.0]).is_ok());
        assert!(check_pdm_audio("M", &[0.5, f64::NAN]).is_err());
        assert!(microphone_pdm("M", &[0.1], 16000.0).is_err());
    }
}
