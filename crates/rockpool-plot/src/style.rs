//! Shared look: palette, font sizes, axis ranges and tick labels.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::cartesian::Cartesian2d;
use plotters::coord::ranged1d::{AsRangedCoord, Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use crate::render::msg;

/// Font family name under which the embedded font is registered.
pub(crate) const FONT: &str = "sans-serif";
/// Text sizes in pixels.
pub(crate) const TITLE_SIZE: u32 = 22;
pub(crate) const DESC_SIZE: u32 = 17;
pub(crate) const TICK_SIZE: u32 = 14;
pub(crate) const LEGEND_SIZE: u32 = 14;
/// Legends are drawn for at most this many entries; beyond, they would hide the data.
pub(crate) const MAX_LEGEND_ENTRIES: usize = 8;

/// Matplotlib's `tab10` cycle, so plots look like Python Rockpool's.
const TAB10: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The colour of the `i`-th line, cycling through `tab10`.
pub(crate) fn color(i: usize) -> RGBColor {
    TAB10[i % TAB10.len()]
}

/// Minimum and maximum of the finite values, if there are any.
pub(crate) fn finite_range(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// An axis range covering `range` with `pad` (a fraction of its width) on each side.
///
/// No data gives `-1..1`; a single value `v` gives `v ± 10 %` (`± 1` around zero), so constant
/// signals sit mid-axis instead of collapsing the axis to a point.
pub(crate) fn axis_range(range: Option<(f64, f64)>, pad: f64) -> Range<f64> {
    match range {
        None => -1.0..1.0,
        Some((lo, hi)) if hi - lo <= f64::EPSILON * lo.abs().max(hi.abs()) || hi == lo => {
            let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
            lo - d..hi + d
        }
        Some((lo, hi)) => {
            let d = (hi - lo) * pad;
            lo - d..hi + d
        }
    }
}

/// Tick labels for a linear axis over `range`: fixed-point with as many decimals as the tick
/// spacing needs (`0.25`, `1.5`, `-3`), scientific for very large or very small magnitudes
/// (`1.5e-12`, `1.0000001e6`; zero is `0`).
pub(crate) fn linear_ticks(range: Range<f64>) -> impl Fn(&f64) -> String {
    let span = (range.end - range.start).abs();
    let magnitude = range.start.abs().max(range.end.abs());
    // Plotters places at most ten ticks, 1, 2 or 5 times a power of ten apart, so the spacing
    // is at least span / 10 and its power of ten at least that of span / 8.
    let step = if span > 0.0 && span.is_finite() {
        10f64.powf(((span / 8.0).log10() + 1e-9).floor())
    } else {
        1.0
    };
    let scientific = magnitude >= 1e6 || (magnitude > 0.0 && magnitude < 1e-3);
    move |&v: &f64| {
        // Rounding noise around zero would print as `-0.0` or `1e-17`.
        let v = if v.abs() < step * 1e-3 { 0.0 } else { v };
        if scientific && v == 0.0 {
            "0".to_string()
        } else if scientific {
            let digits = ((magnitude / step).log10().ceil()).clamp(0.0, 15.0) as usize;
            let text = format!("{v:.digits$e}");
            match text.split_once('e') {
                Some((mantissa, exponent)) if mantissa.contains('.') => {
                    let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
                    format!("{mantissa}e{exponent}")
                }
                _ => text,
            }
        } else {
            let decimals = (-(step.log10() + 1e-9).floor()).max(0.0) as usize;
            format!("{v:.decimals$}")
        }
    }
}

/// A log axis range covering the positive `range`, padded by a factor 1.2 on each side;
/// a single value `v` gives `v / 2 .. 2 v`, no data `0.1 .. 10`.
pub(crate) fn log_axis_range(range: Option<(f64, f64)>) -> Range<f64> {
    match range {
        None => 0.1..10.0,
        Some((lo, hi)) if hi <= lo * (1.0 + 1e-9) => lo / 2.0..hi * 2.0,
        Some((lo, hi)) => lo / 1.2..hi * 1.2,
    }
}

/// A log-axis tick label: values `1`, `2` or `5` times a power of ten are written compactly
/// (`0.02`, `1`, `5000`, `1e-5`); other ticks stay unlabelled, so the labels never crowd.
pub(crate) fn log_tick(value: f64) -> String {
    if !(value.is_finite() && value > 0.0) {
        return String::new();
    }
    let exponent = value.log10().floor();
    let mantissa = value / 10f64.powf(exponent);
    let Some(m) = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .find(|m| (mantissa - m).abs() < 1e-6 * m)
    else {
        return String::new();
    };
    let (m, exponent) = if m == 10.0 {
        (1.0, exponent + 1.0)
    } else {
        (m, exponent)
    };
    if (-3.0..=4.0).contains(&exponent) {
        let digits = (-exponent).max(0.0) as usize;
        format!("{:.*}", digits, m * 10f64.powf(exponent))
    } else {
        format!("{m}e{exponent}")
    }
}

/// The chart type of every plot here: an `f64` x axis and an `f64` y axis, linear by default
/// (`Y` is the log coordinate for logarithmic axes).
pub(crate) type Chart<'a, DB, Y = RangedCoordf64> =
    ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>;

/// Axis texts and tick options shared by the plot kinds.
pub(crate) struct Axes<'f> {
    pub title: &'f str,
    pub x_label: &'f str,
    pub y_label: &'f str,
    /// Formats y tick labels (default: [`linear_ticks`] of the y range).
    pub y_format: Option<&'f dyn Fn(&f64) -> String>,
    /// Approximate number of y ticks (default: plotters' choice).
    pub y_ticks: Option<usize>,
    /// Draw the fine grid between labelled ticks (off for log axes, where plotters' fine
    /// lines bunch up unevenly).
    pub fine_grid: bool,
}

/// Lays out the title, axis areas and the grid with its tick labels.
pub(crate) fn chart<'a, DB, Y>(
    root: &'a DrawingArea<DB, Shift>,
    axes: &Axes<'_>,
    x: Range<f64>,
    y: impl AsRangedCoord<CoordDescType = Y, Value = f64>,
) -> Result<Chart<'a, DB, Y>, String>
where
    DB: DrawingBackend,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let mut builder = ChartBuilder::on(root);
    builder
        .margin(12)
        // Room for the last x tick label, which is centred on the right edge.
        .margin_right(28)
        .x_label_area_size(48)
        .y_label_area_size(if axes.y_label.is_empty() { 56 } else { 76 });
    if !axes.title.is_empty() {
        builder.caption(axes.title, (FONT, TITLE_SIZE));
    }
    let mut chart = builder.build_cartesian_2d(x, y).map_err(msg)?;
    let x_range = chart.x_range();
    let x_format = linear_ticks(x_range.clone());
    let y_linear = linear_ticks(chart.y_range());
    // As many x labels as fit side by side (at most plotters' usual 10).
    let widest = [x_range.start, x_range.end]
        .iter()
        .map(|v| x_format(v).chars().count())
        .max()
        .unwrap_or(1);
    let width = chart.plotting_area().dim_in_pixel().0 as usize;
    let x_ticks = (width / (widest * TICK_SIZE as usize * 6 / 10 + 24)).clamp(2, 10);
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(axes.x_label)
        .y_desc(axes.y_label)
        .axis_desc_style((FONT, DESC_SIZE))
        .label_style((FONT, TICK_SIZE))
        .light_line_style(if axes.fine_grid {
            RGBColor(243, 243, 243)
        } else {
            WHITE
        })
        .bold_line_style(RGBColor(218, 218, 218))
        .x_labels(x_ticks)
        .x_label_formatter(&x_format)
        .y_label_formatter(axes.y_format.unwrap_or(&y_linear));
    if let Some(n) = axes.y_ticks {
        mesh.y_labels(n);
    }
    mesh.draw().map_err(msg)?;
    Ok(chart)
}

