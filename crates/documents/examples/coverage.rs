//! Measures which share of the distinct characters of text files a font covers:
//! `cargo run -p minsheng-documents --example coverage -- FONT FILE...` (FONT may be a
//! collection; its SC face is used). Lists the characters it lacks.

use std::collections::BTreeSet;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (font, files) = args.split_first().expect("usage: coverage FONT FILE...");
    let face = minsheng_documents::Typeface::from_bytes(std::fs::read(font).expect("font"), "SC")
        .expect("a readable font");
    let mut chars = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(f).expect("UTF-8 text file");
        chars.extend(
            text.chars()
                .filter(|c| !c.is_control() && !c.is_whitespace()),
        );
    }
    let missing: Vec<char> = chars.iter().copied().filter(|&c| !face.covers(c)).collect();
    let covered = chars.len() - missing.len();
    println!(
        "{font}: {covered} of {} distinct characters covered ({:.2}%)",
        chars.len(),
        100.0 * covered as f64 / chars.len().max(1) as f64
    );
    let cjk_missing = missing
        .iter()
        .filter(|c| ('\u{4E00}'..='\u{9FFF}').contains(*c))
        .count();
    println!(
        "missing: {} (CJK ideographs among them: {cjk_missing})",
        missing.len()
    );
    println!("{}", missing.iter().collect::<String>());
}
