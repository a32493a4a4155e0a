//! Every chip limit is rejected, with a message naming the field, the value and the limit,
//! and all problems are reported together.

use ndarray::{Array1, Array2, Array3};
use rockpool_xylo::config::{Matrix, spec_from_config};
use rockpool_xylo::{
    OutputMode, Severity, ValidationReport, XyloConfig, XyloFamily, XyloSim, XyloSpec,
    config_from_spec, validate_config, validate_spec,
};

/// A small valid spec for `family` (thresholds positive, a few weights).
fn valid(family: XyloFamily) -> XyloSpec<i32> {
    let n_syn = family.chip().synapses_per_neuron;
    let mut s = XyloSpec::<i32>::zeros(4, 8, 2, n_syn);
    s.weights_in[[0, 1, 0]] = 10;
    s.weights_rec[[1, 2, 0]] = -10;
    s.weights_out[[2, 1]] = 5;
    s.threshold.fill(100);
    s.threshold_out.fill(100);
    s
}

/// The single error of `report`, checked against the expected field, value and limit.
fn single_error(report: &ValidationReport, field: &str, value: &str, limit: &str) {
    let errors: Vec<_> = report.errors().collect();
    assert_eq!(
        errors.len(),
        1,
        "expected one error about {field}, got:\n{report}"
    );
    let e = errors[0];
    assert_eq!(e.field, field, "{report}");
    assert_eq!(e.value, value, "{report}");
    assert_eq!(e.limit, limit, "{report}");
    let text = report.to_string();
    assert!(
        text.contains(field) && text.contains(value) && text.contains(limit),
        "{text}"
    );
}

#[test]
fn valid_specs_pass_for_every_family() {
    for family in XyloFamily::ALL {
        let r = validate_spec(&valid(family), family);
        assert!(r.is_valid() && r.problems.is_empty(), "{r}");
        assert!(r.to_string().ends_with("valid"));
    }
}

#[test]
fn specs_at_the_size_limits_pass() {
    for family in XyloFamily::ALL {
        let c = family.chip();
        let mut s = XyloSpec::<i32>::zeros_with_expansion(
            c.input_channels,
            c.hidden_neurons,
            c.output_neurons,
            c.synapses_per_neuron,
            c.input_expansion_neurons,
            c.output_expansion_neurons,
        );
        s.threshold.fill(1);
        s.threshold_out.fill(1);
        s.weights_in.fill(127);
        s.weights_out.fill(-128);
        let r = validate_spec(&s, family);
        assert!(r.problems.is_empty(), "{family}: {r}");
    }
}

#[test]
fn each_size_limit_is_rejected() {
    let a2 = XyloFamily::Audio2;
    let a3 = XyloFamily::Audio3;
    let imu = XyloFamily::Imu;
    let mut s = XyloSpec::<i32>::zeros(17, 4, 1, 1);
    s.threshold.fill(1);
    s.threshold_out.fill(1);
    single_error(
        &validate_spec(&s, a2),
        "Nin (input channels)",
        "17",
        "<= 16",
    );

    let mut s = XyloSpec::<i32>::zeros(1, 1001, 1, 1);
    s.threshold.fill(1);
    s.threshold_out.fill(1);
    single_error(
        &validate_spec(&s, a2),
        "Nhid (hidden neurons)",
        "1001",
        "<= 1000",
    );
    let mut s = XyloSpec::<i32>::zeros_with_expansion(1, 497, 1, 1, 10, 10);
    s.threshold.fill(1);
    s.threshold_out.fill(1);
    single_error(
        &validate_spec(&s, imu),
        "Nhid (hidden neurons)",
        "497",
        "<= 496",
    );

    let mut s = XyloSpec::<i32>::zeros(1, 4, 9, 1);
    s.threshold.fill(1);
    s.threshold_out.fill(1);
    single_error(
        &validate_spec(&s, a2),
        "Nout (readout neurons)",
        "9",
        "<= 8",
    );
    assert!(validate_spec(&s, a3).is_valid());

    let mut s = XyloSpec::<i32>::zeros(1, 4, 1, 2);
    s.threshold.fill(1);
    s.threshold_out.fill(1);
    single_error(
        &validate_spec(&s, imu),
        "Nsyn (synapses per neuron)",
        "2",
        "<= 1",
    );

    let mut s = XyloSpec::<i32>::zeros_with_expansion(1, 200, 1, 1, 129, 128);
    s.threshold.fill(1);
    s.threshold_out.fill(1);
    single_error(
        &validate_spec(&s, a3),
        "Nien (hidden neurons receiving input)",
        "129",
        "<= 128",
    );
    assert!(validate_spec(&s, a2).is_valid());

    let mut s = XyloSpec::<i32>::zeros_with_expansion(1, 200, 1, 1, 128, 129);
    s.threshold.fill(1);
    s.threshold_out.fill(1);
    single_error(
        &validate_spec(&s, imu),
        "Noen (hidden neurons driving the readout)",
        "129",
        "<= 128",
    );
}

