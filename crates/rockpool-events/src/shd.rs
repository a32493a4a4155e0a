//! The Spiking Heidelberg Digits (SHD) and Spiking Speech Commands (SSC) HDF5 files.
//!
//! One file per split (`shd_train.h5`, `shd_test.h5`, `ssc_train.h5`, `ssc_valid.h5`,
//! `ssc_test.h5`), each holding
//!
//! | dataset | shape | element | meaning |
//! |---|---|---|---|
//! | `spikes/times` | `[N]` | variable-length array of floats | spike times of sample *i*, seconds |
//! | `spikes/units` | `[N]` | variable-length array of integers | channel (0–699) of each spike |
//! | `labels` | `[N]` | integer | class, 0–19 (SHD) or 0–34 (SSC) |
//! | `extra/…` | | | speakers, keys, metadata (not read) |
//!
//! The published files are believed to hold float16 times and uint16 units; the reader takes
//! whatever numeric element type the file declares (float16/32/64, signed or unsigned integers
//! of 1–8 bytes, either byte order) and checks that units are whole numbers.
//!
//! # How one sample is read
//!
//! An HDF5 variable-length array stores, per sample, a 16-byte reference (length, address of a
//! *global heap collection*, object index); the numbers themselves live in the collection.
//! `rust-hdf5`'s own reader (`read_vlen_bytes`) decodes every sample of a dataset at once, so
//! [`ShdDataset::open`] uses it only for the file's metadata: the element types, the labels
//! (`[N]` numbers) and the two reference arrays (`16 · N` bytes each). [`EventDataset::get`] then
//! reads the one or two heap collections holding sample *i* straight from the file (a
//! collection is typically a few KiB to a few tens of KiB) and decodes them with `rust-hdf5`'s
//! public `GlobalHeapCollection::decode`. The last few collections are cached, so reading
//! samples in file order reads each collection about once. Memory use is therefore `32 · N`
//! bytes plus the labels plus one sample, not the whole file.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rust_hdf5::format::FormatContext;
use rust_hdf5::format::global_heap::{
    GlobalHeapCollection, decode_vlen_reference, vlen_reference_size,
};
use rust_hdf5::{DatatypeMessage, H5File};

use crate::error::{EventError, Location, Result, check_size};
use crate::numeric::NumType;
use crate::stream::{EventDataset, EventStream, SensorSize, TimeOrder, check_index, check_label};

/// Heap collections kept in memory between calls to `get`.
const CACHED_COLLECTIONS: usize = 8;

/// The HDF5 field names.
const TIMES: &str = "spikes/times";
const UNITS: &str = "spikes/units";
const LABELS: &str = "labels";

/// One variable-length column: its element type and one reference per sample.
#[derive(Debug)]
struct VlenColumn {
    name: &'static str,
    ty: NumType,
    /// `(elements, collection address, object index)` per sample.
    refs: Vec<(u32, u64, u32)>,
}

/// An SHD or SSC split file, read one sample at a time (see the module docs).
///
/// Samples are audio events: `x` = unit (channel, `< 700`), `y = p = 0`, `t` in seconds.
#[doc(alias = "SHD")]
#[doc(alias = "SSC")]
#[derive(Debug)]
pub struct ShdDataset {
    path: PathBuf,
    name: String,
    classes: usize,
    sensor: SensorSize,
    order: TimeOrder,
    labels: Vec<f64>,
    times: VlenColumn,
    units: VlenColumn,
    total_events: u64,
    ctx: FormatContext,
    file_len: u64,
    file: Mutex<File>,
    cache: Mutex<Vec<(u64, Arc<GlobalHeapCollection>)>>,
}

impl ShdDataset {
    /// Classes of SHD (digits 0–9 in German and English).
    pub const SHD_CLASSES: usize = 20;
    /// Classes of SSC (the 35 words of Speech Commands).
    pub const SSC_CLASSES: usize = 35;

    /// Opens an SHD split file (`shd_train.h5`, `shd_test.h5`): 20 classes, 700 channels.
    pub fn open_shd(path: impl AsRef<Path>) -> Result<Self> {
        Self::open(path, "shd", Self::SHD_CLASSES, SensorSize::SHD)
    }

    /// Opens an SSC split file (`ssc_train.h5`, `ssc_valid.h5`, `ssc_test.h5`): 35 classes,
    /// 700 channels.
    pub fn open_ssc(path: impl AsRef<Path>) -> Result<Self> {
        Self::open(path, "ssc", Self::SSC_CLASSES, SensorSize::SHD)
    }

    /// Opens any file of the SHD layout with `classes` classes and units `< sensor.width`
    /// (`sensor.height` and `sensor.polarities` are normally 1). Reads the metadata, the
    /// labels and the per-sample references; no events.
    pub fn open(
        path: impl AsRef<Path>,
        name: &str,
        classes: usize,
        sensor: SensorSize,
    ) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let mut file = File::open(&path).map_err(|e| EventError::io(&path, e))?;
        let file_len = file.metadata().map_err(|e| EventError::io(&path, e))?.len();
        let h5 = H5File::open(&path).map_err(|e| h5_error(&Location::new(&path, "/"), e))?;
        let ctx = format_context(&mut file, h5.userblock_size(), &path)?;

