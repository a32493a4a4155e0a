//! [`plot_lines`]: continuous signals, one line per channel.

use std::path::Path;

use ndarray::ArrayView2;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{PlotError, Result};
use crate::render::{Figure, render};
use crate::style::{self, Axes, MAX_LEGEND_ENTRIES};

/// Options for [`plot_lines`].
#[derive(Debug, Clone, PartialEq)]
pub struct LinePlot {
    /// Title above the axes; empty for none.
    pub title: String,
    /// x-axis label (default `"Time (s)"`).
    pub x_label: String,
    /// y-axis label (default empty).
    pub y_label: String,
    /// Vertical offset between channels: channel `c` is drawn shifted up by `c * stagger`,
    /// in y units, as Rockpool's `TSContinuous.plot(stagger=…)` does. `None` overlays them.
    pub stagger: Option<f64>,
    /// Legend names, one per channel; without them the legend says `0`, `1`, ….
    pub channel_names: Option<Vec<String>>,
    /// Image size in pixels (width, height), default 900 × 540.
    pub size: (u32, u32),
}

impl Default for LinePlot {
    fn default() -> Self {
        LinePlot {
            title: String::new(),
            x_label: "Time (s)".into(),
            y_label: String::new(),
            stagger: None,
            channel_names: None,
            size: (900, 540),
        }
    }
}

/// Plots a multichannel signal as lines to a `.png` or `.svg` file.
///
/// - `x`: sample positions, length `T` (times in seconds for time series).
/// - `ys`: values, shape `(T, C)`: one column per channel, as Rockpool stores time series.
///
/// Each channel gets a `tab10` colour; a legend is drawn when there are at most 8 channels and
/// either several of them or explicit `channel_names`. Non-finite values break a line; a lone
/// finite sample is drawn as a dot.
///
/// # Errors
/// [`PlotError::UnsupportedFormat`] for other extensions; [`PlotError::Empty`] if `T` or `C`
/// is 0; [`PlotError::InvalidInput`] if `x.len() != T`, `channel_names` has the wrong length,
/// `stagger` is not finite or the size is unreasonable; [`PlotError::Write`] if the file
/// cannot be written.
pub fn plot_lines(path: &Path, x: &[f64], ys: ArrayView2<'_, f64>, opts: &LinePlot) -> Result<()> {
    crate::render::check_target(path, opts.size)?;
    let invalid = |problem: String| PlotError::InvalidInput {
        path: path.to_path_buf(),
        problem,
    };
    let (samples, channels) = ys.dim();
    if samples == 0 {
        return Err(PlotError::Empty {
            path: path.to_path_buf(),
            what: "the signal has no samples",
        });
    }
    if channels == 0 {
        return Err(PlotError::Empty {
            path: path.to_path_buf(),
            what: "the signal has no channels",
        });
    }
    if x.len() != samples {
        return Err(invalid(format!(
            "{} x values for {samples} samples (ys has shape ({samples}, {channels}))",
            x.len()
        )));
    }
    if let Some(names) = &opts.channel_names
        && names.len() != channels
    {
        return Err(invalid(format!(
            "{} channel names for {channels} channels",
            names.len()
        )));
    }
    if opts.stagger.is_some_and(|s| !s.is_finite()) {
        return Err(invalid("stagger must be finite".into()));
    }
    render(path, opts.size, &Lines { x, ys, opts })
}

struct Lines<'a, 'v> {
    x: &'a [f64],
    ys: ArrayView2<'v, f64>,
    opts: &'a LinePlot,
}

impl Lines<'_, '_> {
    fn offset(&self, channel: usize) -> f64 {
        self.opts.stagger.unwrap_or(0.0) * channel as f64
    }
}

impl Figure for Lines<'_, '_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let opts = self.opts;
        let channels = self.ys.ncols();
        let x_range = style::axis_range(style::finite_range(self.x.iter().copied()), 0.0);
        // The y range covers only values drawn: those at a finite x.
        let drawn = self
            .ys
            .indexed_iter()
            .filter(|&((t, _), _)| self.x[t].is_finite())
            .map(|((_, c), &v)| v + self.offset(c));
        let y_range = style::axis_range(style::finite_range(drawn), 0.05);
        let axes = Axes {
            title: &opts.title,
            x_label: &opts.x_label,
            y_label: &opts.y_label,
            y_format: None,
            y_ticks: None,
            fine_grid: true,
        };
        let mut chart = style::chart(root, &axes, x_range, y_range)?;
        let with_legend =
            channels <= MAX_LEGEND_ENTRIES && (channels > 1 || opts.channel_names.is_some());
        for (c, column) in self.ys.columns().into_iter().enumerate() {
            let label = with_legend.then(|| match &opts.channel_names {
                Some(names) => names[c].clone(),
                None => c.to_string(),
            });
            let offset = self.offset(c);
            let points = self.x.iter().zip(column).map(|(&t, &v)| (t, v + offset));
            style::draw_broken_line(&mut chart, points, style::color(c), label.as_deref())?;
        }
        if with_legend {
            style::legend(&mut chart)?;
        }
        Ok(())
    }
}
