//! `Raster`: spike counts per bin of `f` audio samples, clipped to `max_num_spikes`.
//!
//! Rockpool samples `cumsum(S)` at `f−1, 2f−1, …` (plus `T−1` when `T % f ≠ 0`, so a last
//! partial bin is kept) and differences it: bin `k` counts the spikes of samples
//! `k·f .. min((k+1)·f, T)`. Counts above `max_num_spikes` are clipped to it (there is no lower clip). The output has
//! `ceil(T/f)` rows. (Rockpool `squeeze()`s the result; here it stays `(bins, C)`.)

use ndarray::Array2;

use crate::error::{input_error, param_error};
use crate::{Block, Params, Result, Signal};

use super::AUDIO_SAMPLING_RATE;

/// The number of bins for `t` samples and bin size `f`: `ceil(t / f)`.
pub fn num_bins(t: usize, f: usize) -> usize {
    t.div_ceil(f)
}

/// Counts per bin of `f` rows of `spikes` `(T, C)`, clipped above at `max_num_spikes`.
pub fn raster(spikes: &Array2<i64>, f: usize, max_num_spikes: i64) -> Array2<i64> {
    let (t, c) = spikes.dim();
    let mut out = Array2::<i64>::zeros((num_bins(t, f), c));
    for (n, row) in spikes.outer_iter().enumerate() {
        let mut o = out.row_mut(n / f);
        o += &row;
    }
    out.mapv_inplace(|v| v.min(max_num_spikes));
    out
}

/// `Raster` as a [`Block`]: spikes `(T, C)` → counts `(ceil(T/f), C)`.
#[derive(Debug, Clone)]
pub struct RasterBlock {
    channels: Option<usize>,
    fs: f64,
    factor: usize,
    max_num_spikes: i64,
}

impl RasterBlock {
    /// From Rockpool's constructor arguments: `shape` (`C` or `[C, C]`; Rockpool requires it,
    /// here absent means any `C`), `fs` (Hz; required in Rockpool, default 48828.125 here),
    /// `rate_downsample_factor` (64) and `max_num_spikes` (15).
    pub fn from_params(params: &Params) -> Result<Self> {
        const M: &str = "Raster";
        let channels = super::shape_channels(M, params, None)?;
        let fs = params.f64(M, "fs", AUDIO_SAMPLING_RATE)?;
        if fs <= 0.0 {
            return Err(param_error(M, "fs", format!("must be positive, got {fs}")));
        }
        let factor = params.i64(M, "rate_downsample_factor", 64)?;
        if factor < 1 {
            return Err(param_error(
                M,
                "rate_downsample_factor",
                format!("must be at least 1, got {factor}"),
            ));
        }
        let max_num_spikes = params.i64(M, "max_num_spikes", 15)?;
        if max_num_spikes < 0 {
            return Err(param_error(
                M,
                "max_num_spikes",
                format!("must not be negative, got {max_num_spikes}"),
            ));
        }
        params.finish(M)?;
        Ok(Self {
            channels,
            fs,
            factor: factor as usize,
            max_num_spikes,
        })
    }
}

impl Block for RasterBlock {
    fn name(&self) -> &str {
        "Raster"
    }

    fn run(&mut self, input: &Signal, sample_rate: Option<f64>) -> Result<Signal> {
        const M: &str = "Raster";
        super::check_rate(M, sample_rate, self.fs)?;
        let (t, c) = input.shape();
        if let Some(want) = self.channels
            && want != c
        {
            return Err(input_error(
                M,
                format!("{c} channels, but the module has {want}"),
            ));
        }
        if t == 0 {
            return Err(input_error(M, "the input has no samples"));
        }
        let s = input
            .to_i64()
            .ok_or_else(|| input_error(M, "expected integer spike counts"))?;
        Ok(Signal::Int(raster(&s, self.factor, self.max_num_spikes)))
    }

    fn input_rate(&self) -> f64 {
        self.fs
    }

    fn output_dt(&self) -> f64 {
        self.factor as f64 / self.fs
    }

    fn output_channels(&self) -> usize {
        self.channels.unwrap_or(0)
    }

    fn reset(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_last_bin_is_kept_and_counts_are_clipped() {
        let s = Array2::<i64>::ones((10, 2));
        let r = raster(&s, 4, 3);
        assert_eq!(r.dim(), (3, 2));
        assert_eq!(r.column(0).to_vec(), vec![3, 3, 2]);
        assert_eq!(num_bins(0, 50), 0);
        assert_eq!(num_bins(4882, 50), 98);
    }
}