        let labels_at = Location::new(&path, LABELS);
        let labels_ds = h5.dataset(LABELS).map_err(|e| h5_error(&labels_at, e))?;
        let labels_ty =
            NumType::from_hdf5(&labels_ds.datatype().map_err(|e| h5_error(&labels_at, e))?)
                .map_err(|r| EventError::format(&labels_at, r))?;
        let n = one_dim(&labels_ds.shape(), &labels_at)?;
        check_size(&labels_at, n as u64 * labels_ty.size() as u64)?;
        let raw = labels_ds
            .read_raw_bytes()
            .map_err(|e| h5_error(&labels_at, e))?;
        if raw.len() != n * labels_ty.size() {
            return Err(EventError::format(
                &labels_at,
                format!(
                    "{} bytes read for {n} labels of {}",
                    raw.len(),
                    labels_ty.name()
                ),
            ));
        }
        let labels = labels_ty.decode(&raw);

        let times = vlen_column(&h5, TIMES, &path, n, &ctx)?;
        let units = vlen_column(&h5, UNITS, &path, n, &ctx)?;
        let total_events = times.refs.iter().map(|r| r.0 as u64).sum();
        Ok(ShdDataset {
            path,
            name: name.to_string(),
            classes,
            sensor,
            order: TimeOrder::Require,
            labels,
            times,
            units,
            total_events,
            ctx,
            file_len,
            file: Mutex::new(file),
            cache: Mutex::new(Vec::new()),
        })
    }

    /// Sets what [`get`](EventDataset::get) does with unsorted times (default: refuse).
    pub fn with_time_order(mut self, order: TimeOrder) -> Self {
        self.order = order;
        self
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The element types the file declares for times and units, e.g. `("float16", "uint16")`.
    pub fn element_types(&self) -> (String, String) {
        (self.times.ty.name(), self.units.ty.name())
    }

    /// Reads the numbers of sample `sample` of `col`.
    fn read_column(&self, col: &VlenColumn, sample: usize) -> Result<Vec<f64>> {
        let at = Location::new(&self.path, col.name).sample(sample);
        let (len, addr, index) = col.refs[sample];
        let bytes = len as u64 * col.ty.size() as u64;
        check_size(&at, bytes)?;
        if len == 0 {
            return Ok(Vec::new());
        }
        let coll = self.collection(addr, &at)?;
        let object = u16::try_from(index)
            .ok()
            .and_then(|i| coll.get_object(i))
            .ok_or_else(|| {
                EventError::format(
                    &at,
                    format!("heap object {index} is missing from the collection at {addr:#x}"),
                )
            })?;
        if (object.len() as u64) < bytes {
            return Err(EventError::format(
                &at,
                format!(
                    "the reference declares {len} elements of {} ({bytes} bytes), the heap \
                     object holds {} bytes",
                    col.ty.name(),
                    object.len()
                ),
            ));
        }
        Ok(col.ty.decode(&object[..bytes as usize]))
    }

    /// The global heap collection at `addr`, from the cache or the file.
    fn collection(&self, addr: u64, at: &Location) -> Result<Arc<GlobalHeapCollection>> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(pos) = cache.iter().position(|(a, _)| *a == addr) {
            let entry = cache.remove(pos);
            let coll = entry.1.clone();
            cache.push(entry);
            return Ok(coll);
        }
        drop(cache);
        let header_len = (8 + self.ctx.sizeof_size as u64).next_multiple_of(8);
        if addr
            .checked_add(header_len)
            .is_none_or(|end| end > self.file_len)
        {
            return Err(EventError::format(
                at,
                format!(
                    "heap collection address {addr:#x} is beyond the end of the file ({} bytes)",
                    self.file_len
                ),
            ));
        }
        let header = self.read_at(addr, header_len as usize)?;
        let size = GlobalHeapCollection::decode_size(&header, &self.ctx)
            .map_err(|e| EventError::format(at, format!("heap collection at {addr:#x}: {e}")))?
            as u64;
        if size < header_len || addr.checked_add(size).is_none_or(|end| end > self.file_len) {
            return Err(EventError::format(
                at,
                format!(
                    "heap collection at {addr:#x} declares {size} bytes, past the end of the \
                     file ({} bytes)",
                    self.file_len
                ),
            ));
        }
        check_size(at, size)?;
        let bytes = self.read_at(addr, size as usize)?;
        let (coll, _) = GlobalHeapCollection::decode(&bytes, &self.ctx)
            .map_err(|e| EventError::format(at, format!("heap collection at {addr:#x}: {e}")))?;
        let coll = Arc::new(coll);
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHED_COLLECTIONS {
            cache.remove(0);
        }
        cache.push((addr, coll.clone()));
        Ok(coll)
    }

    fn read_at(&self, addr: u64, len: usize) -> Result<Vec<u8>> {
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let mut buf = vec![0u8; len];
        file.seek(SeekFrom::Start(addr))
            .and_then(|_| file.read_exact(&mut buf))
            .map_err(|e| EventError::io(&self.path, e))?;
        Ok(buf)
    }
}

