//! Every plot kind to PNG and SVG, the edge cases, and the errors.
//!
//! Set `ROCKPOOL_PLOT_TEST_OUT=/some/dir` to keep the images for a look.

use std::path::{Path, PathBuf};

use ndarray::{Array2, array};
use rockpool_plot::{
    CurvePlot, LinePlot, PlotError, RasterPlot, plot_curves, plot_lines, plot_raster,
};

/// An output directory for one test, removed afterwards unless `ROCKPOOL_PLOT_TEST_OUT` is
/// set (then it is kept there for a look).
struct OutDir(PathBuf);

impl Drop for OutDir {
    fn drop(&mut self) {
        if std::env::var_os("ROCKPOOL_PLOT_TEST_OUT").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl std::ops::Deref for OutDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

fn out_dir(test: &str) -> OutDir {
    let dir = match std::env::var_os("ROCKPOOL_PLOT_TEST_OUT") {
        Some(base) => PathBuf::from(base).join(test),
        None => std::env::temp_dir().join(format!("rockpool-plot-{}-{test}", std::process::id())),
    };
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    OutDir(dir)
}

/// Decodes a PNG file and returns (width, height, RGB bytes).
fn decode_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// Number of pixels of exactly this colour.
fn count_color(rgb: &[u8], color: [u8; 3]) -> usize {
    rgb.chunks_exact(3).filter(|p| *p == color).count()
}

fn svg_text(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains("<svg"), "not an SVG");
    assert!(text.trim_end().ends_with("</svg>"), "SVG not closed");
    text
}

const BLUE: [u8; 3] = [31, 119, 180];
const ORANGE: [u8; 3] = [255, 127, 14];

fn sines(samples: usize, channels: usize) -> (Vec<f64>, Array2<f64>) {
    let t: Vec<f64> = (0..samples).map(|i| i as f64 * 1e-3).collect();
    let ys = Array2::from_shape_fn((samples, channels), |(i, c)| {
        (t[i] * 2.0 * std::f64::consts::PI * (c + 1) as f64).sin()
    });
    (t, ys)
}

#[test]
fn lines_png_and_svg() {
    let dir = out_dir("lines");
    let (t, ys) = sines(1000, 3);
    let opts = LinePlot {
        title: "Sinusoids".into(),
        y_label: "Value".into(),
        stagger: Some(2.5),
        channel_names: Some(vec!["slow".into(), "medium".into(), "fast".into()]),
        ..LinePlot::default()
    };
    let png_path = dir.join("lines.png");
    plot_lines(&png_path, &t, ys.view(), &opts).unwrap();
    let (w, h, rgb) = decode_png(&png_path);
    assert_eq!((w, h), (900, 540));
    assert!(count_color(&rgb, BLUE) > 500, "first channel drawn");
    assert!(count_color(&rgb, ORANGE) > 500, "second channel drawn");

    let svg_path = dir.join("lines.svg");
    plot_lines(&svg_path, &t, ys.view(), &opts).unwrap();
    let svg = svg_text(&svg_path);
    for text in ["Sinusoids", "Time (s)", "Value", "slow", "medium", "fast"] {
        assert!(svg.contains(text), "SVG lacks '{text}'");
    }
}

#[test]
fn many_channels_have_no_legend_and_one_channel_has_none_by_default() {
    let dir = out_dir("no-legend");
    let (t, ys) = sines(200, 12);
    let path = dir.join("many.svg");
    plot_lines(&path, &t, ys.view(), &LinePlot::default()).unwrap();
    // With a legend, plotters writes each channel index as a text element.
    assert!(!svg_text(&path).contains(">11<"));
    let (t, ys) = sines(200, 1);
    plot_lines(&path, &t, ys.view(), &LinePlot::default()).unwrap();
    assert!(!svg_text(&path).contains(">0</text>"));
}

#[test]
fn text_is_rendered_with_the_embedded_font() {
    // The same plot with and without a title: the title's glyphs must change the top rows.
    let dir = out_dir("font");
    let (t, ys) = sines(100, 1);
    let with = dir.join("with.png");
    let without = dir.join("without.png");
    let opts = LinePlot {
        title: "Title text".into(),
        ..LinePlot::default()
    };
    plot_lines(&with, &t, ys.view(), &opts).unwrap();
    plot_lines(&without, &t, ys.view(), &LinePlot::default()).unwrap();
    // The title's box: the top 32 rows, middle third of the width.
    let (w, _, a) = decode_png(&with);
    let w = w as usize;
    let dark = |rgb: &[u8]| {
        (0..32)
            .flat_map(|row| (w / 3..2 * w / 3).map(move |col| (row * w + col) * 3))
            .filter(|&i| rgb[i] < 128)
            .count()
    };
    assert!(dark(&a) > 50, "title glyphs drawn");
    assert_eq!(dark(&decode_png(&without).2), 0);
}

#[test]
fn line_edge_cases() {
    let dir = out_dir("line-edges");
    // Constant signal: zero y range.
    let t = [0.0, 0.1, 0.2];
    plot_lines(
        &dir.join("constant.png"),
        &t,
        array![[2.0], [2.0], [2.0]].view(),
        &LinePlot::default(),
    )
    .unwrap();
    // NaN values are skipped, breaking the line; NaN in x too.
    let ys = array![
        [0.0, 1.0],
        [f64::NAN, 2.0],
        [1.0, f64::INFINITY],
        [2.0, 3.0]
    ];
    plot_lines(
        &dir.join("nan.png"),
        &[0.0, 1.0, f64::NAN, 3.0],
        ys.view(),
        &LinePlot::default(),
    )
    .unwrap();
    // Everything NaN: an empty axis with the default range.
    plot_lines(
        &dir.join("all_nan.svg"),
        &[0.0, 1.0],
        array![[f64::NAN], [f64::NAN]].view(),
        &LinePlot::default(),
    )
    .unwrap();
    // A single sample is a dot.
    let path = dir.join("single.png");
    plot_lines(&path, &[0.5], array![[1.0]].view(), &LinePlot::default()).unwrap();
    assert!(count_color(&decode_png(&path).2, BLUE) > 10);
    // Large offsets and tiny ranges.
    plot_lines(
        &dir.join("offset.png"),
        &[1e6, 1e6 + 1e-3],
        array![[1e-12], [2e-12]].view(),
        &LinePlot::default(),
    )
    .unwrap();
}

#[test]
fn line_errors() {
    let dir = out_dir("line-errors");
    let ys = array![[1.0], [2.0]];
    let empty = Array2::<f64>::zeros((0, 3));
    let no_channels = Array2::<f64>::zeros((5, 0));
    let opts = LinePlot::default();

    let err = plot_lines(&dir.join("x.jpg"), &[0.0, 1.0], ys.view(), &opts).unwrap_err();
    assert!(matches!(err, PlotError::UnsupportedFormat { .. }));
    assert!(
        err.to_string().contains("x.jpg: unsupported plot format"),
        "{err}"
    );
    assert!(!dir.join("x.jpg").exists());
    assert!(plot_lines(&dir.join("noext"), &[0.0, 1.0], ys.view(), &opts).is_err());

    let err = plot_lines(&dir.join("e.png"), &[], empty.view(), &opts).unwrap_err();
    assert!(matches!(err, PlotError::Empty { .. }), "{err}");
    let err = plot_lines(&dir.join("e.png"), &[0.0; 5], no_channels.view(), &opts).unwrap_err();
    assert!(matches!(err, PlotError::Empty { .. }), "{err}");
    let err = plot_lines(&dir.join("e.png"), &[0.0], ys.view(), &opts).unwrap_err();
    assert!(
        err.to_string().contains("1 x values for 2 samples"),
        "{err}"
    );
    let names = LinePlot {
        channel_names: Some(vec!["a".into(), "b".into()]),
        ..LinePlot::default()
    };
    assert!(plot_lines(&dir.join("e.png"), &[0.0, 1.0], ys.view(), &names).is_err());
    let tiny = LinePlot {
        size: (10, 10),
        ..LinePlot::default()
    };
    assert!(plot_lines(&dir.join("e.png"), &[0.0, 1.0], ys.view(), &tiny).is_err());
    let err = plot_lines(
        &dir.join("no/such/dir/e.png"),
        &[0.0, 1.0],
        ys.view(),
        &opts,
    );
    assert!(matches!(err, Err(PlotError::Write(_))));
    assert!(!dir.join("e.png").exists());
}

#[test]
fn raster_png_and_svg() {
    let dir = out_dir("raster");
    // A regular pattern: channel c fires every (c + 1) * 10 ms over 1 s.
    let (mut times, mut channels) = (Vec::new(), Vec::new());
    for c in 0..10 {
        let period = (c + 1) as f64 * 0.01;
        let mut t = 0.0;
        while t < 1.0 {
            times.push(t);
            channels.push(c);
            t += period;
        }
    }
    let opts = RasterPlot {
        title: "Spike raster".into(),
        ..RasterPlot::default()
    };
    let png_path = dir.join("raster.png");
    plot_raster(&png_path, &times, &channels, 10, (0.0, 1.0), &opts).unwrap();
    let (_, _, rgb) = decode_png(&png_path);
    assert!(count_color(&rgb, BLUE) > 1000, "events drawn");
    let svg_path = dir.join("raster.svg");
    plot_raster(&svg_path, &times, &channels, 10, (0.0, 1.0), &opts).unwrap();
    let svg = svg_text(&svg_path);
    assert!(svg.contains("Spike raster") && svg.contains("Channel"));
}

#[test]
fn raster_edge_cases_and_errors() {
    let dir = out_dir("raster-edges");
    let opts = RasterPlot::default();
    // No events: an empty raster.
    let path = dir.join("silent.png");
    plot_raster(&path, &[], &[], 4, (0.0, 1.0), &opts).unwrap();
    assert_eq!(count_color(&decode_png(&path).2, BLUE), 0);
    // No channels, zero-length time range, events outside the range or NaN.
    plot_raster(&dir.join("none.svg"), &[], &[], 0, (0.5, 0.5), &opts).unwrap();
    plot_raster(
        &dir.join("outside.png"),
        &[-1.0, f64::NAN, 0.5, 2.0],
        &[0, 1, 2, 0],
        3,
        (0.0, 1.0),
        &opts,
    )
    .unwrap();
    // Named channels.
    let named = RasterPlot {
        channel_names: Some(vec!["in".into(), "hidden".into(), "out".into()]),
        ..RasterPlot::default()
    };
    let svg = dir.join("named.svg");
    plot_raster(&svg, &[0.1, 0.2], &[0, 2], 3, (0.0, 0.3), &named).unwrap();
    assert!(svg_text(&svg).contains("hidden"));

    let bad = |times: &[f64], channels: &[usize], n, range| {
        plot_raster(&dir.join("bad.png"), times, channels, n, range, &opts).unwrap_err()
    };
    let err = bad(&[0.1], &[3], 3, (0.0, 1.0));
    assert!(
        err.to_string()
            .contains("event on channel 3, but there are only 3 channels"),
        "{err}"
    );
    assert!(
        bad(&[0.1, 0.2], &[0], 3, (0.0, 1.0))
            .to_string()
            .contains("2 event times")
    );
    assert!(
        bad(&[], &[], 3, (1.0, 0.0))
            .to_string()
            .contains("invalid time range")
    );
    assert!(
        bad(&[], &[], 3, (0.0, f64::INFINITY))
            .to_string()
            .contains("invalid time range")
    );
    let err = plot_raster(&dir.join("bad.gif"), &[], &[], 3, (0.0, 1.0), &opts).unwrap_err();
    assert!(matches!(err, PlotError::UnsupportedFormat { .. }));
}

#[test]
fn curves_png_and_svg() {
    let dir = out_dir("curves");
    let steps: Vec<f64> = (0..100).map(f64::from).collect();
    let train: Vec<f64> = steps
        .iter()
        .map(|s| 2.0 * (-s / 20.0).exp() + 0.05)
        .collect();
    let epochs: Vec<f64> = (0..10).map(|e| f64::from(e) * 10.0 + 9.0).collect();
    let val: Vec<f64> = epochs
        .iter()
        .map(|s| 2.2 * (-s / 25.0).exp() + 0.1)
        .collect();
    let series = [
        ("train loss", &steps[..], &train[..]),
        ("validation loss", &epochs[..], &val[..]),
    ];
    let opts = CurvePlot {
        title: "Training".into(),
        x_label: "Step".into(),
        y_label: "Loss".into(),
        ..CurvePlot::default()
    };
    let png_path = dir.join("curves.png");
    plot_curves(&png_path, &series, &opts).unwrap();
    let (_, _, rgb) = decode_png(&png_path);
    assert!(count_color(&rgb, BLUE) > 200 && count_color(&rgb, ORANGE) > 100);
    let svg_path = dir.join("curves.svg");
    plot_curves(&svg_path, &series, &opts).unwrap();
    let svg = svg_text(&svg_path);
    for text in ["Training", "Step", "Loss", "train loss", "validation loss"] {
        assert!(svg.contains(text), "SVG lacks '{text}'");
    }
    let log = CurvePlot {
        log_y: true,
        ..opts.clone()
    };
    plot_curves(&dir.join("curves_log.png"), &series, &log).unwrap();
}

#[test]
fn curve_edge_cases_and_errors() {
    let dir = out_dir("curve-edges");
    let opts = CurvePlot::default();
    // Series without points yet: an empty axis with a legend.
    let svg = dir.join("empty_series.svg");
    plot_curves(&svg, &[("loss", &[], &[])], &opts).unwrap();
    assert!(svg_text(&svg).contains("loss"));
    // One point, a NaN, non-positive values on a log axis.
    plot_curves(
        &dir.join("odd.png"),
        &[
            ("a", &[0.0, 1.0, 2.0], &[1.0, f64::NAN, 0.0]),
            ("", &[5.0], &[3.0]),
        ],
        &CurvePlot {
            log_y: true,
            ..CurvePlot::default()
        },
    )
    .unwrap();

    let err = plot_curves(&dir.join("e.png"), &[], &opts).unwrap_err();
    assert!(matches!(err, PlotError::Empty { .. }), "{err}");
    let err = plot_curves(&dir.join("e.png"), &[("loss", &[0.0, 1.0], &[1.0])], &opts).unwrap_err();
    assert!(
        err.to_string()
            .contains("series 'loss' has 2 x values but 1 y values"),
        "{err}"
    );
    assert!(plot_curves(&dir.join("e.pdf"), &[("loss", &[], &[])], &opts).is_err());
}

#[test]
fn overwrites_an_existing_plot_in_place() {
    let dir = out_dir("overwrite");
    let path = dir.join("p.svg");
    std::fs::write(&path, "old").unwrap();
    plot_curves(
        &path,
        &[("x", &[0.0, 1.0], &[0.0, 1.0])],
        &CurvePlot::default(),
    )
    .unwrap();
    svg_text(&path);
    let names: Vec<_> = std::fs::read_dir(&*dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["p.svg"], "no temporary files left");
}