#[test]
fn each_value_limit_is_rejected() {
    let f = XyloFamily::Audio2;
    type Edit = fn(&mut XyloSpec<i32>);
    let cases: [(Edit, &str, &str, &str); 17] = [
        (
            |s| s.weights_in[[0, 1, 0]] = 128,
            "weights_in[0, 1, 0]",
            "128",
            "-128..=127",
        ),
        (
            |s| s.weights_rec[[3, 2, 1]] = -129,
            "weights_rec[3, 2, 1]",
            "-129",
            "-128..=127",
        ),
        (
            |s| s.weights_out[[0, 1]] = 200,
            "weights_out[0, 1]",
            "200",
            "-128..=127",
        ),
        (
            |s| s.threshold[2] = 32768,
            "threshold[2]",
            "32768",
            "-32768..=32767",
        ),
        (
            |s| s.threshold_out[1] = 40000,
            "threshold_out[1]",
            "40000",
            "-32768..=32767",
        ),
        (
            |s| s.bias[0] = -32769,
            "bias[0]",
            "-32769",
            "-32768..=32767",
        ),
        (
            |s| s.bias_out[0] = 32768,
            "bias_out[0]",
            "32768",
            "-32768..=32767",
        ),
        (|s| s.dash_mem[3] = 16, "dash_mem[3]", "16", "0..=15"),
        (|s| s.dash_syn[4] = -1, "dash_syn[4]", "-1", "0..=15"),
        (|s| s.dash_syn_2[5] = 16, "dash_syn_2[5]", "16", "0..=15"),
        (
            |s| s.dash_mem_out[0] = 99,
            "dash_mem_out[0]",
            "99",
            "0..=15",
        ),
        (
            |s| s.dash_syn_out[1] = 16,
            "dash_syn_out[1]",
            "16",
            "0..=15",
        ),
        (|s| s.weight_shift_in = 8, "weight_shift_in", "8", "0..=7"),
        (
            |s| s.weight_shift_rec = -1,
            "weight_shift_rec",
            "-1",
            "0..=7",
        ),
        (|s| s.weight_shift_out = 9, "weight_shift_out", "9", "0..=7"),
        (
            |s| s.aliases[1] = vec![2, 3],
            "aliases[1]",
            "[2, 3]",
            "<= 1 target",
        ),
        (|s| s.aliases[1] = vec![8], "aliases[1]", "8", "0..8"),
    ];
    for (edit, field, value, limit) in cases {
        let mut s = valid(f);
        edit(&mut s);
        single_error(&validate_spec(&s, f), field, value, limit);
    }
    // XyloAudio 3's weight-shift fields are wider.
    let mut s = valid(XyloFamily::Audio3);
    s.weight_shift_out = 15;
    assert!(validate_spec(&s, XyloFamily::Audio3).is_valid());
    s.weight_shift_out = 16;
    single_error(
        &validate_spec(&s, XyloFamily::Audio3),
        "weight_shift_out",
        "16",
        "0..=15",
    );
}

#[test]
fn range_errors_count_every_offending_element() {
    let mut s = valid(XyloFamily::Audio2);
    s.weights_rec[[0, 0, 0]] = 300;
    s.weights_rec[[5, 6, 0]] = -1000;
    s.weights_rec[[7, 7, 1]] = 128;
    let r = validate_spec(&s, XyloFamily::Audio2);
    let e = r.errors().next().unwrap();
    assert_eq!(e.field, "weights_rec[0, 0, 0]");
    assert!(
        e.message.contains("3 value(s) of weights_rec") && e.message.contains("-1000"),
        "{e}"
    );
}

