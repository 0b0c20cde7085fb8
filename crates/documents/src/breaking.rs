//! Chinese line breaking: a break may fall between any two CJK characters, a run of Latin
//! letters or digits (case numbers, phone numbers, times) stays whole unless it is wider than
//! the line, and the 避头尾 rules keep closing punctuation off the start of a line and opening
//! punctuation off its end.

/// Characters that must not start a line (行首禁则).
fn no_line_start(c: char) -> bool {
    "，。、；：？！）》」』】〕〉”’…—%‰·,.;:?!)]}、～".contains(c)
}

/// Characters that must not end a line (行尾禁则).
fn no_line_end(c: char) -> bool {
    "（《「『【〔〈“‘([{".contains(c)
}

/// Letters and digits that form one word with their neighbours.
fn joins(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '@' | '#' | '+' | '.' | ':')
}

/// Splits `items` (one per printed character) into unbreakable units, returned as index ranges.
pub(crate) fn units(chars: &[char]) -> Vec<std::ops::Range<usize>> {
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    let mut i = 0;
    let mut glue_next = false;
    while i < chars.len() {
        let start = i;
        if joins(chars[i]) {
            while i < chars.len() && joins(chars[i]) {
                i += 1;
            }
        } else {
            i += 1;
        }
        let c = chars[start];
        let attach_prev = glue_next || (no_line_start(c) && !joins(c));
        match out.last_mut() {
            Some(last) if attach_prev => last.end = i,
            _ => out.push(start..i),
        }
        glue_next = no_line_end(chars[i - 1]);
    }
    out
}

/// Greedy line filling: `widths[i]` is the advance of character `i`; returns the ranges of
/// each line. A unit wider than the line is cut at the line's end.
pub(crate) fn lines(chars: &[char], widths: &[f32], max: f32) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut line_start = 0;
    let mut line_w = 0.0_f32;
    for unit in units(chars) {
        let w: f32 = widths[unit.clone()].iter().sum();
        if line_w + w <= max {
            line_w += w;
            continue;
        }
        if unit.start > line_start {
            out.push(line_start..unit.start);
            line_start = unit.start;
            line_w = 0.0;
        }
        if w <= max {
            line_w = w;
            continue;
        }
        // Wider than a whole line: cut it character by character.
        for i in unit {
            if line_w + widths[i] > max && i > line_start {
                out.push(line_start..i);
                line_start = i;
                line_w = 0.0;
            }
            line_w += widths[i];
        }
    }
    if line_start < chars.len() || out.is_empty() {
        out.push(line_start..chars.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str, max_chars: usize) -> Vec<String> {
        let chars: Vec<char> = text.chars().collect();
        let widths: Vec<f32> = chars
            .iter()
            .map(|c| if c.is_ascii() { 0.5 } else { 1.0 })
            .collect();
        lines(&chars, &widths, max_chars as f32)
            .into_iter()
            .map(|r| chars[r].iter().collect())
            .collect()
    }

    #[test]
    fn breaks_between_cjk_characters() {
        assert_eq!(split("一二三四五六七", 3), ["一二三", "四五六", "七"]);
    }

    #[test]
    fn closing_punctuation_never_starts_a_line() {
        // 。 would start line 2: it goes with 三 to the next line.
        assert_eq!(split("一二三。四五", 3), ["一二", "三。四", "五"]);
    }

    #[test]
    fn opening_punctuation_never_ends_a_line() {
        assert_eq!(split("一二（三）", 3), ["一二", "（三）"]);
    }

    #[test]
    fn latin_runs_stay_whole_unless_too_long() {
        assert_eq!(split("编号MS2026", 4), ["编号", "MS2026"]);
        let long = split("ABCDEFGHIJKLMNOP", 2);
        assert!(long.iter().all(|l| l.chars().count() <= 4), "{long:?}");
        assert_eq!(long.concat(), "ABCDEFGHIJKLMNOP");
    }

    #[test]
    fn empty_text_is_one_empty_line() {
        assert_eq!(split("", 3), [""]);
    }
}