impl EventDataset for ShdDataset {
    fn len(&self) -> usize {
        self.labels.len()
    }

    fn get(&self, index: usize) -> Result<(EventStream, usize)> {
        let label = self.label(index)?;
        let at = Location::new(&self.path, "").sample(index);
        let t = self.read_column(&self.times, index)?;
        let u = self.read_column(&self.units, index)?;
        if t.len() != u.len() {
            return Err(EventError::format(
                &at.field(UNITS),
                format!("{} units, but {TIMES} has {} times", u.len(), t.len()),
            ));
        }
        let mut x = Vec::with_capacity(u.len());
        for (i, &v) in u.iter().enumerate() {
            if v.fract() != 0.0 || v < 0.0 || v >= self.sensor.width as f64 {
                return Err(EventError::OutOfRange {
                    at: at.field(UNITS),
                    event: i,
                    value: v.to_string(),
                    allowed: format!("units must be whole numbers in 0..{}", self.sensor.width),
                });
            }
            x.push(v as u16);
        }
        let mut stream = EventStream::from_channels(t, x)?;
        stream.validate_named(self.sensor, self.order, &at, [TIMES, UNITS, "y", "p"])?;
        Ok((stream, label))
    }

    fn label(&self, index: usize) -> Result<usize> {
        check_index(index, self.len())?;
        let v = self.labels[index];
        let at = Location::new(&self.path, LABELS).sample(index);
        if v.fract() != 0.0 {
            return Err(EventError::format(
                &at,
                format!("label {v} is not a whole number"),
            ));
        }
        check_label(v as i64, self.classes, &at)
    }

    fn num_classes(&self) -> usize {
        self.classes
    }

    fn sensor(&self) -> SensorSize {
        self.sensor
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn total_events(&self) -> Option<u64> {
        Some(self.total_events)
    }
}

fn h5_error(at: &Location, e: rust_hdf5::Hdf5Error) -> EventError {
    EventError::format(at, format!("HDF5: {e}"))
}

/// The length of a one-dimensional dataset.
fn one_dim(shape: &[usize], at: &Location) -> Result<usize> {
    match shape {
        [n] => Ok(*n),
        _ => Err(EventError::format(
            at,
            format!("shape {shape:?}, expected one dimension [N]"),
        )),
    }
}

/// Reads the element type and the per-sample references of a vlen dataset of `n` samples.
fn vlen_column(
    h5: &H5File,
    name: &'static str,
    path: &Path,
    n: usize,
    ctx: &FormatContext,
) -> Result<VlenColumn> {
    let at = Location::new(path, name);
    let ds = h5.dataset(name).map_err(|e| h5_error(&at, e))?;
    let ty = match ds.datatype().map_err(|e| h5_error(&at, e))? {
        DatatypeMessage::VarLenSequence { base } => {
            NumType::from_hdf5(&base).map_err(|r| EventError::format(&at, r))?
        }
        _ => {
            return Err(EventError::format(
                &at,
                "not a variable-length array (one sequence of numbers per sample)",
            ));
        }
    };
    let len = one_dim(&ds.shape(), &at)?;
    if len != n {
        return Err(EventError::format(
            &at,
            format!("{len} samples, but {LABELS} has {n}"),
        ));
    }
    let ref_size = vlen_reference_size(ctx);
    check_size(&at, n as u64 * ref_size as u64)?;
    let raw = ds.read_raw_bytes().map_err(|e| h5_error(&at, e))?;
    if raw.len() != n * ref_size {
        return Err(EventError::format(
            &at,
            format!(
                "{} bytes of references read, expected {n} × {ref_size}",
                raw.len()
            ),
        ));
    }
    let refs = raw
        .chunks_exact(ref_size)
        .map(|c| decode_vlen_reference(c, ctx))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| EventError::format(&at, format!("bad reference: {e}")))?;
    Ok(VlenColumn { name, ty, refs })
}

/// Offset and length sizes from the superblock at `base` (after any user block).
fn format_context(file: &mut File, base: u64, path: &Path) -> Result<FormatContext> {
    let at = Location::new(path, "superblock");
    let mut buf = [0u8; 16];
    file.seek(SeekFrom::Start(base))
        .and_then(|_| file.read_exact(&mut buf))
        .map_err(|e| EventError::io(path, e))?;
    // Superblock v0/v1: signature (8), version, three format versions, a reserved byte, then
    // the sizes of offsets and lengths; v2/v3: signature, version, then the two sizes.
    let (sa, ss) = match buf[8] {
        0 | 1 => (buf[13], buf[14]),
        2 | 3 => (buf[9], buf[10]),
        v => {
            return Err(EventError::format(
                &at,
                format!("unknown superblock version {v}"),
            ));
        }
    };
    for s in [sa, ss] {
        if ![2, 4, 8].contains(&s) {
            return Err(EventError::format(
                &at,
                format!("unsupported offset/length size {s}"),
            ));
        }
    }
    Ok(FormatContext {
        sizeof_addr: sa,
        sizeof_size: ss,
    })
}
