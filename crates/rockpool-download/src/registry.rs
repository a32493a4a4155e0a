//! The official sources of the event datasets, with their published hashes.
//!
//! URLs, file names and MD5 hashes are those the Tonic library (neuromorphs/tonic, GPL-3.0;
//! only these facts are taken from it) downloads and checks, as of its commit `d0cb6df` (Feb.
//! 2025):
//!
//! - SHD and SSC: `tonic/datasets/hsd.py` (the Zenke lab's zip archives, one HDF5 file each).
//! - N-MNIST: `tonic/datasets/nmnist.py` (Mendeley Data, dataset `468j46mzdv`).
//! - DVS Gesture: `tonic/datasets/dvsgesture.py` (Tonic's preprocessed copy on figshare:
//!   samples cut per label, `user<NN>_<lighting>/<label>.npy`, time in ms).
//!
//! The Zenke lab also publishes the HDF5 files gzipped (`https://zenkelab.org/datasets/
//! shd_train.h5.gz` etc., hashes in `md5sums.txt` beside them); the zip form is used here
//! because its hashes are the ones Tonic pins. Both unpack to the same `shd_train.h5`.

use std::borrow::Cow;

use crate::checksum::Checksum;
use crate::error::{Error, Result};
use crate::extract::ArchiveKind;

/// One published file of a dataset: where it is, what it must hash to, what it unpacks to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteFile {
    /// The split it holds: `"train"`, `"valid"` or `"test"`.
    pub split: &'static str,
    /// Where to download it from.
    pub url: Cow<'static, str>,
    /// The name it is saved under (some URLs, such as Mendeley's, end in no file name).
    pub file_name: &'static str,
    /// The published hash of the file as downloaded.
    pub checksum: Checksum,
    /// How to unpack it.
    pub archive: ArchiveKind,
    /// The top-level file or folder it unpacks to: the path a reader opens.
    pub unpacks_to: &'static str,
}

/// A dataset: its name on the command line and the files that make it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetSpec {
    /// The name used by `rockpool data download` and [`crate::fetch_dataset`] (`"shd"`), also
    /// the sub-folder its files go to.
    pub name: &'static str,
    /// A one-line description.
    pub title: &'static str,
    /// Its files, one per split.
    pub files: Vec<RemoteFile>,
}

impl DatasetSpec {
    /// The file of `split`, if the dataset has one.
    pub fn file(&self, split: &str) -> Option<&RemoteFile> {
        self.files.iter().find(|f| f.split == split)
    }
}

const fn md5(hex: &'static str) -> Checksum {
    Checksum::Md5(Cow::Borrowed(hex))
}

fn remote(
    split: &'static str,
    url: &'static str,
    file_name: &'static str,
    checksum: Checksum,
    archive: ArchiveKind,
    unpacks_to: &'static str,
) -> RemoteFile {
    RemoteFile {
        split,
        url: Cow::Borrowed(url),
        file_name,
        checksum,
        archive,
        unpacks_to,
    }
}

/// The Zenke lab's folder of SHD and SSC files (tonic/datasets/hsd.py, `base_url`).
const ZENKELAB: &str = "https://zenkelab.org/datasets/";

/// One HDF5 split zipped at the Zenke lab.
fn hsd(split: &'static str, zip: &'static str, hash: &'static str, h5: &'static str) -> RemoteFile {
    RemoteFile {
        url: Cow::Owned(format!("{ZENKELAB}{zip}")),
        ..remote(split, "", zip, md5(hash), ArchiveKind::Zip, h5)
    }
}

