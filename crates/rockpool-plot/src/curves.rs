//! [`plot_curves`]: named x/y series on one axis, for training curves.

use std::path::Path;

use plotters::coord::Shift;
use plotters::coord::ranged1d::Ranged;
use plotters::prelude::*;

use crate::error::{PlotError, Result};
use crate::render::{Figure, render};
use crate::style::{self, Axes, MAX_LEGEND_ENTRIES};

/// Options for [`plot_curves`].
#[derive(Debug, Clone, PartialEq)]
pub struct CurvePlot {
    /// Title above the axes; empty for none.
    pub title: String,
    /// x-axis label (default `"Epoch"`).
    pub x_label: String,
    /// y-axis label (default empty).
    pub y_label: String,
    /// Logarithmic y axis (base 10, ticks labelled at 1, 2 and 5 times powers of ten);
    /// non-positive values are then skipped like NaN.
    pub log_y: bool,
    /// Image size in pixels (width, height), default 900 × 540.
    pub size: (u32, u32),
}

impl Default for CurvePlot {
    fn default() -> Self {
        CurvePlot {
            title: String::new(),
            x_label: "Epoch".into(),
            y_label: String::new(),
            log_y: false,
            size: (900, 540),
        }
    }
}

/// Plots named `(name, x, y)` series on one axis to a `.png` or `.svg` file, each in its own
/// colour, with a legend of the named series (at most 8 entries; series named `""` get no
/// entry).
///
/// Series may have different lengths and x values (e.g. training loss per step and validation
/// loss per epoch). Series without points draw nothing but keep their legend entry, so a
/// curve file can be written before training has produced anything.
///
/// # Errors
/// [`PlotError::UnsupportedFormat`] for other extensions; [`PlotError::Empty`] if `series` is
/// empty; [`PlotError::InvalidInput`] if a series' `x` and `y` differ in length;
/// [`PlotError::Write`] if the file cannot be written.
pub fn plot_curves(path: &Path, series: &[(&str, &[f64], &[f64])], opts: &CurvePlot) -> Result<()> {
    crate::render::check_target(path, opts.size)?;
    if series.is_empty() {
        return Err(PlotError::Empty {
            path: path.to_path_buf(),
            what: "no series",
        });
    }
    if let Some((name, x, y)) = series.iter().find(|(_, x, y)| x.len() != y.len()) {
        return Err(PlotError::InvalidInput {
            path: path.to_path_buf(),
            problem: format!(
                "series '{name}' has {} x values but {} y values",
                x.len(),
                y.len()
            ),
        });
    }
    render(path, opts.size, &Curves { series, opts })
}

struct Curves<'a> {
    series: &'a [(&'a str, &'a [f64], &'a [f64])],
    opts: &'a CurvePlot,
}

impl Curves<'_> {
    /// All finite points; on a log axis only those with a positive y.
    fn points(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.series.iter().flat_map(|(_, x, y)| {
            x.iter()
                .copied()
                .zip(y.iter().copied())
                .filter(|&(x, y)| x.is_finite() && y.is_finite() && (!self.opts.log_y || y > 0.0))
        })
    }

    /// Draws the series and the legend on a chart with either kind of y axis.
    fn draw_series<'a, DB: DrawingBackend + 'a, Y: Ranged<ValueType = f64>>(
        &self,
        mut chart: style::Chart<'a, DB, Y>,
    ) -> Result<(), String> {
        let named = self.series.iter().filter(|s| !s.0.is_empty()).count();
        let with_legend = named > 0 && named <= MAX_LEGEND_ENTRIES;
        for (i, (name, x, y)) in self.series.iter().enumerate() {
            let label = (with_legend && !name.is_empty()).then_some(*name);
            let log = self.opts.log_y;
            // Non-positive values have no place on a log axis: NaN breaks the line there.
            let points = x
                .iter()
                .zip(y.iter())
                .map(|(&x, &y)| (x, if log && y <= 0.0 { f64::NAN } else { y }));
            style::draw_broken_line(&mut chart, points, style::color(i), label)?;
        }
        if with_legend {
            style::legend(&mut chart)?;
        }
        Ok(())
    }
}

impl Figure for Curves<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let opts = self.opts;
        let x_range = style::axis_range(style::finite_range(self.points().map(|p| p.0)), 0.02);
        let y_data = style::finite_range(self.points().map(|p| p.1));
        // Plotters can yield the same log tick twice in a row (a decade's last fine tick and
        // the next decade's start); label it once, or its text is drawn twice, looking bold.
        let last = std::cell::Cell::new(f64::NAN);
        let log_format = |v: &f64| {
            if last.replace(*v) == *v {
                String::new()
            } else {
                style::log_tick(*v)
            }
        };
        let axes = Axes {
            title: &opts.title,
            x_label: &opts.x_label,
            y_label: &opts.y_label,
            y_format: opts.log_y.then_some(&log_format as &dyn Fn(&f64) -> String),
            y_ticks: None,
            fine_grid: !opts.log_y,
        };
        if opts.log_y {
            let y_range = style::log_axis_range(y_data).log_scale();
            self.draw_series(style::chart(root, &axes, x_range, y_range)?)
        } else {
            let y_range = style::axis_range(y_data, 0.05);
            self.draw_series(style::chart(root, &axes, x_range, y_range)?)
        }
    }
}