#[test]
fn fan_out_and_total_synapses_are_limited() {
    let f = XyloFamily::Audio2;
    let mut s = XyloSpec::<i32>::zeros(1, 100, 1, 2);
    s.threshold.fill(1);
    s.threshold_out.fill(1);
    for post in 0..33 {
        s.weights_rec[[7, post, 0]] = 1;
        s.weights_rec[[7, post, 1]] = 1;
    }
    single_error(
        &validate_spec(&s, f),
        "weights_rec[7, :, :]",
        "66 non-zero weights",
        "<= 64",
    );

    // 1000 neurons x 33 targets = 33000 > 32000, each within the fan-out.
    let mut s = XyloSpec::<i32>::zeros(1, 1000, 1, 1);
    s.threshold.fill(1);
    s.threshold_out.fill(1);
    for pre in 0..1000 {
        for k in 0..33 {
            s.weights_rec[[pre, (pre + 1 + k) % 1000, 0]] = 1;
        }
    }
    single_error(
        &validate_spec(&s, f),
        "weights_rec",
        "33000 non-zero weights",
        "<= 32000",
    );
    // XyloIMU allows a fan-out of 512 but only 496 neurons and 31744 synapses.
    let mut s = XyloSpec::<i32>::zeros_with_expansion(1, 496, 1, 1, 1, 1);
    s.threshold.fill(1);
    s.threshold_out.fill(1);
    for post in 0..496 {
        s.weights_rec[[0, post, 0]] = 1;
    }
    assert!(validate_spec(&s, XyloFamily::Imu).is_valid());
}

#[test]
fn warnings_do_not_invalidate() {
    let f = XyloFamily::Audio2;
    let mut s = valid(f);
    s.threshold[3] = 0;
    s.threshold_out[0] = -5;
    s.aliases[4] = vec![2];
    let r = validate_spec(&s, f);
    assert!(r.is_valid(), "{r}");
    let w: Vec<_> = r.warnings().map(|p| p.field.as_str()).collect();
    assert_eq!(w, ["threshold[3]", "threshold_out[0]", "aliases[4]"]);
    assert!(r.into_result().is_ok());
}

#[test]
fn all_problems_are_reported_at_once() {
    let f = XyloFamily::Imu;
    let mut s = XyloSpec::<i32>::zeros_with_expansion(20, 500, 17, 1, 130, 129);
    s.weights_in[[0, 0, 0]] = 500;
    s.weights_out[[0, 0]] = -500;
    s.threshold.fill(100);
    s.threshold_out.fill(100);
    s.threshold[0] = 99999;
    s.dash_mem[0] = 20;
    s.weight_shift_in = 9;
    s.aliases[0] = vec![1, 2];
    let r = validate_spec(&s, f);
    let fields: Vec<_> = r.errors().map(|p| p.field.clone()).collect();
    for want in [
        "Nin (input channels)",
        "Nhid (hidden neurons)",
        "Nout (readout neurons)",
        "Nien (hidden neurons receiving input)",
        "Noen (hidden neurons driving the readout)",
        "weights_in[0, 0, 0]",
        "weights_out[0, 0]",
        "threshold[0]",
        "dash_mem[0]",
        "weight_shift_in",
        "aliases[0]",
    ] {
        assert!(fields.iter().any(|f| f == want), "{want} missing from\n{r}");
    }
    let err = r.into_result().unwrap_err().to_string();
    assert!(err.starts_with("XyloIMU (syns63300): 11 error(s)"), "{err}");
}

#[test]
fn shape_errors_are_reported_alone() {
    let mut s = valid(XyloFamily::Audio2);
    s.bias = Array1::zeros(3);
    let r = validate_spec(&s, XyloFamily::Audio2);
    assert_eq!(r.problems.len(), 1);
    assert!(r.problems[0].message.contains("`bias`"), "{r}");
}

