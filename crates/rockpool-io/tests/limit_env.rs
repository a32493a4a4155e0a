//! `ROCKPOOL_MAX_ARRAY_BYTES` overrides the array size limit. This file holds a single test:
//! it changes the process environment, which no other test in this binary may read meanwhile.

use std::io::Write;

use ndarray::{ArrayD, IxDyn};
use rockpool_io::{NpyArray, npy_from_bytes, npy_to_bytes, npz_from_bytes, npz_to_bytes};

fn set_limit(value: &str) {
    // SAFETY: the only test of this binary; no other thread reads the environment.
    unsafe { std::env::set_var(rockpool_io::MAX_ARRAY_BYTES_VAR, value) };
}

#[test]
fn the_environment_variable_sets_the_limit() {
    let array = NpyArray::F64(ArrayD::zeros(IxDyn(&[1000])));
    let npz = npz_to_bytes(&[("w".into(), array.clone())]).unwrap();
    let npy = npy_to_bytes(&array);

    set_limit("8000");
    assert!(npy_from_bytes(&npy).is_ok());
    assert!(npz_from_bytes(&npz).is_ok());

    set_limit("7999");
    let message = npz_from_bytes(&npz).unwrap_err().to_string();
    assert!(
        message.contains("entry 'w.npy'")
            && message.contains("needs 8000 bytes, more than the limit of 7999 bytes"),
        "{message}"
    );
    assert!(
        npy_from_bytes(&npy)
            .unwrap_err()
            .to_string()
            .contains("limit of 7999")
    );

    // An entry declaring more than the limit (plus room for a header) is not inflated at all.
    set_limit("100");
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    writer
        .start_file("big.npy", zip::write::SimpleFileOptions::default())
        .unwrap();
    writer.write_all(&vec![0u8; 2 << 20]).unwrap();
    let zip = writer.finish().unwrap().into_inner();
    let message = npz_from_bytes(&zip).unwrap_err().to_string();
    assert!(
        message.contains("entry 'big.npy': declared uncompressed size of 2097152 bytes")
            && message.contains("limit of 1048688 bytes"),
        "{message}"
    );

    set_limit("4G");
    let message = npz_from_bytes(&npz).unwrap_err().to_string();
    assert_eq!(
        message,
        "ROCKPOOL_MAX_ARRAY_BYTES = '4G' is not a whole number of bytes"
    );
}
