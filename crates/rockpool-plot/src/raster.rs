//! [`plot_raster`]: events as a raster, one row per channel.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{PlotError, Result};
use crate::render::{Figure, render};
use crate::style::{self, Axes};

/// Options for [`plot_raster`].
#[derive(Debug, Clone, PartialEq)]
pub struct RasterPlot {
    /// Title above the axes; empty for none.
    pub title: String,
    /// x-axis label (default `"Time (s)"`).
    pub x_label: String,
    /// y-axis label (default `"Channel"`).
    pub y_label: String,
    /// Names shown instead of channel indices on the y axis, one per channel.
    pub channel_names: Option<Vec<String>>,
    /// Image size in pixels (width, height), default 900 × 540.
    pub size: (u32, u32),
}

impl Default for RasterPlot {
    fn default() -> Self {
        RasterPlot {
            title: String::new(),
            x_label: "Time (s)".into(),
            y_label: "Channel".into(),
            channel_names: None,
            size: (900, 540),
        }
    }
}

/// Plots events as a raster to a `.png` or `.svg` file: one short vertical tick per event at
/// `(times[i], channels[i])`, channels `0..num_channels` from bottom to top.
///
/// - `times`: event times (seconds), any order; `channels`: the channel of each event.
/// - `t_range`: the time axis `(start, stop)`, as a `TSEvent`'s `t_start` and `t_stop`;
///   events outside it, and non-finite times, are not drawn.
///
/// No events gives an empty raster (a silent network is a valid result).
///
/// # Errors
/// [`PlotError::UnsupportedFormat`] for other extensions; [`PlotError::InvalidInput`] if the
/// slices differ in length, a channel is `>= num_channels`, `t_range` is not finite or has
/// `stop < start`, or `channel_names` has the wrong length; [`PlotError::Write`] if the file
/// cannot be written.
pub fn plot_raster(
    path: &Path,
    times: &[f64],
    channels: &[usize],
    num_channels: usize,
    t_range: (f64, f64),
    opts: &RasterPlot,
) -> Result<()> {
    crate::render::check_target(path, opts.size)?;
    let invalid = |problem: String| PlotError::InvalidInput {
        path: path.to_path_buf(),
        problem,
    };
    if times.len() != channels.len() {
        return Err(invalid(format!(
            "{} event times but {} event channels",
            times.len(),
            channels.len()
        )));
    }
    if let Some(&c) = channels.iter().find(|&&c| c >= num_channels) {
        return Err(invalid(format!(
            "event on channel {c}, but there are only {num_channels} channels"
        )));
    }
    let (start, stop) = t_range;
    if !start.is_finite() || !stop.is_finite() || stop < start {
        return Err(invalid(format!("invalid time range ({start}, {stop})")));
    }
    if let Some(names) = &opts.channel_names
        && names.len() != num_channels
    {
        return Err(invalid(format!(
            "{} channel names for {num_channels} channels",
            names.len()
        )));
    }
    let raster = Raster {
        times,
        channels,
        num_channels,
        t_range,
        opts,
    };
    render(path, opts.size, &raster)
}

struct Raster<'a> {
    times: &'a [f64],
    channels: &'a [usize],
    num_channels: usize,
    t_range: (f64, f64),
    opts: &'a RasterPlot,
}

impl Figure for Raster<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let (start, stop) = self.t_range;
        let x_range = style::axis_range(Some((start, stop)), 0.0);
        let rows = self.num_channels.max(1);
        let y_range = -0.5..rows as f64 - 0.5;
        // Ticks only at whole channel numbers; plotters may place others in between.
        let format = |v: &f64| {
            let c = v.round();
            if (v - c).abs() > 1e-6 || c < 0.0 || c >= self.num_channels as f64 {
                return String::new();
            }
            match &self.opts.channel_names {
                Some(names) => names[c as usize].clone(),
                None => format!("{c:.0}"),
            }
        };
        let axes = Axes {
            title: &self.opts.title,
            x_label: &self.opts.x_label,
            y_label: &self.opts.y_label,
            y_format: Some(&format),
            y_ticks: Some(rows.clamp(2, 12)),
            fine_grid: true,
        };
        let mut chart = style::chart(root, &axes, x_range, y_range)?;
        // Ticks span 80 % of a row, but at least 1 pixel, in the data colour.
        let color = style::color(0);
        let events = self
            .times
            .iter()
            .zip(self.channels)
            .filter(|&(&t, _)| t.is_finite() && t >= start && t <= stop)
            .map(|(&t, &c)| {
                let c = c as f64;
                PathElement::new(vec![(t, c - 0.4), (t, c + 0.4)], color.stroke_width(1))
            });
        chart.draw_series(events).map_err(crate::render::msg)?;
        Ok(())
    }
}