#[test]
fn configurations_are_validated_with_their_own_field_names() {
    let mut s = valid(XyloFamily::Audio2);
    let XyloConfig::Audio2(mut c) = config_from_spec(&s, XyloFamily::Audio2).unwrap() else {
        unreachable!()
    };
    c.reservoir.neurons[3].threshold = 70000;
    c.reservoir.weights.values[2] = 300; // row 0, column 2
    c.readout.neurons[1].v_mem_decay = 16;
    c.input.weight_bit_shift = 8;
    let r = validate_config(&XyloConfig::Audio2(c.clone()));
    let fields: Vec<_> = r.errors().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "reservoir.weights[0][2]",
            "reservoir.neurons[3].threshold",
            "readout.neurons[1].vMemDecay",
            "input.weightBitShift"
        ],
        "{r}"
    );

    // Structural problems are all listed, naming the matrix.
    c.readout.weights = Matrix::zeros(8, 3);
    c.input.weights.values.pop();
    let r = validate_config(&XyloConfig::Audio2(c));
    let fields: Vec<_> = r.errors().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, ["input.weights", "readout.weights"], "{r}");

    // XyloAudio 3 names its population `hidden`.
    s.weights_rec = Array3::zeros((8, 8, 2));
    s.weights_in = Array3::zeros((4, 8, 2));
    s.weights_rec[[1, 0, 1]] = -300;
    let r = validate_config(&config_from_spec(&s, XyloFamily::Audio3).unwrap());
    assert_eq!(r.errors().next().unwrap().field, "hidden.syn2Weights[1][0]");
    assert_eq!(r.errors().next().unwrap().severity, Severity::Error);
}

#[test]
fn the_simulator_refuses_unrepresentable_values_all_at_once() {
    let mut s = valid(XyloFamily::Audio2);
    s.weights_out = Array2::from_elem((8, 2), 1000);
    s.threshold[0] = 1 << 20;
    let e = XyloSim::from_spec(&s, OutputMode::Spike)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("weights_out[0, 0]") && e.contains("threshold[0]") && e.contains("16 value(s)"),
        "{e}"
    );
    // Chip sizes are not the simulator's business.
    let mut big = XyloSpec::<i32>::zeros(40, 1200, 12, 2);
    big.threshold.fill(1);
    assert!(XyloSim::from_spec(&big, OutputMode::Spike).is_ok());
}

/// Rockpool's pipeline leaves an unused second synapse as samna's default matrix, 0×0: such a
/// configuration is valid, reads as all-zero second-synapse weights and simulates like the
/// same configuration with explicit zeros; the exporter writes it the same way. With
/// synapse2Enable set, an empty matrix is an error naming it.
#[test]
fn empty_second_synapse_matrices_read_as_zero_when_unused() {
    let mut s = XyloSpec::<i32>::zeros(4, 8, 2, 1);
    s.weights_in[[0, 1, 0]] = 10;
    s.weights_rec[[1, 2, 0]] = -10;
    s.weights_out[[2, 1]] = 5;
    s.threshold.fill(100);
    s.threshold_out.fill(100);
    let exported = config_from_spec(&s, XyloFamily::Audio2).unwrap();
    let XyloConfig::Audio2(c) = &exported else {
        unreachable!()
    };
    assert!(!c.synapse2_enable);
    assert_eq!(c.input.syn2_weights.as_ref().unwrap().dim(), (0, 0));
    assert_eq!(c.reservoir.syn2_weights.as_ref().unwrap().dim(), (0, 0));
    let r = validate_config(&exported);
    assert!(r.is_valid(), "{r}");
    let back = spec_from_config(&exported).unwrap();
    assert_eq!(back.weights_in, s.weights_in);
    assert_eq!(back.weights_rec, s.weights_rec);

    // The same with explicit zero matrices (how files were written before) reads the same.
    let mut explicit = c.clone();
    let (i, h) = (s.weights_in.dim(), s.weights_rec.dim());
    explicit.input.syn2_weights = Some(Matrix::zeros(i.0, i.1));
    explicit.reservoir.syn2_weights = Some(Matrix::zeros(h.0, h.1));
    let explicit = XyloConfig::Audio2(explicit);
    assert!(validate_config(&explicit).is_valid());
    assert_eq!(
        spec_from_config(&explicit).unwrap().weights_in,
        back.weights_in
    );

    // Enabled but empty: refused, naming the matrix.
    let mut enabled = c.clone();
    enabled.synapse2_enable = true;
    for n in &mut enabled.reservoir.neurons {
        n.i_syn2_decay = Some(1);
    }
    let r = validate_config(&XyloConfig::Audio2(enabled));
    let fields: Vec<_> = r.errors().map(|p| p.field.as_str()).collect();
    assert!(
        fields.contains(&"input.syn2_weights") && fields.contains(&"reservoir.syn2Weights"),
        "{r}"
    );
}
