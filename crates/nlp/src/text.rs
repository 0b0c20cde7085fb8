//! Text normalisation shared by the classifiers and the duplicate index.

/// Longer inputs are cut here: the head of a message carries its matter, and
/// a bound keeps a 100 KB paste from costing more than a normal message.
pub const MAX_CHARS: usize = 4000;

/// Normalises a message for feature extraction:
/// traditional → simplified Chinese (only when traditional characters are
/// likely present, to keep the common path cheap), full-width ASCII →
/// half-width, HTML tags and common entities removed, ASCII lower case, whitespace runs → one space, bounded length.
pub fn normalize(text: &str) -> String {
    let stripped;
    let mut bounded = truncate_chars(text, MAX_CHARS);
    if bounded.contains(['<', '&']) {
        stripped = strip_markup(bounded);
        bounded = stripped.as_str();
    }
    let simplified;
    let source = if looks_traditional(bounded) {
        simplified = zhconv::zhconv(bounded, zhconv::Variant::ZhHans);
        simplified.as_str()
    } else {
        bounded
    };
    let mut out = String::with_capacity(source.len());
    let mut last_space = true;
    for ch in source.chars() {
        let ch = fold_char(ch);
        if ch.is_whitespace() {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
        } else {
            out.push(ch);
            last_space = false;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Returns at most `max` characters of `text` without splitting a character.
pub fn truncate_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

fn fold_char(ch: char) -> char {
    match ch {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => {
            char::from_u32(ch as u32 - 0xFEE0).map_or(ch, |c| c.to_ascii_lowercase())
        }
        c => c.to_ascii_lowercase(),
    }
}

/// Cheap screen: a handful of very frequent traditional-only characters.
/// A false negative just means conversion is skipped for a message that
/// has no common traditional character. Sorted, so each character costs
/// one binary search (a linear scan of the list per character was a visible
/// share of classification time).
const TRADITIONAL_MARKERS: [char; 54] = [
    '來', '係', '個', '們', '備', '務', '區', '問', '嗎', '噪', '國', '報', '學', '實', '對', '從',
    '擾', '於', '時', '會', '樓', '機', '為', '無', '現', '當', '發', '盜', '經', '縣', '聽', '與',
    '處', '號', '裡', '詐', '話', '該', '說', '請', '證', '資', '車', '這', '過', '還', '鄰', '門',
    '關', '電', '題', '騙', '麼', '點',
];

fn looks_traditional(text: &str) -> bool {
    text.chars()
        .any(|c| !c.is_ascii() && TRADITIONAL_MARKERS.binary_search(&c).is_ok())
}

/// Drops HTML/XML tags (`<p>`, `</div>`, `<!-- … -->`) and decodes the few
/// entities that occur in pasted web text, so markup neither becomes
/// features nor costs time. Only called when the text contains `<` or `&`.
/// The closing tag (lower case) of a `<script>` or `<style>` element that
/// `tag` (the text after '<') opens.
fn hidden_element_end(tag: &str) -> Option<&'static str> {
    let name = tag
        .get(
            ..tag
                .find(|c: char| !c.is_ascii_alphabetic())
                .unwrap_or(tag.len()),
        )
        .unwrap_or_default();
    if name.eq_ignore_ascii_case("script") {
        Some("</script")
    } else if name.eq_ignore_ascii_case("style") {
        Some("</style")
    } else {
        None
    }
}

fn strip_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(['<', '&']) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(inner) = tail.strip_prefix('<') {
            let is_tag =
                inner.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!');
            // A tag ends at the next '>' within a bounded window; a lone '<' is text.
            match tail.char_indices().take(400).find(|(_, c)| *c == '>') {
                Some((end, _)) if is_tag => {
                    out.push(' ');
                    rest = &tail[end + 1..];
                    // What a script or style element holds is never shown.
                    if let Some(close) = hidden_element_end(inner) {
                        // ASCII lower-casing keeps byte offsets.
                        rest = rest
                            .to_ascii_lowercase()
                            .find(close)
                            .and_then(|at| rest[at..].find('>').map(|end| at + end + 1))
                            .map_or("", |after| &rest[after..]);
                    }
                }
                _ => {
                    out.push('<');
                    rest = &tail[1..];
                }
            }
        } else {
            let entity = [
                ("&nbsp;", ' '),
                ("&lt;", '<'),
                ("&gt;", '>'),
                ("&amp;", '&'),
                ("&quot;", '"'),
            ]
            .into_iter()
            .find(|(name, _)| tail.starts_with(name));
            match entity {
                Some((name, ch)) => {
                    out.push(ch);
                    rest = &tail[name.len()..];
                }
                None => {
                    out.push('&');
                    rest = &tail[1..];
                }
            }
        }
    }
    out.push_str(rest);
    out
}

/// The content characters of already-normalised text (noise dropped).
pub fn content_chars(normalized: &str) -> Vec<char> {
    normalized.chars().filter(|c| !is_noise_char(*c)).collect()
}

/// Stable hash of a character sequence (FxHash has no random seed).
pub fn hash_chars(chars: &[char]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    chars.hash(&mut h);
    h.finish()
}

/// True for characters that carry no content (punctuation, symbols, spaces).
pub fn is_noise_char(ch: char) -> bool {
    ch.is_whitespace() || ch.is_ascii_punctuation() || is_cjk_punctuation(ch) || ch == '*'
}

fn is_cjk_punctuation(ch: char) -> bool {
    matches!(ch as u32, 0x3000..=0x303F | 0xFF00..=0xFF0F | 0xFF1A..=0xFF20 | 0xFF3B..=0xFF40 | 0xFF5B..=0xFF65 | 0x2010..=0x206F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_width_case_and_space() {
        assert_eq!(normalize("  ＡＢＣ１２３　abc\n\n x "), "abc123 abc x");
    }

    #[test]
    fn converts_traditional() {
        assert_eq!(normalize("鄰居噪音擾民"), "邻居噪音扰民");
    }

    #[test]
    fn strips_html() {
        assert_eq!(
            normalize("<p>楼上<b>噪音</b>扰民&nbsp;a&lt;b</p><!-- x -->"),
            "楼上 噪音 扰民 a<b"
        );
        assert_eq!(normalize("1 < 2 & 3"), "1 < 2 & 3");
    }

    #[test]
    fn drops_what_scripts_and_styles_hold() {
        assert_eq!(
            normalize("<SCRIPT type=x>var a=1;</Script>噪音<style>p{color:red}</style>扰民"),
            "噪音 扰民"
        );
        // An element never closed hides the rest, as in a browser.
        assert_eq!(normalize("噪音<script>var a"), "噪音");
    }

    #[test]
    fn traditional_markers_are_sorted() {
        assert!(TRADITIONAL_MARKERS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn bounds_length() {
        let long = "噪".repeat(MAX_CHARS * 3);
        assert_eq!(normalize(&long).chars().count(), MAX_CHARS);
    }
}
