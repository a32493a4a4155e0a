//! Plots of time series to PNG or SVG files (format from the file name), through
//! `rockpool-plot`.

use std::path::Path;

use rockpool_plot::{LinePlot, RasterPlot, plot_lines, plot_raster};

use crate::continuous::TsContinuous;
use crate::error::Result;
use crate::event::TsEvent;
use crate::io::TimeSeries;

impl TsContinuous {
    /// Plots every channel against time (seconds) to a `.png` or `.svg` file, titled with the
    /// series' name and with its units (if any) on the y axis. With `stagger`, channel `c` is
    /// shifted up by `c · stagger` (in sample units), as Rockpool's `plot(stagger=…)`.
    ///
    /// # Errors
    /// [`TimeSeriesError::Plot`](crate::TimeSeriesError::Plot) if the series has no samples or
    /// channels, the extension is not `.png`/`.svg`, or the file cannot be written.
    pub fn plot(&self, path: impl AsRef<Path>, stagger: Option<f64>) -> Result<()> {
        let opts = LinePlot {
            title: self.name().to_string(),
            y_label: self.units().unwrap_or_default().to_string(),
            stagger,
            ..LinePlot::default()
        };
        plot_lines(path.as_ref(), self.times(), self.samples().view(), &opts)?;
        Ok(())
    }
}

impl TsEvent {
    /// Plots the events as a raster (time in seconds across, channel up) over
    /// `[t_start, t_stop]` to a `.png` or `.svg` file, titled with the series' name. A series
    /// without events gives empty axes.
    ///
    /// # Errors
    /// [`TimeSeriesError::Plot`](crate::TimeSeriesError::Plot) if the extension is not
    /// `.png`/`.svg` or the file cannot be written.
    pub fn plot(&self, path: impl AsRef<Path>) -> Result<()> {
        let opts = RasterPlot {
            title: self.name().to_string(),
            ..RasterPlot::default()
        };
        plot_raster(
            path.as_ref(),
            self.times(),
            self.channels(),
            self.num_channels(),
            (self.t_start(), self.t_stop()),
            &opts,
        )?;
        Ok(())
    }
}

impl TimeSeries {
    /// Plots a series of either kind; see [`TsContinuous::plot`] (without stagger) and
    /// [`TsEvent::plot`].
    ///
    /// # Errors
    /// As those methods.
    pub fn plot(&self, path: impl AsRef<Path>) -> Result<()> {
        match self {
            TimeSeries::Continuous(ts) => ts.plot(path, None),
            TimeSeries::Event(ts) => ts.plot(path),
        }
    }
}
