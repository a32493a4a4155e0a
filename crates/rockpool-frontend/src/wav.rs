//! Reading front-end inputs from files: WAV audio and `.npy` arrays.

use std::path::Path;

use ndarray::Array2;

use crate::error::{Error, Result};
use crate::signal::Signal;

/// A recording: samples `(T, channels)` and, where the file states it, the sample rate in Hz.
#[derive(Debug, Clone)]
pub struct Recording {
    /// The samples. WAV integer PCM is scaled to [-1, 1) by 2^(bits − 1) (so 16-bit −32768
    /// reads as −1.0), WAV float is taken as is; a `.npy` array keeps its values and kind
    /// (integer arrays stay integers).
    pub signal: Signal,
    /// The sample rate in Hz (WAV files); `None` for `.npy` arrays.
    pub sample_rate: Option<f64>,
}

fn file_error(path: &Path, message: impl Into<String>) -> Error {
    Error::File {
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// Reads a WAV file (PCM integer of 8–32 bits or 32-bit float, any number of channels).
pub fn read_wav(path: impl AsRef<Path>) -> Result<Recording> {
    let path = path.as_ref();
    let mut reader = hound::WavReader::open(path)
        .map_err(|e| file_error(path, format!("not a readable WAV file: {e}")))?;
    let spec = reader.spec();
    let channels = spec.channels as usize;
    if channels == 0 {
        return Err(file_error(path, "WAV file declares 0 channels"));
    }
    if spec.sample_rate == 0 {
        return Err(file_error(path, "WAV file declares a sample rate of 0 Hz"));
    }
    let values: Vec<f64> = match spec.sample_format {
        hound::SampleFormat::Float => {
            if spec.bits_per_sample != 32 {
                return Err(file_error(
                    path,
                    format!(
                        "{}-bit float WAV is not supported (only 32-bit)",
                        spec.bits_per_sample
                    ),
                ));
            }
            reader
                .samples::<f32>()
                .map(|s| s.map(f64::from))
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| file_error(path, format!("corrupt WAV data: {e}")))?
        }
        hound::SampleFormat::Int => {
            let bits = spec.bits_per_sample;
            if !(1..=32).contains(&bits) {
                return Err(file_error(
                    path,
                    format!("{bits}-bit integer WAV is not supported"),
                ));
            }
            let scale = (1u64 << (bits - 1)) as f64;
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| v as f64 / scale))
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| file_error(path, format!("corrupt WAV data: {e}")))?
        }
    };
    if let Some(bad) = values.iter().position(|v| !v.is_finite()) {
        return Err(file_error(path, format!("sample {bad} is not finite")));
    }
    let frames = values.len() / channels;
    let samples = Array2::from_shape_vec((frames, channels), values[..frames * channels].to_vec())
        .map_err(|e| file_error(path, e.to_string()))?;
    Ok(Recording {
        signal: Signal::Float(samples),
        sample_rate: Some(spec.sample_rate as f64),
    })
}

/// Reads a `.npy` array of shape `(T,)` (one channel) or `(T, channels)`. Integer and boolean
/// arrays stay integers; floats must be finite.
pub fn read_npy(path: impl AsRef<Path>) -> Result<Recording> {
    let path = path.as_ref();
    let array = rockpool_io::read_npy(path).map_err(|e| file_error(path, e.to_string()))?;
    let shape = array.shape().to_vec();
    let (t, c) = match shape.as_slice() {
        [t] => (*t, 1),
        [t, c] => (*t, *c),
        _ => {
            return Err(file_error(
                path,
                format!("expected an array (T,) or (T, channels), got shape {shape:?}"),
            ));
        }
    };
    use rockpool_io::DType;
    let signal = match array.dtype() {
        DType::F32 | DType::F64 => {
            let v = array.to_f64();
            if let Some(bad) = v.iter().position(|x| !x.is_finite()) {
                return Err(file_error(path, format!("element {bad} is not finite")));
            }
            Signal::Float(
                v.into_shape_with_order((t, c))
                    .map_err(|e| file_error(path, e.to_string()))?,
            )
        }
        _ => {
            let v = array
                .to_i64()
                .map_err(|e| file_error(path, e.to_string()))?;
            Signal::Int(
                v.into_shape_with_order((t, c))
                    .map_err(|e| file_error(path, e.to_string()))?,
            )
        }
    };
    Ok(Recording {
        signal,
        sample_rate: None,
    })
}

/// Reads `path` by its extension: `.wav` with [`read_wav`], `.npy` with [`read_npy`].
pub fn read_input(path: impl AsRef<Path>) -> Result<Recording> {
    let path = path.as_ref();
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("wav") => read_wav(path),
        Some("npy") => read_npy(path),
        _ => Err(file_error(
            path,
            "unknown input format: expected a .wav or .npy file",
        )),
    }
}

/// Writes `samples` (`(T, channels)`, values in [-1, 1]) as a 16-bit PCM WAV file at
/// `sample_rate` Hz, atomically. Values are clipped to [-1, 1] and rounded to the nearest step.
pub fn write_wav_i16(
    path: impl AsRef<Path>,
    samples: &Array2<f64>,
    sample_rate: u32,
) -> Result<()> {
    let path = path.as_ref();
    let spec = hound::WavSpec {
        channels: samples.ncols() as u16,
        sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut bytes = std::io::Cursor::new(Vec::new());
    {
        let mut w =
            hound::WavWriter::new(&mut bytes, spec).map_err(|e| file_error(path, e.to_string()))?;
        for v in samples.iter() {
            let q = (v.clamp(-1.0, 1.0) * 32768.0)
                .round()
                .clamp(-32768.0, 32767.0) as i16;
            w.write_sample(q)
                .map_err(|e| file_error(path, e.to_string()))?;
        }
        w.finalize().map_err(|e| file_error(path, e.to_string()))?;
    }
    rockpool_io::write_atomic(path, &bytes.into_inner())
        .map_err(|e| file_error(path, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wav_round_trip_and_scaling() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.wav");
        let x = Array2::from_shape_vec((4, 2), vec![0.0, -1.0, 0.5, 0.25, -0.5, 1.0, 0.125, 0.0])
            .unwrap();
        write_wav_i16(&p, &x, 16000).unwrap();
        let r = read_input(&p).unwrap();
        assert_eq!(r.sample_rate, Some(16000.0));
        let y = r.signal.to_f64();
        assert_eq!(y.dim(), (4, 2));
        // 1.0 clips to 32767/32768; the others are exact in 16 bits.
        assert_eq!(y[[2, 1]], 32767.0 / 32768.0);
        assert_eq!(y[[0, 1]], -1.0);
        assert_eq!(y[[1, 0]], 0.5);
        assert!(
            read_input(dir.path().join("x.mp3"))
                .unwrap_err()
                .to_string()
                .contains("unknown input format")
        );
        std::fs::write(dir.path().join("bad.wav"), b"RIFF1234WAVEjunk").unwrap();
        assert!(
            read_input(dir.path().join("bad.wav"))
                .unwrap_err()
                .to_string()
                .contains("bad.wav")
        );
    }
}
