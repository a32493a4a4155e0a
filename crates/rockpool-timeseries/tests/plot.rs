//! The plot glue writes PNG and SVG files titled with the series' name.
#![cfg(feature = "plot")]

use ndarray::Array2;
use rockpool_timeseries::{TimeSeriesError, TsContinuous, TsEvent};

#[test]
fn plots_both_kinds_to_png_and_svg() {
    let dir = std::env::temp_dir().join(format!("rockpool-ts-plot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    let samples = Array2::from_shape_fn((200, 3), |(i, c)| {
        ((i as f64) * 0.05 * (c + 1) as f64).sin()
    });
    let ts =
        TsContinuous::from_clocked(samples, 1e-3, 0.0, false, "three sines", Default::default())
            .unwrap()
            .with_units("V");
    ts.plot(dir.join("sines.png"), Some(2.5)).unwrap();
    ts.plot(dir.join("sines.svg"), None).unwrap();
    let png = std::fs::read(dir.join("sines.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let svg = std::fs::read_to_string(dir.join("sines.svg")).unwrap();
    assert!(svg.contains("three sines") && svg.contains("Time (s)"));

    let spikes = TsEvent::new(vec![0.01, 0.05, 0.05, 0.12], vec![0, 3, 1, 0], 0.2)
        .unwrap()
        .with_name("spikes");
    spikes.plot(dir.join("spikes.svg")).unwrap();
    assert!(
        std::fs::read_to_string(dir.join("spikes.svg"))
            .unwrap()
            .contains("spikes")
    );
    TsEvent::empty(0.0, 1.0, 2)
        .unwrap()
        .plot(dir.join("silence.png"))
        .unwrap();

    let err = spikes.plot(dir.join("spikes.pdf")).unwrap_err();
    assert!(matches!(err, TimeSeriesError::Plot(_)), "{err}");
    assert!(
        TsContinuous::empty(1, 0.0, 1.0)
            .unwrap()
            .plot(dir.join("empty.png"), None)
            .is_err()
    );
    if std::env::var_os("KEEP_PLOTS").is_none() {
        std::fs::remove_dir_all(&dir).unwrap();
    } else {
        eprintln!("plots kept in {}", dir.display());
    }
}
