//! Checking a network against the limits of a Xylo chip.
//!
//! samna's own validator is closed source, so this one is built from the chip limits in
//! [`crate::chips`]. It reports **every** problem at once; each [`Problem`] names the field
//! (the first offending element, in the spec's or the configuration file's own naming), the
//! value found and the limit, and says how many elements break it.
//!
//! Errors (the chip cannot run the network): too many input channels, hidden or readout
//! neurons, synapses per neuron, input- or output-expansion neurons; weights outside int8;
//! thresholds or biases outside int16; decay shifts outside 4 bits; weight shifts above the
//! chip's field width; more than one alias target, or an alias target that is not a hidden
//! neuron; a hidden neuron with more recurrent targets than the fan-out limit; more recurrent
//! synapses than the chip holds.
//!
//! Warnings (runs, but probably not what was meant): thresholds `<= 0` (the neuron fires its
//! maximum count every step); a neuron aliased to itself or to a lower id (SynSense documents
//! aliases towards higher ids only); in a configuration, biases, second-synapse weights or
//! alias targets that a disabled flag makes the chip ignore.

use std::fmt;

use crate::chips::{ChipSpec, XyloFamily};
use crate::config::XyloConfig;
use crate::spec::{SpecDims, XyloSpec};

/// How bad a [`Problem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The chip cannot run this (or the configuration is malformed).
    Error,
    /// Runs, but is probably a mistake.
    Warning,
}

/// One broken limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// Where: the first offending element (`weights_in[0, 3, 1]`,
    /// `reservoir.neurons[4].threshold`) or the quantity (`Nhid`).
    pub field: String,
    /// The value found there.
    pub value: String,
    /// The limit it breaks (`-128..=127`, `<= 1000`).
    pub limit: String,
    /// What is wrong, how often, and what to do.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{sev}: `{}` = {} (limit {}): {}",
            self.field, self.value, self.limit, self.message
        )
    }
}

/// All problems found by one validation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ValidationReport {
    /// What was checked, e.g. `XyloAudio 2 (syns61201)`.
    pub target: String,
    /// Every problem found, errors and warnings.
    pub problems: Vec<Problem>,
}

impl ValidationReport {
    /// True when there are no errors (warnings allowed).
    pub fn is_valid(&self) -> bool {
        self.errors().next().is_none()
    }

    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
    }

    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Warning)
    }

    /// `Ok(self)` (possibly with warnings) when valid, else [`XyloError::Invalid`](crate::XyloError::Invalid).
    ///
    /// # Errors
    /// [`XyloError::Invalid`](crate::XyloError::Invalid) holding this report if it has errors.
    pub fn into_result(self) -> crate::Result<Self> {
        if self.is_valid() {
            Ok(self)
        } else {
            Err(crate::XyloError::Invalid(self))
        }
    }
}