/// Every dataset `rockpool data download` knows, with its official sources.
pub fn datasets() -> Vec<DatasetSpec> {
    vec![
        DatasetSpec {
            name: "shd",
            title: "Spiking Heidelberg Digits: spoken digits 0-9 in English and German, 700 channels, 20 classes",
            // tonic/datasets/hsd.py, class SHD
            files: vec![
                hsd(
                    "train",
                    "shd_train.h5.zip",
                    "f3252aeb598ac776c1b526422d90eecb",
                    "shd_train.h5",
                ),
                hsd(
                    "test",
                    "shd_test.h5.zip",
                    "1503a5064faa34311c398fb0a1ed0a6f",
                    "shd_test.h5",
                ),
            ],
        },
        DatasetSpec {
            name: "ssc",
            title: "Spiking Speech Commands: 35 spoken words, 700 channels",
            // tonic/datasets/hsd.py, class SSC
            files: vec![
                hsd(
                    "train",
                    "ssc_train.h5.zip",
                    "d102be95e7144fcc0553d1f45ba94170",
                    "ssc_train.h5",
                ),
                hsd(
                    "valid",
                    "ssc_valid.h5.zip",
                    "b4eee3516a4a90dd0c71a6ac23a8ae43",
                    "ssc_valid.h5",
                ),
                hsd(
                    "test",
                    "ssc_test.h5.zip",
                    "a35ff1e9cffdd02a20eb850c17c37748",
                    "ssc_test.h5",
                ),
            ],
        },
        DatasetSpec {
            name: "nmnist",
            title: "N-MNIST: MNIST digits recorded by a moving ATIS sensor, 34x34x2, 10 classes",
            // tonic/datasets/nmnist.py: base_url, train_url/test_url, *_md5, *_folder
            files: vec![
                remote(
                    "train",
                    "https://data.mendeley.com/public-files/datasets/468j46mzdv/files/39c25547-014b-4137-a934-9d29fa53c7a0/file_downloaded",
                    "train.zip",
                    md5("20959b8e626244a1b502305a9e6e2031"),
                    ArchiveKind::Zip,
                    "Train",
                ),
                remote(
                    "test",
                    "https://data.mendeley.com/public-files/datasets/468j46mzdv/files/05a4d654-7e03-4c15-bdfa-9bb2bcbea494/file_downloaded",
                    "test.zip",
                    md5("69ca8762b2fe404d9b9bad1103e97832"),
                    ArchiveKind::Zip,
                    "Test",
                ),
            ],
        },
        DatasetSpec {
            name: "dvs_gesture",
            title: "IBM DVS Gesture (Tonic's preprocessed .npy samples): 128x128x2, 11 classes",
            // tonic/datasets/dvsgesture.py: train_url/test_url, *_md5, *_filename
            files: vec![
                remote(
                    "train",
                    "https://figshare.com/ndownloader/files/38022171",
                    "ibmGestureTrain.tar.gz",
                    md5("3a8f0d4120a166bac7591f77409cb105"),
                    ArchiveKind::TarGz,
                    "ibmGestureTrain",
                ),
                remote(
                    "test",
                    "https://figshare.com/ndownloader/files/38020584",
                    "ibmGestureTest.tar.gz",
                    md5("56070e45dadaa85fff82e0fbfbc06de5"),
                    ArchiveKind::TarGz,
                    "ibmGestureTest",
                ),
            ],
        },
    ]
}

/// The dataset called `name`. Case, `-` and `_` do not matter (`N-MNIST`, `dvs-gesture`,
/// `dvsgesture` all work); an unknown name's error lists the known ones.
pub fn dataset(name: &str) -> Result<DatasetSpec> {
    let key = |s: &str| {
        s.chars()
            .filter(|c| *c != '-' && *c != '_')
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    let wanted = key(name);
    let all = datasets();
    let known = all.iter().map(|d| d.name).collect::<Vec<_>>().join(", ");
    all.into_iter()
        .find(|d| key(d.name) == wanted)
        .ok_or_else(|| Error::UnknownDataset {
            name: name.to_string(),
            known,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_is_well_formed() {
        let all = datasets();
        let names: Vec<_> = all.iter().map(|d| d.name).collect();
        assert_eq!(names, ["shd", "ssc", "nmnist", "dvs_gesture"]);
        for d in &all {
            assert!(!d.files.is_empty());
            for f in &d.files {
                f.checksum.validate().unwrap();
                assert!(f.url.starts_with("https://"), "{}", f.url);
                assert_eq!(
                    ArchiveKind::from_path(std::path::Path::new(f.file_name)),
                    Some(f.archive),
                    "{}",
                    f.file_name
                );
                assert!(!f.unpacks_to.contains(['/', '\\']));
            }
        }
        let shd = dataset("shd").unwrap();
        assert_eq!(
            shd.file("train").unwrap().url,
            "https://zenkelab.org/datasets/shd_train.h5.zip"
        );
        assert_eq!(dataset("SSC").unwrap().files.len(), 3);
    }

    #[test]
    fn names_are_forgiving_and_unknown_ones_listed() {
        assert_eq!(dataset("N-MNIST").unwrap().name, "nmnist");
        assert_eq!(dataset("dvs-gesture").unwrap().name, "dvs_gesture");
        assert_eq!(dataset("DVSGesture").unwrap().name, "dvs_gesture");
        let err = dataset("cifar10dvs").unwrap_err().to_string();
        assert!(err.contains("shd, ssc, nmnist, dvs_gesture"), "{err}");
    }
}
