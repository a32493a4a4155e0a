//! Plots of signals to PNG and SVG files: time-series lines, event rasters and training
//! curves.
//!
//! Three functions cover what `rockpool` draws:
//!
//! - [`plot_lines`]: continuous signals (a `TSContinuous`, an evolution record), one line per
//!   channel, optionally staggered.
//! - [`plot_raster`]: events (a `TSEvent`, spike outputs), one short vertical tick per event,
//!   channel on the y axis.
//! - [`plot_curves`]: several named x/y series on one axis (losses, accuracies), optionally on
//!   a logarithmic y axis.
//!
//! Inputs are plain slices and `ndarray` views, so this crate does not depend on the other
//! `rockpool` crates. The format follows the file name: `.png` (RGB, antialiased) or `.svg`;
//! anything else is [`PlotError::UnsupportedFormat`]. Files are written atomically with
//! [`rockpool_io::write_atomic`].
//!
//! ```no_run
//! use ndarray::Array2;
//! use rockpool_plot::{LinePlot, plot_lines};
//!
//! let t: Vec<f64> = (0..1000).map(|i| i as f64 * 1e-3).collect();
//! let ys = Array2::from_shape_fn((1000, 3), |(i, c)| (t[i] * (c + 1) as f64 * 6.28).sin());
//! let opts = LinePlot { title: "Sinusoids".into(), stagger: Some(2.5), ..LinePlot::default() };
//! plot_lines("sines.png".as_ref(), &t, ys.view(), &opts)?;
//! # Ok::<(), rockpool_plot::PlotError>(())
//! ```
//!
//! # Fonts
//!
//! Text is drawn with DejaVu Sans, embedded in the binary (`assets/DejaVuSans.ttf`, Bitstream
//! Vera licence in `assets/DejaVuSans-LICENSE.txt`), so rendering never looks for system fonts
//! and works on a bare machine or in CI. SVG files name the `sans-serif` family; the viewer
//! picks the face.
//!
//! # Edge cases
//!
//! - Non-finite values (NaN, ±∞) are skipped: a line is broken around them.
//! - A constant signal, or a single sample, gets a small range around its value; a lone
//!   sample is drawn as a dot.
//! - Nothing to draw is an error where no axis can be defined — [`plot_lines`] with no
//!   samples or no channels, [`plot_curves`] with no series — and an empty axis where it can:
//!   a raster with no events (a silent network) or curves whose series have no points yet.

mod curves;
mod error;
mod lines;
mod raster;
mod render;
mod style;

pub use curves::{CurvePlot, plot_curves};
pub use error::{PlotError, Result};
pub use lines::{LinePlot, plot_lines};
pub use raster::{RasterPlot, plot_raster};
pub use render::Format;
