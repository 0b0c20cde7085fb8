//! The one font a document is set in: glyph look-up, advances, and the visible stand-in for
//! characters the font lacks (they never vanish silently: the caller gets them listed).

use std::collections::BTreeSet;
use std::sync::Arc;

use krilla::text::Font;
use skrifa::instance::{LocationRef, Size};
use skrifa::raw::{CollectionRef, FileRef};
use skrifa::string::StringId;
use skrifa::{FontRef, MetadataProvider};

use crate::Error;

/// Printed instead of a character the font has no glyph for (and listed in the output).
pub const REPLACEMENT: char = '□';
/// Used when the font lacks even [`REPLACEMENT`].
const LAST_RESORT: char = '?';

/// A loaded font with what layout needs from it.
#[derive(Clone)]
pub struct Typeface {
    data: Arc<Vec<u8>>,
    index: u32,
    font: Font,
    units_per_em: f32,
    ascent: f32,
    descent: f32,
}

impl std::fmt::Debug for Typeface {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Typeface")
            .field("bytes", &self.data.len())
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl Typeface {
    /// A font file (OTF/TTF) or one face of a collection (TTC): for a collection the face whose
    /// family name mentions `prefer` (e.g. `"SC"` for Simplified Chinese), else the first.
    pub fn from_bytes(data: Vec<u8>, prefer: &str) -> Result<Self, Error> {
        let index = match FileRef::new(&data).map_err(|e| Error::Font(e.to_string()))? {
            FileRef::Font(_) => 0,
            FileRef::Collection(c) => preferred_face(&c, prefer),
        };
        Self::with_index(Arc::new(data), index)
    }

    fn with_index(data: Arc<Vec<u8>>, index: u32) -> Result<Self, Error> {
        let (units_per_em, ascent, descent) = {
            let f = FontRef::from_index(&data, index).map_err(|e| Error::Font(e.to_string()))?;
            let m = f.metrics(Size::unscaled(), LocationRef::default());
            let upem = f32::from(m.units_per_em.max(1));
            (upem, m.ascent / upem, m.descent / upem)
        };
        let font = Font::new(krilla::Data::from(Arc::clone(&data)), index)
            .ok_or_else(|| Error::Font("无法读取字体".into()))?;
        Ok(Self {
            data,
            index,
            font,
            units_per_em,
            ascent,
            descent,
        })
    }

    pub(crate) fn krilla(&self) -> Font {
        self.font.clone()
    }

    fn font_ref(&self) -> FontRef<'_> {
        // Checked in `with_index`.
        FontRef::from_index(&self.data, self.index).expect("font checked at load")
    }

    /// Whether the font has a glyph for `c`.
    pub fn covers(&self, c: char) -> bool {
        self.font_ref()
            .charmap()
            .map(c)
            .is_some_and(|g| g.to_u32() != 0)
    }

    /// Ascent and descent (negative) per unit of font size.
    pub(crate) fn vertical(&self) -> (f32, f32) {
        (self.ascent, self.descent)
    }

    /// Shapes `text` one glyph per character (CJK and the Latin of case numbers need no
    /// more): glyph ids, advances per unit of font size, the text actually printed (missing
    /// characters replaced) and the missing characters.
    pub(crate) fn shape(&self, text: &str, missing: &mut BTreeSet<char>) -> Shaped {
        let f = self.font_ref();
        let cmap = f.charmap();
        let metrics = f.glyph_metrics(Size::unscaled(), LocationRef::default());
        let stand_in = [REPLACEMENT, LAST_RESORT]
            .into_iter()
            .find_map(|c| cmap.map(c).filter(|g| g.to_u32() != 0).map(|g| (c, g)));
        let mut out = Shaped::default();
        for c in text.chars() {
            let c = if c == '\t' { ' ' } else { c };
            if c.is_control() || is_invisible(c) {
                continue;
            }
            let (c, gid) = match cmap.map(c).filter(|g| g.to_u32() != 0) {
                Some(g) => (c, g),
                None => {
                    missing.insert(c);
                    match stand_in {
                        Some(s) => s,
                        None => (LAST_RESORT, skrifa::GlyphId::new(0)),
                    }
                }
            };
            let advance =
                metrics.advance_width(gid).unwrap_or(self.units_per_em) / self.units_per_em;
            out.glyphs.push((c, gid.to_u32(), advance));
        }
        out
    }
}

/// Zero-width marks that would only print as tofu (variation selectors, joiners, BOM).
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{E0100}'..='\u{E01EF}')
}

fn preferred_face(c: &CollectionRef<'_>, prefer: &str) -> u32 {
    (0..c.len())
        .find(|&i| {
            c.get(i).is_ok_and(|f| {
                f.localized_strings(StringId::FAMILY_NAME)
                    .english_or_first()
                    .is_some_and(|n| n.chars().collect::<String>().contains(prefer))
            })
        })
        .unwrap_or(0)
}

/// Characters after shaping: `(printed char, glyph id, advance per unit of size)`.
#[derive(Debug, Default, Clone)]
pub(crate) struct Shaped {
    pub glyphs: Vec<(char, u32, f32)>,
}

/// The subset of Noto Sans CJK SC shipped with the UI (SIL OFL 1.1, see the OFL.txt beside
/// it): the font of last resort when the system has no full CJK font.
pub const BUNDLED_FONT: &[u8] =
    include_bytes!("../../../ui/src/assets/fonts/NotoSansCJKsc-Regular.subset.otf");
