//! Thumbnails of photos and scans: at most `SIDE` pixels on the long side, upright
//! (the camera's EXIF orientation applied), JPEG. Made once at completion, so the
//! timeline shows a few KB per photo instead of the file.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use minsheng_domain::attachment::AttachmentType;

/// Longest side of a thumbnail, pixels.
pub const SIDE: u32 = 240;
/// JPEG quality of a thumbnail.
const QUALITY: u8 = 80;
/// Largest image accepted for decoding (a 48-megapixel phone photo is 8000×6000); a
/// "decompression bomb" with huge declared dimensions is refused before allocating.
const MAX_SIDE: u32 = 10_000;
/// Memory one decode may take (8000×6000 RGB is 144 MB).
const MAX_ALLOC: u64 = 320 * 1024 * 1024;

pub fn make(content: &[u8], kind: AttachmentType) -> Result<Vec<u8>, image::ImageError> {
    let format = match kind {
        AttachmentType::Png => ImageFormat::Png,
        _ => ImageFormat::Jpeg,
    };
    let mut reader = ImageReader::with_format(Cursor::new(content), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder()?;
    let orientation = decoder.orientation()?;
    let mut img = DynamicImage::from_decoder(decoder)?;
    img.apply_orientation(orientation);
    let small = img.thumbnail(SIDE, SIDE).to_rgb8();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, QUALITY).encode_image(&small)?;
    Ok(out)
}