impl fmt::Display for ValidationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (e, w) = (self.errors().count(), self.warnings().count());
        if e + w == 0 {
            return write!(f, "{}: valid", self.target);
        }
        write!(f, "{}: {e} error(s), {w} warning(s)", self.target)?;
        for p in &self.problems {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

/// Checks an integer specification against every limit of `family`'s chip.
///
/// Shape inconsistencies (which make the other checks meaningless) are reported alone.
pub fn validate_spec(spec: &XyloSpec<i32>, family: XyloFamily) -> ValidationReport {
    let mut report = ValidationReport {
        target: target_name(family),
        problems: Vec::new(),
    };
    match spec.dims() {
        Err(e) => report.problems.push(Problem {
            severity: Severity::Error,
            field: "shapes".into(),
            value: "inconsistent".into(),
            limit: "consistent (Nin, Nhid, Nout, Nsyn)".into(),
            message: e.to_string(),
        }),
        Ok(dims) => chip_problems(
            spec,
            &dims,
            family.chip(),
            Names::Spec,
            &mut report.problems,
        ),
    }
    report
}

/// Checks a configuration: its structure (matrix sizes against each other and the neuron
/// lists), then every limit of its family's chip, naming fields as in the JSON file.
pub fn validate_config(config: &XyloConfig) -> ValidationReport {
    let family = config.family();
    let mut report = ValidationReport {
        target: format!("{} configuration", target_name(family)),
        problems: config_structure_problems(config),
    };
    if !report.problems.is_empty() {
        return report;
    }
    let spec = match crate::config::spec_from_config(config) {
        Ok(s) => s,
        Err(e) => {
            report.problems.push(Problem {
                severity: Severity::Error,
                field: "configuration".into(),
                value: "unreadable".into(),
                limit: "a consistent configuration".into(),
                message: e.to_string(),
            });
            return report;
        }
    };
    let dims = spec.dims().expect("spec_from_config checks shapes");
    let names = Names::Config {
        hidden: config.hidden_key(),
    };
    chip_problems(&spec, &dims, family.chip(), names, &mut report.problems);

    // Values that a disabled flag makes the chip ignore.
    let core = config.core();
    let warn = |field: String, value: String, limit: &str, message: String| Problem {
        severity: Severity::Warning,
        field,
        value,
        limit: limit.into(),
        message,
    };
    let hk = config.hidden_key();
    if !core.bias_enable {
        let hidden = core.hidden.neurons.iter().position(|n| n.v_mem_bias != 0);
        let out = core.readout.neurons.iter().position(|n| n.v_mem_bias != 0);
        if let Some(i) = hidden {
            let v = core.hidden.neurons[i].v_mem_bias;
            report.problems.push(warn(
                format!("{hk}.neurons[{i}].vMemBias"),
                v.to_string(),
                "ignored while biasEnable = false",
                "biases are set but biasEnable is false, so the chip ignores them; set biasEnable"
                    .into(),
            ));
        } else if let Some(o) = out {
            let v = core.readout.neurons[o].v_mem_bias;
            report.problems.push(warn(
                format!("readout.neurons[{o}].vMemBias"),
                v.to_string(),
                "ignored while biasEnable = false",
                "biases are set but biasEnable is false, so the chip ignores them; set biasEnable"
                    .into(),
            ));
        }
    }
    if family != XyloFamily::Imu && !core.synapse2_enable {
        for (field, m) in [
            ("input.syn2_weights".to_string(), &core.input.syn2_weights),
            (format!("{hk}.syn2Weights"), &core.hidden.syn2_weights),
        ] {
            if let Some(v) = m.as_ref().and_then(|m| m.values.iter().find(|&&v| v != 0)) {
                report.problems.push(warn(
                    field,
                    v.to_string(),
                    "ignored while synapse2Enable = false",
                    "second-synapse weights are set but synapse2Enable is false, so the chip ignores them".into(),
                ));
            }
        }
    }
    if !core.hidden.aliasing
        && let Some(i) = core
            .hidden
            .neurons
            .iter()
            .position(|n| n.alias_target.0.is_some())
    {
        report.problems.push(warn(
            format!("{hk}.neurons[{i}].aliasTarget"),
            format!("{:?}", core.hidden.neurons[i].alias_target.0),
            "ignored while aliasing = false",
            "alias targets are set but aliasing is false, so the chip ignores them; set aliasing"
                .into(),
        ));
    }
    report
}

fn target_name(family: XyloFamily) -> String {
    format!("{} ({})", family.product_name(), family.part_number())
}

/// How fields are named in messages: as in [`XyloSpec`] or as in a configuration file.
#[derive(Debug, Clone, Copy)]
enum Names {
    Spec,
    Config { hidden: &'static str },
}

impl Names {
    fn w_in(self, c: usize, h: usize, s: usize) -> String {
        match self {
            Names::Spec => format!("weights_in[{c}, {h}, {s}]"),
            Names::Config { .. } if s == 0 => format!("input.weights[{c}][{h}]"),
            Names::Config { .. } => format!("input.syn2_weights[{c}][{h}]"),
        }
    }

    fn w_rec(self, pre: usize, post: usize, s: usize) -> String {
        match self {
            Names::Spec => format!("weights_rec[{pre}, {post}, {s}]"),
            Names::Config { hidden } if s == 0 => format!("{hidden}.weights[{pre}][{post}]"),
            Names::Config { hidden } => format!("{hidden}.syn2Weights[{pre}][{post}]"),
        }
    }

    fn rec_row(self, pre: usize) -> String {
        match self {
            Names::Spec => format!("weights_rec[{pre}, :, :]"),
            Names::Config { hidden } => format!("{hidden}.weights[{pre}] (+ syn2Weights[{pre}])"),
        }
    }

    fn rec_all(self) -> String {
        match self {
            Names::Spec => "weights_rec".into(),
            Names::Config { hidden } => format!("{hidden}.weights (+ syn2Weights)"),
        }
    }

    fn w_out(self, row: usize, o: usize) -> String {
        match self {
            Names::Spec => format!("weights_out[{row}, {o}]"),
            Names::Config { .. } => format!("readout.weights[{row}][{o}]"),
        }
    }

    fn hidden(self, spec_field: &str, config_field: &str, i: usize) -> String {
        match self {
            Names::Spec => format!("{spec_field}[{i}]"),
            Names::Config { hidden } => format!("{hidden}.neurons[{i}].{config_field}"),
        }
    }

    fn out(self, spec_field: &str, config_field: &str, o: usize) -> String {
        match self {
            Names::Spec => format!("{spec_field}[{o}]"),
            Names::Config { .. } => format!("readout.neurons[{o}].{config_field}"),
        }
    }

    fn shift(self, which: &str) -> String {
        match (self, which) {
            (Names::Spec, w) => format!("weight_shift_{w}"),
            (Names::Config { .. }, "in") => "input.weightBitShift".into(),
            (Names::Config { hidden }, _) if which == "rec" => format!("{hidden}.weightBitShift"),
            (Names::Config { .. }, _) => "readout.weightBitShift".into(),
        }
    }

    fn alias(self, i: usize) -> String {
        match self {
            Names::Spec => format!("aliases[{i}]"),
            Names::Config { hidden } => format!("{hidden}.neurons[{i}].aliasTarget"),
        }
    }
}

/// Collects values outside `lo..=hi` and adds one problem for the whole array.
struct RangeCheck<'a> {
    array: &'a str,
    lo: i64,
    hi: i64,
    what: &'a str,
    hint: &'a str,
    count: usize,
    first: Option<(String, i64)>,
    extreme: i64,
}

impl<'a> RangeCheck<'a> {
    fn new(array: &'a str, lo: i64, hi: i64, what: &'a str, hint: &'a str) -> Self {
        RangeCheck {
            array,
            lo,
            hi,
            what,
            hint,
            count: 0,
            first: None,
            extreme: 0,
        }
    }

    #[inline]
    fn check(&mut self, value: i64, locate: impl FnOnce() -> String) {
        if value < self.lo || value > self.hi {
            self.count += 1;
            if self.first.is_none() {
                self.first = Some((locate(), value));
            }
            if value.abs() > self.extreme.abs() {
                self.extreme = value;
            }
        }
    }

    fn finish(self, problems: &mut Vec<Problem>) {
        if let Some((field, value)) = self.first {
            problems.push(Problem {
                severity: Severity::Error,
                field,
                value: value.to_string(),
                limit: format!("{}..={}", self.lo, self.hi),
                message: format!(
                    "{} value(s) of {} outside {}..={} ({}); most extreme {}{}",
                    self.count, self.array, self.lo, self.hi, self.what, self.extreme, self.hint
                ),
            });
        }
    }
}

/// Value ranges, shared by the chip validator and the simulator's own check.
struct Ranges {
    weight: (i64, i64, &'static str),
    threshold: (i64, i64, &'static str),
    bias: (i64, i64, &'static str),
    dash: (i64, i64, &'static str),
    shift: (i64, i64, &'static str),
    check_dash_syn_2: bool,
}

const QUANT_HINT: &str = "; quantise with global_quantize/channel_quantize";

fn range_problems(
    spec: &XyloSpec<i32>,
    dims: &SpecDims,
    r: &Ranges,
    names: Names,
    problems: &mut Vec<Problem>,
) {
    let (lo, hi, what) = r.weight;
    let mut c = RangeCheck::new("weights_in", lo, hi, what, QUANT_HINT);
    for ((i, h, s), &v) in spec.weights_in.indexed_iter() {
        c.check(v.into(), || names.w_in(i, h, s));
    }
    c.finish(problems);
    let mut c = RangeCheck::new("weights_rec", lo, hi, what, QUANT_HINT);
    for ((i, j, s), &v) in spec.weights_rec.indexed_iter() {
        c.check(v.into(), || names.w_rec(i, j, s));
    }
    c.finish(problems);
    let mut c = RangeCheck::new("weights_out", lo, hi, what, QUANT_HINT);
    for ((k, o), &v) in spec.weights_out.indexed_iter() {
        // Spec rows and configuration rows coincide (a XyloAudio 2 configuration read back
        // has Noen = Nhid, the others keep their Noen rows).
        c.check(v.into(), || names.w_out(k, o));
    }
    c.finish(problems);

    type Field<'s> = (&'s str, &'s str, &'s ndarray::Array1<i32>);
    let hidden_fields: [(Field<'_>, (i64, i64, &str), bool); 5] = [
        (
            ("threshold", "threshold", &spec.threshold),
            r.threshold,
            true,
        ),
        (("bias", "vMemBias", &spec.bias), r.bias, true),
        (("dash_mem", "vMemDecay", &spec.dash_mem), r.dash, true),
        (("dash_syn", "iSynDecay", &spec.dash_syn), r.dash, true),
        (
            ("dash_syn_2", "iSyn2Decay", &spec.dash_syn_2),
            r.dash,
            r.check_dash_syn_2,
        ),
    ];
    for ((sf, cf, a), (lo, hi, what), on) in hidden_fields {
        if !on {
            continue;
        }
        let mut c = RangeCheck::new(sf, lo, hi, what, "");
        for (i, &v) in a.iter().enumerate() {
            c.check(v.into(), || names.hidden(sf, cf, i));
        }
        c.finish(problems);
    }
    let out_fields: [(Field<'_>, (i64, i64, &str)); 4] = [
        (
            ("threshold_out", "threshold", &spec.threshold_out),
            r.threshold,
        ),
        (("bias_out", "vMemBias", &spec.bias_out), r.bias),
        (("dash_mem_out", "vMemDecay", &spec.dash_mem_out), r.dash),
        (("dash_syn_out", "iSynDecay", &spec.dash_syn_out), r.dash),
    ];
    for ((sf, cf, a), (lo, hi, what)) in out_fields {
        let mut c = RangeCheck::new(sf, lo, hi, what, "");
        for (o, &v) in a.iter().enumerate() {
            c.check(v.into(), || names.out(sf, cf, o));
        }
        c.finish(problems);
    }
    let (lo, hi, what) = r.shift;
    for (which, v) in [
        ("in", spec.weight_shift_in),
        ("rec", spec.weight_shift_rec),
        ("out", spec.weight_shift_out),
    ] {
        let field = names.shift(which);
        let mut c = RangeCheck::new(&field, lo, hi, what, "");
        c.check(v.into(), || field.clone());
        c.finish(problems);
    }
    // Alias targets must be hidden neurons.
    let mut bad = 0;
    let mut first = None;
    for (i, targets) in spec.aliases.iter().enumerate() {
        for &a in targets {
            if a >= dims.n_hidden {
                bad += 1;
                first.get_or_insert((i, a));
            }
        }
    }
    if let Some((i, a)) = first {
        problems.push(Problem {
            severity: Severity::Error,
            field: names.alias(i),
            value: a.to_string(),
            limit: format!("0..{}", dims.n_hidden),
            message: format!(
                "{bad} alias target(s) are not hidden neurons (there are {})",
                dims.n_hidden
            ),
        });
    }
}

/// What the simulator itself needs: values that fit its integer types and existing alias
/// targets. Chip sizes are not checked.
pub(crate) fn check_simulable(spec: &XyloSpec<i32>, dims: &SpecDims) -> Vec<Problem> {
    let mut problems = Vec::new();
    let ranges = Ranges {
        weight: (-128, 127, "int8"),
        threshold: (-32768, 32767, "int16"),
        bias: (-32768, 32767, "int16"),
        dash: (0, 15, "4-bit decay shift"),
        shift: (0, 15, "weight shift"),
        check_dash_syn_2: true,
    };
    range_problems(spec, dims, &ranges, Names::Spec, &mut problems);
    problems
}

fn size_problem(field: &str, value: usize, max: usize, message: String) -> Option<Problem> {
    (value > max).then(|| Problem {
        severity: Severity::Error,
        field: field.into(),
        value: value.to_string(),
        limit: format!("<= {max}"),
        message,
    })
}

fn chip_problems(
    spec: &XyloSpec<i32>,
    dims: &SpecDims,
    chip: &ChipSpec,
    names: Names,
    problems: &mut Vec<Problem>,
) {
    let name = chip.family.product_name();
    problems.extend(
        [
            size_problem(
                "Nin (input channels)",
                dims.n_in,
                chip.input_channels,
                format!("{name} has {} input channels", chip.input_channels),
            ),
            size_problem(
                "Nhid (hidden neurons)",
                dims.n_hidden,
                chip.hidden_neurons,
                format!("{name} has {} hidden neurons; use a smaller network", chip.hidden_neurons),
            ),
            size_problem(
                "Nout (readout neurons)",
                dims.n_out,
                chip.output_neurons,
                format!("{name} has {} readout neurons", chip.output_neurons),
            ),
            size_problem(
                "Nsyn (synapses per neuron)",
                dims.n_syn,
                chip.synapses_per_neuron,
                format!("{name} neurons have {} synapse(s)", chip.synapses_per_neuron),
            ),
            size_problem(
                "Nien (hidden neurons receiving input)",
                dims.n_ien,
                chip.input_expansion_neurons,
                format!(
                    "on {name} only the first {} hidden neurons receive input weights; make the first hidden layer smaller",
                    chip.input_expansion_neurons
                ),
            ),
            size_problem(
                "Noen (hidden neurons driving the readout)",
                dims.n_oen,
                chip.output_expansion_neurons,
                format!(
                    "on {name} only the last {} hidden neurons drive the readout; make the last hidden layer smaller",
                    chip.output_expansion_neurons
                ),
            ),
        ]
        .into_iter()
        .flatten()
        .filter(|p| {
            // On XyloAudio 2 every hidden neuron is an expansion neuron: the Nhid check covers it.
            let all_expansion = chip.input_expansion_neurons >= chip.hidden_neurons;
            !(all_expansion && (p.field.starts_with("Nien") || p.field.starts_with("Noen")))
        }),
    );

    let (wlo, whi) = chip.weight_range();
    let (tlo, thi) = chip.threshold_range();
    let (blo, bhi) = chip.bias_range();
    let ranges = Ranges {
        weight: (wlo, whi, "8-bit signed weight"),
        threshold: (tlo, thi, "16-bit signed threshold"),
        bias: (blo, bhi, "16-bit signed bias"),
        dash: (0, chip.max_dash(), "4-bit decay shift"),
        shift: (0, chip.max_weight_shift as i64, "weight bit shift field"),
        check_dash_syn_2: chip.synapses_per_neuron == 2,
    };
    range_problems(spec, dims, &ranges, names, problems);

    // Thresholds <= 0 make a neuron fire its maximum count every step.
    for (sf, a, is_out) in [
        ("threshold", &spec.threshold, false),
        ("threshold_out", &spec.threshold_out, true),
    ] {
        let bad: Vec<usize> = a
            .iter()
            .enumerate()
            .filter(|&(_, &t)| t <= 0)
            .map(|(i, _)| i)
            .collect();
        if let Some(&i) = bad.first() {
            problems.push(Problem {
                severity: Severity::Warning,
                field: if is_out {
                    names.out(sf, "threshold", i)
                } else {
                    names.hidden(sf, "threshold", i)
                },
                value: a[i].to_string(),
                limit: "> 0".into(),
                message: format!(
                    "{} neuron(s) have a threshold <= 0 and fire their maximum event count on every step",
                    bad.len()
                ),
            });
        }
    }

    // Aliases: one target, towards a higher id.
    let multi: Vec<usize> = (0..spec.aliases.len())
        .filter(|&i| spec.aliases[i].len() > chip.max_aliases)
        .collect();
    if let Some(&i) = multi.first() {
        problems.push(Problem {
            severity: Severity::Error,
            field: names.alias(i),
            value: format!("{:?}", spec.aliases[i]),
            limit: format!("<= {} target", chip.max_aliases),
            message: format!(
                "{} hidden neuron(s) have more than one alias target",
                multi.len()
            ),
        });
    }
    let backwards: Vec<(usize, usize)> = spec
        .aliases
        .iter()
        .enumerate()
        .flat_map(|(i, t)| t.iter().map(move |&a| (i, a)))
        .filter(|&(i, a)| a <= i)
        .collect();
    if let Some(&(i, a)) = backwards.first() {
        problems.push(Problem {
            severity: Severity::Warning,
            field: names.alias(i),
            value: a.to_string(),
            limit: format!("> {i} (a higher id)"),
            message: format!(
                "{} alias(es) point to the neuron itself or to a lower id; SynSense documents aliases towards higher ids only",
                backwards.len()
            ),
        });
    }

    // Fan-out and the total number of recurrent synapses.
    let mut total = 0usize;
    let mut over = Vec::new();
    for (pre, row) in spec.weights_rec.outer_iter().enumerate() {
        let n = row.iter().filter(|&&w| w != 0).count();
        total += n;
        if n > chip.max_fan_out {
            over.push((pre, n));
        }
    }
    if let Some(&(pre, n)) = over.iter().max_by_key(|&&(_, n)| n) {
        problems.push(Problem {
            severity: Severity::Error,
            field: names.rec_row(pre),
            value: format!("{n} non-zero weights"),
            limit: format!("<= {}", chip.max_fan_out),
            message: format!(
                "{} hidden neuron(s) exceed the recurrent fan-out of {name} (worst: neuron {pre}); prune or use sparser layers",
                over.len()
            ),
        });
    }
    if total > chip.max_recurrent_synapses {
        problems.push(Problem {
            severity: Severity::Error,
            field: names.rec_all(),
            value: format!("{total} non-zero weights"),
            limit: format!("<= {}", chip.max_recurrent_synapses),
            message: format!(
                "more recurrent synapses than {name} can store; prune the hidden weights"
            ),
        });
    }
}

/// Structural consistency of a configuration (matrix layout, sizes against the neuron lists,
/// alias targets). Used by [`validate_config`] and [`spec_from_config`](crate::spec_from_config).
pub(crate) fn config_structure_problems(config: &XyloConfig) -> Vec<Problem> {
    let core = config.core();
    let hk = config.hidden_key();
    let n_hidden = core.hidden.neurons.len() as i64;
    let n_out = core.readout.neurons.len() as i64;
    let mut problems = Vec::new();
    let mut err = |field: String, value: String, limit: String, message: String| {
        problems.push(Problem {
            severity: Severity::Error,
            field,
            value,
            limit,
            message,
        })
    };
    let dim = |d: (i64, i64)| format!("({}, {})", d.0, d.1);

    let mut matrices = vec![
        ("input.weights".to_string(), Some(&core.input.weights)),
        (
            "input.syn2_weights".to_string(),
            core.input.syn2_weights.as_ref(),
        ),
        (format!("{hk}.weights"), Some(&core.hidden.weights)),
        (
            format!("{hk}.syn2Weights"),
            core.hidden.syn2_weights.as_ref(),
        ),
        ("readout.weights".to_string(), Some(&core.readout.weights)),
    ];
    for (field, m) in &matrices {
        if let Some(e) = m.and_then(|m| m.structure_error()) {
            err(
                field.clone(),
                dim(m.unwrap().dim()),
                "a well-formed matrix".into(),
                e,
            );
        }
    }
    let (in_rows, in_cols) = core.input.weights.dim();
    if in_cols > n_hidden {
        err(
            "input.weights".into(),
            dim((in_rows, in_cols)),
            format!("<= {n_hidden} columns"),
            format!("more input columns than the {n_hidden} hidden neurons listed in {hk}.neurons"),
        );
    }
    if core.hidden.weights.dim() != (n_hidden, n_hidden) {
        err(
            format!("{hk}.weights"),
            dim(core.hidden.weights.dim()),
            dim((n_hidden, n_hidden)),
            format!("the recurrent matrix must be square over the {n_hidden} hidden neurons"),
        );
    }
    let (out_rows, out_cols) = core.readout.weights.dim();
    if out_cols != n_out || out_rows > n_hidden {
        err(
            "readout.weights".into(),
            dim((out_rows, out_cols)),
            format!("(<= {n_hidden}, {n_out})"),
            format!(
                "readout weights need one column per readout neuron ({n_out}) and at most one row per hidden neuron ({n_hidden})"
            ),
        );
    }
    // Second-synapse matrices, where present, mirror the first; an empty (0×0) one is how
    // Rockpool's pipeline (samna's default matrix) stores an unused second synapse, and reads
    // as all-zero when synapse2Enable is off.
    for (i, j) in [(1usize, 0usize), (3, 2)] {
        if let (Some(m2), Some(m1)) = (matrices[i].1, matrices[j].1)
            && m2.dim() != m1.dim()
            && (m2.dim() != (0, 0) || core.synapse2_enable)
        {
            err(
                matrices[i].0.clone(),
                dim(m2.dim()),
                dim(m1.dim()),
                format!("must have the shape of {}", matrices[j].0),
            );
        }
    }
    if core.synapse2_enable {
        for (i, j) in [(1usize, 0usize), (3, 2)] {
            let first_empty = matrices[j].1.is_none_or(|m| m.dim() == (0, 0));
            if matrices[i].1.is_some_and(|m| m.dim() == (0, 0)) && !first_empty {
                err(
                    matrices[i].0.clone(),
                    "(0, 0)".into(),
                    "the shape of the first-synapse matrix".into(),
                    "synapse2Enable is set but the second-synapse matrix is empty".into(),
                );
            }
            if matrices[i].1.is_none() {
                err(
                    matrices[i].0.clone(),
                    "missing".into(),
                    "present".into(),
                    "synapse2Enable is set but the second-synapse matrix is missing".into(),
                );
            }
        }
        if let Some(i) = core
            .hidden
            .neurons
            .iter()
            .position(|n| n.i_syn2_decay.is_none())
        {
            err(
                format!("{hk}.neurons[{i}].iSyn2Decay"),
                "missing".into(),
                "present".into(),
                "synapse2Enable is set but a neuron has no second decay".into(),
            );
        }
    }
    matrices.clear();
    if let Some((i, a)) = core.hidden.neurons.iter().enumerate().find_map(|(i, n)| {
        n.alias_target
            .0
            .filter(|&a| a < 0 || a >= n_hidden)
            .map(|a| (i, a))
    }) {
        err(
            format!("{hk}.neurons[{i}].aliasTarget"),
            a.to_string(),
            format!("0..{n_hidden}"),
            "an alias target must be a hidden neuron".into(),
        );
    }
    problems
}
