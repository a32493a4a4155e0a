//! Discovery order and recurrence against Rockpool 3.1.0's `bag_graph` and
//! `find_recurrent_modules` on 300 random graphs (`tests/fixtures/make_graph_fixtures.py`).

use std::path::Path;

use rockpool_graph::{Graph, SubGraph};
use serde_json::Value;

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

#[test]
fn random_graphs_are_discovered_as_rockpool_does() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bag_graph.json");
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(cases.len(), 300);
    for (k, case) in cases.iter().enumerate() {
        let mut g = Graph::new("g");
        let blocks: Vec<SubGraph> = case["sizes"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let s = usizes(s);
                g.generic_neurons(format!("m{i}"), s[0], s[1])
            })
            .collect();
        for op in case["ops"].as_array().unwrap() {
            let op = op.as_array().unwrap();
            let (s, d) = (
                op[0].as_u64().unwrap() as usize,
                op[1].as_u64().unwrap() as usize,
            );
            let src: Vec<_> = usizes(&op[2])
                .iter()
                .map(|&i| blocks[s].outputs[i])
                .collect();
            let dst: Vec<_> = usizes(&op[3])
                .iter()
                .map(|&i| blocks[d].inputs[i])
                .collect();
            g.connect(&src, &dst).unwrap();
        }
        let n_in = case["input_modules"].as_u64().unwrap() as usize;
        let n_out = case["output_modules"].as_u64().unwrap() as usize;
        let inputs: Vec<_> = blocks[..n_in]
            .iter()
            .flat_map(|b| b.inputs.clone())
            .collect();
        let outputs: Vec<_> = blocks[blocks.len() - n_out..]
            .iter()
            .flat_map(|b| b.outputs.clone())
            .collect();
        g.set_inputs(&inputs).unwrap();
        g.set_outputs(&outputs).unwrap();

        let found = g.discovery_order();
        let order: Vec<usize> = found.modules.iter().map(|m| m.index()).collect();
        assert_eq!(order, usizes(&case["order"]), "case {k}: module order");
        assert_eq!(
            found.nodes.len(),
            case["n_nodes"].as_u64().unwrap() as usize,
            "case {k}: nodes reached"
        );
        let mut rec: Vec<usize> = g
            .find_recurrent_modules()
            .iter()
            .map(|m| m.index())
            .collect();
        rec.sort();
        assert_eq!(
            rec,
            usizes(&case["recurrent"]),
            "case {k}: recurrent modules"
        );
    }
}
