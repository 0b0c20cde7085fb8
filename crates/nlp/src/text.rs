//! Text normalisation shared by the classifiers and the duplicate index.

/// Longer inputs are cut here: the head of a message carries its matter, and
/// a bound keeps a 100 KB paste from costing more than a normal message.
pub const MAX_CHARS: usize = 4000;

/// Normalises a message for feature extraction:
/// traditional → simplified Chinese (only when traditional characters are
/// likely present, to keep the common path cheap), full-width ASCII →
/// half-width, ASCII lower case, whitespace runs → one space, bounded length.
pub fn normalize(text: &str) -> String {
    let bounded = truncate_chars(text, MAX_CHARS);
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
/// has no common traditional character.
fn looks_traditional(text: &str) -> bool {
    const MARKERS: &str = "們這個來說時對會與為國過還於學點區號車當機關係麼從發問題報處請電話無務經現實資裡聽備嗎該證縣門鄰噪擾盜騙詐";
    text.chars().any(|c| !c.is_ascii() && MARKERS.contains(c))
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
    fn bounds_length() {
        let long = "噪".repeat(MAX_CHARS * 3);
        assert_eq!(normalize(&long).chars().count(), MAX_CHARS);
    }
}
