//! A NIR graph as a chain of steps from its `Input` to its `Output`: nested graphs flattened
//! with dotted names, a neuron's recurrent cycle kept with it, residual blocks marked.

use std::collections::BTreeMap;

use rockpool_nir::{NirGraph, Node};

use super::err;
use crate::error::{Error, Result};

/// One step of the chain: a node and, for a neuron with a recurrent cycle, the cycle's weights;
/// or the start or end of a residual block (`node` is then the block's first node or the node
/// where the skip arrives).
pub(super) struct Step<'a> {
    pub(super) name: String,
    pub(super) node: &'a Node,
    pub(super) recurrent: Option<(&'a Node, String)>,
    pub(super) mark: Mark,
}

/// What a [`Step`] is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mark {
    Node,
    ResidualStart,
    ResidualEnd,
}

/// The graph as a chain from its `Input` to its `Output` (nested graphs flattened with dotted
/// names; a cycle `neuron → Linear/Affine → neuron` kept as the neuron's recurrence).
pub(super) fn chain(graph: &NirGraph) -> Result<Vec<Step<'_>>> {
    let mut nodes: BTreeMap<String, &Node> = BTreeMap::new();
    let mut edges: Vec<(String, String)> = Vec::new();
    flatten(graph, "", &mut nodes, &mut edges);
    let inputs: Vec<&String> = nodes
        .iter()
        .filter(|(_, n)| matches!(n, Node::Input { .. }))
        .map(|(k, _)| k)
        .collect();
    let [input] = inputs[..] else {
        return Err(Error::value(
            "NIR graph",
            format!("needs exactly one Input node, found {}", inputs.len()),
        ));
    };
    let succ = |n: &str| -> Vec<String> {
        edges
            .iter()
            .filter(|(a, _)| a == n)
            .map(|(_, b)| b.clone())
            .collect()
    };
    let mut out = Vec::new();
    let mut current = input.clone();
    let mut seen = std::collections::BTreeSet::new();
    let mut merges: Vec<String> = Vec::new();
    let mut prefixes: Vec<String> = Vec::new();
    loop {
        while merges.last() == Some(&current) {
            merges.pop();
            prefixes.pop();
            out.push(Step {
                name: current.clone(),
                node: nodes[&current],
                recurrent: None,
                mark: Mark::ResidualEnd,
            });
        }
        if !seen.insert(current.clone()) {
            return Err(err(
                &current,
                "the chain loops back here (only a neuron's own recurrent weights may form a cycle)",
            ));
        }
        let node = nodes
            .get(&current)
            .copied()
            .ok_or_else(|| err(&current, "an edge names it, but there is no such node"))?;
        let mut next = succ(&current);
        let mut recurrent = None;
        if is_neuron(node) {
            // A successor that leads straight back is the neuron's recurrent weight.
            if let Some(pos) = next.iter().position(|s| {
                succ(s).iter().any(|t| t == &current)
                    && matches!(nodes.get(s), Some(Node::Affine(_) | Node::Linear(_)))
            }) {
                let r = next.remove(pos);
                recurrent = Some((nodes[&r], r.clone()));
                seen.insert(r);
            }
        }
        // Inside a residual block written by our exporter, names carry the block's prefix.
        let local = match prefixes.last() {
            Some(p) => current
                .strip_prefix(p.as_str())
                .unwrap_or(&current)
                .to_string(),
            None => current.clone(),
        };
        out.push(Step {
            name: local,
            node,
            recurrent,
            mark: Mark::Node,
        });
        if matches!(node, Node::Output { .. }) {
            break;
        }
        // A residual block: two successors, one of which the other's chain reaches.
        if let [a, b] = &next[..] {
            let reaches = |from: &String, to: &String| {
                let mut c = from.clone();
                for _ in 0..nodes.len() {
                    if &c == to {
                        return true;
                    }
                    match &succ(&c)[..] {
                        [one] => c = one.clone(),
                        _ => return false,
                    }
                }
                false
            };
            let (start, merge) = if reaches(a, b) {
                (a.clone(), b.clone())
            } else if reaches(b, a) {
                (b.clone(), a.clone())
            } else {
                return Err(err(
                    &current,
                    format!("branches to {a:?} and {b:?}, which do not meet as a residual block"),
                ));
            };
            out.push(Step {
                name: start.clone(),
                node: nodes[&start],
                recurrent: None,
                mark: Mark::ResidualStart,
            });
            merges.push(merge);
            prefixes.push(match start.split_once('.') {
                Some((p, _)) => format!("{p}."),
                None => String::from("\u{0}"),
            });
            current = start;
            continue;
        }
        current = match &next[..] {
            [one] => one.clone(),
            [] => {
                return Err(err(
                    &current,
                    "nothing follows it, and it is not the Output",
                ));
            }
            many => {
                return Err(err(
                    &current,
                    format!(
                        "branches to {many:?}; only chains (with recurrent cycles) are imported"
                    ),
                ));
            }
        };
    }
    Ok(out)
}

fn is_neuron(n: &Node) -> bool {
    matches!(
        n,
        Node::CubaLif(_) | Node::CubaLi(_) | Node::Lif(_) | Node::If(_) | Node::Li(_)
    )
}

fn flatten<'a>(
    g: &'a NirGraph,
    prefix: &str,
    nodes: &mut BTreeMap<String, &'a Node>,
    edges: &mut Vec<(String, String)>,
) {
    let full = |n: &str| {
        if prefix.is_empty() {
            n.to_string()
        } else {
            format!("{prefix}.{n}")
        }
    };
    for (name, node) in &g.nodes {
        match node {
            Node::Graph(sub) => flatten(sub, &full(name), nodes, edges),
            n => {
                nodes.insert(full(name), n);
            }
        }
    }
    // An edge to or from a subgraph means its Input or Output node.
    let resolve = |n: &str, want_input: bool| -> String {
        let name = full(n);
        match g.nodes.get(n) {
            Some(Node::Graph(sub)) => sub
                .nodes
                .iter()
                .find(|(_, m)| {
                    if want_input {
                        matches!(m, Node::Input { .. })
                    } else {
                        matches!(m, Node::Output { .. })
                    }
                })
                .map(|(k, _)| format!("{name}.{k}"))
                .unwrap_or(name),
            _ => name,
        }
    };
    for (a, b) in &g.edges {
        edges.push((resolve(a, false), resolve(b, true)));
    }
}
