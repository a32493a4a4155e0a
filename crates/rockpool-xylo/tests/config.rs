//! Configuration files: samna's XyloAudio 2 layout round-trips exactly; save/load; the
//! unverified XyloAudio 3 / XyloIMU layouts keep unknown keys.

use std::path::{Path, PathBuf};

use rockpool_xylo::{
    XyloConfig, XyloError, XyloFamily, XyloSpec, config_from_spec, spec_from_config,
    validate_config,
};

fn example_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/example_config_syns61201.json")
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rockpool-xylo-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn samna_example_round_trips_byte_for_byte() {
    let text = std::fs::read_to_string(example_path()).unwrap();
    let config = XyloConfig::from_json(&text, XyloFamily::Audio2).unwrap();
    assert_eq!(config.to_json(), text);
}

#[test]
fn samna_example_is_read_into_the_right_fields() {
    let config = XyloConfig::load(example_path(), XyloFamily::Audio2).unwrap();
    let XyloConfig::Audio2(c) = &config else {
        panic!("not XyloAudio 2")
    };
    assert!(c.synapse2_enable && c.bias_enable && c.reservoir.aliasing);
    assert_eq!(c.input.weights.dim(), (3, 5));
    assert_eq!(c.readout.weights.dim(), (5, 2));
    assert_eq!(c.reservoir.neurons[1].alias_target.0, Some(3));
    assert_eq!(c.debug.pe_access_ram_fsm_select, 31);

    let spec = spec_from_config(&config).unwrap();
    let d = spec.dims().unwrap();
    assert_eq!((d.n_in, d.n_hidden, d.n_out, d.n_syn), (3, 5, 2, 2));
    assert_eq!(spec.weights_in[[0, 0, 0]], -55);
    assert_eq!(spec.weights_in[[0, 0, 1]], 95);
    assert_eq!(spec.weights_rec[[0, 4, 0]], -14);
    assert_eq!(spec.weights_rec[[0, 0, 1]], -73);
    assert_eq!(spec.weights_out[[4, 1]], -51);
    assert_eq!(spec.bias[1], -5);
    assert_eq!(spec.dash_syn_2[0], 5);
    assert_eq!(
        (
            spec.weight_shift_in,
            spec.weight_shift_rec,
            spec.weight_shift_out
        ),
        (1, 2, 3)
    );
    assert_eq!(spec.aliases[1], vec![3]);

    let report = validate_config(&config);
    assert!(report.is_valid() && report.problems.is_empty(), "{report}");

    // Writing the example's spec back gives the same SNN configuration.
    let again = config_from_spec(&spec, XyloFamily::Audio2).unwrap();
    assert_eq!(spec_from_config(&again).unwrap(), spec);
    let XyloConfig::Audio2(a) = &again else {
        unreachable!()
    };
    assert_eq!(a.input, c.input);
    assert_eq!(a.reservoir, c.reservoir);
    assert_eq!(a.readout, c.readout);
    assert_eq!(a.debug, c.debug);
}

#[test]
fn save_is_atomic_and_load_reads_it_back() {
    let dir = temp_dir("save");
    let path = dir.join("net.json");
    let config = XyloConfig::load(example_path(), XyloFamily::Audio2).unwrap();
    std::fs::write(&path, "old content").unwrap();
    config.save(&path).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), config.to_json());
    assert_eq!(XyloConfig::load(&path, XyloFamily::Audio2).unwrap(), config);
    // No temporary files left behind.
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");

    // A directory that does not exist: an error naming the path, nothing written.
    let missing = dir.join("no/such/dir/net.json");
    let e = config.save(&missing).unwrap_err();
    assert!(
        matches!(e, XyloError::File(_)) && e.to_string().contains("no/such/dir"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn load_errors_name_the_file_and_the_problem() {
    let e = XyloConfig::load("/definitely/not/here.json", XyloFamily::Audio2).unwrap_err();
    assert!(matches!(e, XyloError::File(_)) && e.to_string().contains("/definitely/not/here.json"));

    let dir = temp_dir("load");
    let path = dir.join("broken.json");
    let text = std::fs::read_to_string(example_path())
        .unwrap()
        .replace("\"biasEnable\": true,", "");
    std::fs::write(&path, text).unwrap();
    let e = XyloConfig::load(&path, XyloFamily::Audio2)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("broken.json") && e.contains("biasEnable") && e.contains("XyloAudio 2"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unverified_families_round_trip_and_keep_unknown_keys() {
    for family in [XyloFamily::Audio3, XyloFamily::Imu] {
        let n_syn = family.chip().synapses_per_neuron;
        let mut spec = XyloSpec::<i32>::zeros_with_expansion(3, 6, 2, n_syn, 4, 3);
        spec.weights_in[[2, 3, 0]] = 12;
        spec.weights_out[[0, 1]] = -4;
        spec.threshold.fill(100);
        spec.dash_syn_2.fill(if n_syn == 2 { 1 } else { 0 });
        let config = config_from_spec(&spec, family).unwrap();
        let text = config.to_json();
        assert!(text.contains("\"hidden\"") && !text.contains("reservoir"));
        // A key this model does not know survives a load/save cycle.
        let with_extra = text.replacen(
            "\"value0\": {",
            "\"value0\": {\n        \"digitalFrontend\": {\"someSetting\": 7},",
            1,
        );
        let loaded = XyloConfig::from_json(&with_extra, family).unwrap();
        assert!(loaded.to_json().contains("\"someSetting\": 7"));
        assert_eq!(spec_from_config(&loaded).unwrap(), spec);
        assert!(
            validate_config(&loaded).is_valid(),
            "{}",
            validate_config(&loaded)
        );
    }
    // XyloIMU has no second synapse anywhere in its layout.
    let spec = XyloSpec::<i32>::zeros(2, 3, 1, 1);
    let text = config_from_spec(&spec, XyloFamily::Imu).unwrap().to_json();
    assert!(
        !text.contains("syn2") && !text.contains("iSyn2Decay") && text.contains("imuIfInputEnable")
    );
}

#[test]
fn configuration_flags_follow_the_spec() {
    let mut spec = XyloSpec::<i32>::zeros(2, 3, 1, 1);
    spec.threshold.fill(1);
    spec.threshold_out.fill(1);
    let XyloConfig::Audio2(c) = config_from_spec(&spec, XyloFamily::Audio2).unwrap() else {
        unreachable!()
    };
    assert!(!c.bias_enable && !c.synapse2_enable && !c.reservoir.aliasing);
    assert!(!c.debug.bias_clock_enable && !c.debug.isyn2_clock_enable);
    spec.bias_out[0] = 3;
    spec.aliases[0] = vec![2];
    let XyloConfig::Audio2(c) = config_from_spec(&spec, XyloFamily::Audio2).unwrap() else {
        unreachable!()
    };
    assert!(c.bias_enable && c.reservoir.aliasing && c.debug.bias_clock_enable);
    assert_eq!(c.reservoir.neurons[0].alias_target.0, Some(2));

    // Disabled flags: the chip ignores biases / aliases, and so does spec_from_config.
    let mut off = c.clone();
    off.bias_enable = false;
    off.reservoir.aliasing = false;
    let cfg = XyloConfig::Audio2(off);
    let back = spec_from_config(&cfg).unwrap();
    assert_eq!(back.bias_out[0], 0);
    assert!(back.aliases[0].is_empty());
    let report = validate_config(&cfg);
    assert!(report.is_valid());
    assert_eq!(report.warnings().count(), 2, "{report}");
}
