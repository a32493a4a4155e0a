//! From a figure to bytes on disk: backend choice, the embedded font, PNG encoding and the
//! atomic write.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{PlotError, Result};
use crate::style::FONT;

/// The embedded font (DejaVu Sans 2.37; licence in `assets/DejaVuSans-LICENSE.txt`).
static FONT_BYTES: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Smallest and largest accepted image sizes in pixels; below the minimum the axis areas no
/// longer fit, above the maximum a PNG buffer would take gigabytes.
const MIN_SIZE: (u32, u32) = (160, 120);
const MAX_SIDE: u32 = 16_384;

/// Output file format, chosen from the file name's extension (case-insensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.png`: an RGB raster image.
    Png,
    /// `.svg`: a vector image; text stays text.
    Svg,
}

impl Format {
    /// The format for `path`, or [`PlotError::UnsupportedFormat`].
    ///
    /// # Errors
    /// If the extension is neither `png` nor `svg`.
    pub fn from_path(path: &Path) -> Result<Format> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("png") => Ok(Format::Png),
            Some("svg") => Ok(Format::Svg),
            _ => Err(PlotError::UnsupportedFormat {
                path: path.to_path_buf(),
            }),
        }
    }
}

/// Something that draws itself onto any plotters backend.
pub(crate) trait Figure {
    /// Draws the whole figure; errors are the plotting library's messages.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// Turns any plotters error into its message.
pub(crate) fn msg(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Registers the embedded font once per process under the family name [`FONT`].
fn ensure_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // The bytes are a valid TrueType font, checked by the tests; if registration failed,
        // text would be skipped rather than the plot lost.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES);
    });
}

/// Checks the file format and the image size before any work is done.
pub(crate) fn check_target(path: &Path, size: (u32, u32)) -> Result<Format> {
    let format = Format::from_path(path)?;
    let (w, h) = size;
    if w < MIN_SIZE.0 || h < MIN_SIZE.1 || w > MAX_SIDE || h > MAX_SIDE {
        return Err(PlotError::InvalidInput {
            path: path.to_path_buf(),
            problem: format!(
                "image size {w}x{h} is outside {}x{} to {MAX_SIDE}x{MAX_SIDE} pixels",
                MIN_SIZE.0, MIN_SIZE.1
            ),
        });
    }
    Ok(format)
}

/// Draws `figure` in the format `path` names and writes it atomically.
pub(crate) fn render(path: &Path, size: (u32, u32), figure: &impl Figure) -> Result<()> {
    let format = check_target(path, size)?;
    ensure_font();
    let draw_error = |message| PlotError::Draw {
        path: path.to_path_buf(),
        message,
    };
    let bytes = match format {
        Format::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
                draw_on(&root, figure).map_err(draw_error)?;
            }
            svg.into_bytes()
        }
        Format::Png => {
            let (w, h) = (size.0 as usize, size.1 as usize);
            let mut rgb = vec![0u8; w * h * 3];
            {
                let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
                draw_on(&root, figure).map_err(draw_error)?;
            }
            encode_png(&rgb, size).map_err(|source| PlotError::Encode {
                path: path.to_path_buf(),
                source,
            })?
        }
    };
    rockpool_io::write_atomic(path, &bytes)?;
    Ok(())
}

fn draw_on<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    figure: &impl Figure,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(msg)?;
    figure.draw(root)?;
    root.present().map_err(msg)
}

fn encode_png(rgb: &[u8], (w, h): (u32, u32)) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_font_is_valid() {
        assert!(plotters::style::register_font("test-font", FontStyle::Normal, FONT_BYTES).is_ok());
    }

    #[test]
    fn formats_from_extensions() {
        assert_eq!(
            Format::from_path(Path::new("a/b.PNG")).unwrap(),
            Format::Png
        );
        assert_eq!(Format::from_path(Path::new("b.svg")).unwrap(), Format::Svg);
        for bad in ["b.jpg", "b", "b.png.txt", ".png"] {
            assert!(Format::from_path(Path::new(bad)).is_err(), "{bad}");
        }
    }
}
