//! Array sizes read from a file are compared with `ROCKPOOL_MAX_ARRAY_BYTES` before anything
//! is allocated. (Its own test binary: it sets the process environment.)

mod common;

use common::scratch;
use ndarray::Array1;
use rockpool_nir::{Array, NirGraph, Node, Scale, read, write};

#[test]
fn arrays_above_the_limit_are_refused_naming_node_and_field() {
    // 2^20 float32 zeros: 4 MiB of data, a few KiB once gzip-compressed in the file.
    let big = NirGraph::new().with_node(
        "big",
        Node::Scale(Scale {
            scale: Array::from(Array1::<f32>::zeros(1 << 20)),
        }),
    );
    let path = scratch("limit").join("g.nir");
    write(&big, &path).unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size < 1 << 20, "file of {size} bytes");
    // SAFETY: the only test of this binary; no other thread reads the environment.
    unsafe { std::env::set_var("ROCKPOOL_MAX_ARRAY_BYTES", "1048576") };
    let err = read(&path).unwrap_err().to_string();
    unsafe { std::env::remove_var("ROCKPOOL_MAX_ARRAY_BYTES") };
    assert!(
        err.contains(
            "node 'big': field 'scale' holds 1048576 elements (4194304 bytes), above the limit of \
             1048576 bytes"
        ),
        "{err}"
    );
    assert_eq!(read(&path).unwrap(), big);
}
