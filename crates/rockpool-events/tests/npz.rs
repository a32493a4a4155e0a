//! rockpool's `.npz` event format: writer → reader round trips, files written by hand, and
//! malformed archives.

use ndarray::{ArrayD, IxDyn};
use rockpool_events::{EventDataset, EventStream, NpzEventDataset, SensorSize, write_event_npz};
use rockpool_io::{NpyArray, write_npz};

fn v<T>(x: Vec<T>) -> NpyArray
where
    NpyArray: From<ArrayD<T>>,
{
    let n = x.len();
    NpyArray::from(ArrayD::from_shape_vec(IxDyn(&[n]), x).unwrap())
}

#[test]
fn round_trip_audio_and_camera() {
    let dir = tempfile::tempdir().unwrap();
    let audio = vec![
        (
            EventStream::from_channels(vec![0.0, 0.5, 0.5], vec![699, 0, 3]).unwrap(),
            2,
        ),
        (EventStream::default(), 0),
        (EventStream::from_channels(vec![1e-6], vec![7]).unwrap(), 4),
    ];
    let path = dir.path().join("audio.npz");
    write_event_npz(&path, &audio, SensorSize::SHD, 5).unwrap();
    let d = NpzEventDataset::open(&path).unwrap();
    let info = d.info();
    assert_eq!(
        (
            info.name.as_str(),
            info.samples,
            info.classes,
            info.total_events
        ),
        ("audio", 3, 5, Some(4))
    );
    assert_eq!(info.sensor, SensorSize::SHD);
    for (i, (ev, label)) in audio.iter().enumerate() {
        assert_eq!(&d.get(i).unwrap(), &(ev.clone(), *label));
    }
    let keys: Vec<String> = rockpool_io::read_npz(&path)
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        keys,
        [
            "times",
            "channels",
            "offsets",
            "labels",
            "sensor",
            "num_classes"
        ]
    );

    let cam = vec![(
        EventStream::new(vec![0.1, 0.2], vec![33, 0], vec![0, 33], vec![1, 0]).unwrap(),
        9,
    )];
    let path = dir.path().join("cam.npz");
    write_event_npz(&path, &cam, SensorSize::NMNIST, 10).unwrap();
    let d = NpzEventDataset::open(&path).unwrap();
    assert_eq!(d.sensor(), SensorSize::NMNIST);
    assert_eq!(d.get(0).unwrap(), cam[0]);

    // The writer refuses what the reader would refuse, and writes nothing.
    let bad = vec![(EventStream::from_channels(vec![0.0], vec![700]).unwrap(), 0)];
    let path = dir.path().join("bad.npz");
    let m = write_event_npz(&path, &bad, SensorSize::SHD, 5)
        .unwrap_err()
        .to_string();
    assert!(m.contains("bad.npz, sample 0") && m.contains("`x`"), "{m}");
    assert!(!path.exists());
    let m = write_event_npz(&path, &audio, SensorSize::SHD, 3)
        .unwrap_err()
        .to_string();
    assert!(m.contains("sample 2") && m.contains("labels"), "{m}");
}

#[test]
fn hand_written_file_with_inferred_sensor_and_classes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.npz");
    write_npz(
        &path,
        &[
            ("times".into(), v(vec![0.0f32, 0.25, 0.125])),
            ("x".into(), v(vec![1i32, 4, 0])),
            ("y".into(), v(vec![0i64, 2, 0])),
            ("p".into(), v(vec![0.0f64, 1.0, 0.0])),
            ("offsets".into(), v(vec![0u8, 2, 3])),
            ("labels".into(), v(vec![1i16, 3])),
        ],
    )
    .unwrap();
    let d = NpzEventDataset::open(&path).unwrap();
    assert_eq!(
        d.sensor(),
        SensorSize {
            width: 5,
            height: 3,
            polarities: 2
        }
    );
    assert_eq!((d.len(), d.num_classes()), (2, 4));
    let (ev, l) = d.get(0).unwrap();
    assert_eq!(
        (ev.t, ev.x, ev.y, ev.p, l),
        (vec![0.0, 0.25], vec![1, 4], vec![0, 2], vec![0, 1], 1)
    );
    assert_eq!(d.get(1).unwrap().0.t, vec![0.125]);
}

#[test]
fn malformed_archives_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let base = || {
        vec![
            ("times".to_string(), v(vec![0.5f64, 0.0, 0.25])),
            ("channels".to_string(), v(vec![1u16, 2, 3])),
            ("offsets".to_string(), v(vec![0i64, 2, 3])),
            ("labels".to_string(), v(vec![0i64, 1])),
        ]
    };
    type Edit = Box<dyn Fn(&mut Vec<(String, NpyArray)>)>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "missing",
            Box::new(|a| a.retain(|(k, _)| k != "labels")),
            "`labels`: missing",
        ),
        (
            "end",
            Box::new(|a| a[2].1 = v(vec![0i64, 2, 4])),
            "`offsets`: must start at 0 and end",
        ),
        (
            "decreasing",
            Box::new(|a| a[2].1 = v(vec![0i64, 3, 2, 3])),
            "`offsets`",
        ),
        (
            "count",
            Box::new(|a| a[3].1 = v(vec![0i64])),
            "1 labels for 2 samples",
        ),
        (
            "negative",
            Box::new(|a| a[3].1 = v(vec![0i64, -1])),
            "`labels`: event 1: value -1",
        ),
        (
            "both",
            Box::new(|a| a.push(("x".into(), v(vec![1u16, 2, 3])))),
            "either `channels`",
        ),
        (
            "short",
            Box::new(|a| a[1].1 = v(vec![1u16, 2])),
            "`channels`: 2 entries",
        ),
        (
            "wide",
            Box::new(|a| a[1].1 = v(vec![1u32, 70000, 3])),
            "`channels`: event 1: value 70000",
        ),
        (
            "sensor",
            Box::new(|a| a.push(("sensor".into(), v(vec![700i64, 1])))),
            "`sensor`",
        ),
        (
            "classes",
            Box::new(|a| a.push(("num_classes".into(), v(vec![1i64])))),
            "sample 1, field `labels`",
        ),
    ];
    for (name, edit, what) in cases {
        let mut arrays = base();
        edit(&mut arrays);
        let path = dir.path().join(format!("{name}.npz"));
        write_npz(&path, &arrays).unwrap();
        let m = NpzEventDataset::open(&path).unwrap_err().to_string();
        assert!(
            m.contains(&format!("{name}.npz")) && m.contains(what),
            "{name}: {m}"
        );
    }
    // Unsorted times within a sample: found when the sample is read.
    let path = dir.path().join("ok.npz");
    write_npz(&path, &base()).unwrap();
    let d = NpzEventDataset::open(&path).unwrap();
    let m = d.get(0).unwrap_err().to_string();
    assert!(
        m.contains("ok.npz, sample 0, field `times`") && m.contains("not sorted"),
        "{m}"
    );
    assert_eq!(d.get(1).unwrap().0.x, vec![3]);
    // A unit beyond a declared sensor.
    let mut arrays = base();
    arrays.push(("sensor".into(), v(vec![3i64, 1, 1])));
    let path = dir.path().join("range.npz");
    write_npz(&path, &arrays).unwrap();
    let m = NpzEventDataset::open(&path)
        .unwrap()
        .get(1)
        .unwrap_err()
        .to_string();
    assert!(
        m.contains("range.npz, sample 1, field `x`") && m.contains("value 3"),
        "{m}"
    );
}