/// Draws the legend of the labelled series in the upper right corner.
pub(crate) fn legend<'a, DB: DrawingBackend + 'a, Y: Ranged<ValueType = f64>>(
    chart: &mut Chart<'a, DB, Y>,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(180, 180, 180))
        .label_font((FONT, LEGEND_SIZE))
        .draw()
        .map_err(msg)
}

/// Draws one polyline per run of finite points (NaN and ±∞ break the line) and a dot for
/// each isolated point; with a label, adds a legend entry even if no point is finite.
pub(crate) fn draw_broken_line<'a, DB: DrawingBackend + 'a, Y: Ranged<ValueType = f64>>(
    chart: &mut Chart<'a, DB, Y>,
    points: impl IntoIterator<Item = (f64, f64)>,
    color: RGBColor,
    label: Option<&str>,
) -> Result<(), String> {
    let style = color.stroke_width(2);
    if let Some(label) = label {
        chart
            .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())
            .map_err(msg)?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
    }
    let mut run: Vec<(f64, f64)> = Vec::new();
    let mut flush = |run: &mut Vec<(f64, f64)>| -> Result<(), String> {
        match run.len() {
            0 => {}
            1 => {
                chart
                    .draw_series(std::iter::once(Circle::new(run[0], 3, color.filled())))
                    .map_err(msg)?;
            }
            _ => {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        std::mem::take(run),
                        style,
                    )))
                    .map_err(msg)?;
            }
        }
        run.clear();
        Ok(())
    };
    for (x, y) in points {
        if x.is_finite() && y.is_finite() {
            run.push((x, y));
        } else {
            flush(&mut run)?;
        }
    }
    flush(&mut run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(axis_range(None, 0.05), -1.0..1.0);
        assert_eq!(axis_range(Some((0.0, 0.0)), 0.05), -1.0..1.0);
        let r = axis_range(Some((2.0, 2.0)), 0.05);
        assert!((r.start - 1.8).abs() < 1e-12 && (r.end - 2.2).abs() < 1e-12);
        assert_eq!(axis_range(Some((0.0, 10.0)), 0.1), -1.0..11.0);
        assert_eq!(
            finite_range([f64::NAN, 3.0, f64::INFINITY, -1.0]),
            Some((-1.0, 3.0))
        );
        assert_eq!(finite_range([f64::NAN]), None);
    }

    #[test]
    fn linear_tick_labels() {
        // 999 samples at 1 ms: ticks 0.1 apart, one decimal.
        let f = linear_ticks(0.0..0.999);
        assert_eq!(
            (f(&0.0), f(&0.1), f(&0.5)),
            ("0.0".into(), "0.1".into(), "0.5".into())
        );
        let f = linear_ticks(1.8..2.2);
        assert_eq!((f(&1.85), f(&2.0)), ("1.85".into(), "2.00".into()));
        let f = linear_ticks(-10.0..110.0);
        assert_eq!((f(&20.0), f(&-10.0)), ("20".into(), "-10".into()));
        let f = linear_ticks(1e-12..2e-12);
        assert_eq!((f(&1.5e-12), f(&2e-12)), ("1.5e-12".into(), "2e-12".into()));
        let f = linear_ticks(1e6..1e6 + 1e-3);
        assert_eq!(f(&1_000_000.000_4), "1.0000000004e6");
        let f = linear_ticks(-1.0..1.0);
        assert_eq!((f(&1e-17), f(&-1e-17)), ("0.0".into(), "0.0".into()));
        assert_eq!(linear_ticks(1e-12..2e-12)(&0.0), "0");
    }

    #[test]
    fn log_ticks() {
        assert_eq!(log_tick(1.0), "1");
        assert_eq!(log_tick(0.01), "0.01");
        assert_eq!(log_tick(0.2), "0.2");
        assert_eq!(log_tick(0.30000000000000004), "");
        assert_eq!(log_tick(0.7), "");
        assert_eq!(log_tick(5000.0), "5000");
        assert_eq!(log_tick(0.09999999999999999), "0.1");
        assert_eq!(log_tick(1e-5), "1e-5");
        assert_eq!(log_tick(2e5), "2e5");
        assert_eq!(log_tick(0.0), "");
        assert_eq!(log_axis_range(Some((2.0, 2.0))), 1.0..4.0);
    }
}
