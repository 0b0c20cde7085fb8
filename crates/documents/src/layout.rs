//! A small flow composer for A4 forms: centred titles, wrapped paragraphs, bordered tables
//! whose rows may run over a page break (the header row repeats), a running header and
//! 第 i 页 / 共 N 页 on every page. Pages are composed first and drawn with krilla once
//! their number is known.

use std::collections::BTreeSet;

use krilla::geom::{PathBuilder, Point};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{GlyphId, KrillaGlyph};
use krilla::{Document, SerializeSettings};

use crate::breaking;
use crate::typeface::Typeface;
use crate::{Error, Rendered};

/// A4 in points.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN_X: f32 = 64.0;
const MARGIN_TOP: f32 = 72.0;
const MARGIN_BOTTOM: f32 = 64.0;
const CELL_PAD: f32 = 4.0;
/// Body text size (小四 ≈ 12 pt) and line height factor.
pub(crate) const BODY: f32 = 12.0;
const LEADING: f32 = 1.6;

type Glyphs = Vec<(char, u32, f32)>;

enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        glyphs: Glyphs,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Centre,
    Right,
}

/// A table column: share of the text width and alignment.
pub(crate) struct Column {
    pub share: f32,
    pub align: Align,
}

pub(crate) struct Composer<'a> {
    face: &'a Typeface,
    missing: BTreeSet<char>,
    pages: Vec<Vec<Op>>,
    y: f32,
    running_head: String,
}

impl<'a> Composer<'a> {
    /// `running_head` is printed small at the top of every page (document name and number).
    pub fn new(face: &'a Typeface, running_head: String) -> Self {
        let mut c = Self {
            face,
            missing: BTreeSet::new(),
            pages: Vec::new(),
            y: 0.0,
            running_head,
        };
        c.new_page();
        c
    }

    fn width() -> f32 {
        PAGE_W - 2.0 * MARGIN_X
    }

    fn bottom() -> f32 {
        PAGE_H - MARGIN_BOTTOM
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN_TOP;
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("a page is always open")
    }

    fn shape(&mut self, text: &str) -> Glyphs {
        self.face.shape(text, &mut self.missing).glyphs
    }

    /// Wraps `text` (paragraphs split at line feeds) to `max` points at `size`.
    fn wrap(&mut self, text: &str, size: f32, max: f32, first_indent: f32) -> Vec<(f32, Glyphs)> {
        let mut out = Vec::new();
        for para in text.split('\n') {
            let glyphs = self.shape(para);
            let chars: Vec<char> = glyphs.iter().map(|g| g.0).collect();
            let widths: Vec<f32> = glyphs.iter().map(|g| g.2 * size).collect();
            // The first line is shorter by the indent: wrap it alone, then the rest.
            let first = breaking::lines(&chars, &widths, (max - first_indent).max(size));
            let head = first[0].clone();
            out.push((first_indent, glyphs[head.clone()].to_vec()));
            if head.end < glyphs.len() {
                let rest = &glyphs[head.end..];
                let chars: Vec<char> = rest.iter().map(|g| g.0).collect();
                let widths: Vec<f32> = rest.iter().map(|g| g.2 * size).collect();
                for r in breaking::lines(&chars, &widths, max) {
                    out.push((0.0, rest[r].to_vec()));
                }
            }
        }
        out
    }

    fn advance(glyphs: &Glyphs, size: f32) -> f32 {
        glyphs.iter().map(|g| g.2 * size).sum()
    }

    fn baseline(&self, top: f32, size: f32) -> f32 {
        let (asc, desc) = self.face.vertical();
        let h = size * LEADING;
        top + (h - size * (asc - desc)) / 2.0 + asc * size
    }

    /// Moves to a new page unless `h` more points fit on this one.
    fn ensure(&mut self, h: f32) {
        if self.y + h > Self::bottom() && self.y > MARGIN_TOP {
            self.new_page();
        }
    }

    pub fn space(&mut self, h: f32) {
        self.y += h;
    }

    /// One wrapped block of text, aligned within the text width.
    pub fn text(&mut self, text: &str, size: f32, align: Align, bold: bool) {
        self.text_indented(text, size, align, bold, 0.0);
    }

    /// A body paragraph with the customary two-character first-line indent.
    pub fn paragraph(&mut self, text: &str) {
        self.text_indented(text, BODY, Align::Left, false, 2.0 * BODY);
    }

    fn text_indented(&mut self, text: &str, size: f32, align: Align, bold: bool, indent: f32) {
        let line_h = size * LEADING;
        for (dx, glyphs) in self.wrap(text, size, Self::width(), indent) {
            self.ensure(line_h);
            let w = Self::advance(&glyphs, size);
            let x = MARGIN_X
                + match align {
                    Align::Left => dx,
                    Align::Centre => (Self::width() - w) / 2.0,
                    Align::Right => Self::width() - w,
                };
            let y = self.baseline(self.y, size);
            self.ops().push(Op::Text {
                x,
                y,
                size,
                bold,
                glyphs,
            });
            self.y += line_h;
        }
    }

    /// Left and right text on one line (e.g. 编号 on the left, date on the right).
    pub fn split_line(&mut self, left: &str, right: &str, size: f32) {
        let line_h = size * LEADING;
        self.ensure(line_h);
        let y = self.baseline(self.y, size);
        let l = self.shape(left);
        let r = self.shape(right);
        let rw = Self::advance(&r, size);
        self.ops().push(Op::Text {
            x: MARGIN_X,
            y,
            size,
            bold: false,
            glyphs: l,
        });
        self.ops().push(Op::Text {
            x: MARGIN_X + Self::width() - rw,
            y,
            size,
            bold: false,
            glyphs: r,
        });
        self.y += line_h;
    }

    /// A horizontal rule across the text width (the red line of 红头文件, here black).
    pub fn rule(&mut self, width: f32) {
        self.ensure(4.0);
        let y = self.y + 2.0;
        self.ops().push(Op::Line {
            x1: MARGIN_X,
            y1: y,
            x2: MARGIN_X + Self::width(),
            y2: y,
            width,
        });
        self.y += 4.0 + width;
    }

    /// A bordered table. Rows run over page breaks line by line; `header` repeats on every
    /// page the table reaches.
    pub fn table(
        &mut self,
        columns: &[Column],
        header: Option<&[&str]>,
        rows: &[Vec<String>],
        size: f32,
    ) {
        let total: f32 = columns
            .iter()
            .map(|c| c.share)
            .sum::<f32>()
            .max(f32::EPSILON);
        let widths: Vec<f32> = columns
            .iter()
            .map(|c| c.share / total * Self::width())
            .collect();
        let header: Option<Vec<Vec<Glyphs>>> = header.map(|h| {
            h.iter()
                .zip(&widths)
                .map(|(t, w)| {
                    self.wrap(t, size, w - 2.0 * CELL_PAD, 0.0)
                        .into_iter()
                        .map(|l| l.1)
                        .collect()
                })
                .collect()
        });
        let line_h = size * LEADING;
        let header_h = header.as_ref().map_or(0.0, |h| {
            h.iter().map(Vec::len).max().unwrap_or(1) as f32 * line_h + 2.0 * CELL_PAD
        });
        // The header needs room for itself and one line of the first row.
        self.ensure(header_h + line_h + 2.0 * CELL_PAD);
        if let Some(h) = &header {
            self.table_row(columns, &widths, h, size, true, None);
        }
        for row in rows {
            let cells: Vec<Vec<Glyphs>> = row
                .iter()
                .zip(&widths)
                .map(|(t, w)| {
                    self.wrap(t, size, w - 2.0 * CELL_PAD, 0.0)
                        .into_iter()
                        .map(|l| l.1)
                        .collect()
                })
                .collect();
            self.table_row(columns, &widths, &cells, size, false, header.as_ref());
        }
    }

    fn table_row(
        &mut self,
        columns: &[Column],
        widths: &[f32],
        cells: &[Vec<Glyphs>],
        size: f32,
        bold: bool,
        header: Option<&Vec<Vec<Glyphs>>>,
    ) {
        let line_h = size * LEADING;
        let n = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
        if self.y + line_h + 2.0 * CELL_PAD > Self::bottom() {
            self.new_page();
            if let Some(h) = header {
                self.table_row(columns, widths, h, size, true, None);
            }
        }
        let mut seg_top = self.y;
        self.y += CELL_PAD;
        for i in 0..n {
            if self.y + line_h + CELL_PAD > Self::bottom() {
                self.y += CELL_PAD;
                self.borders(widths, seg_top);
                self.new_page();
                if let Some(h) = header {
                    self.table_row(columns, widths, h, size, true, None);
                }
                seg_top = self.y;
                self.y += CELL_PAD;
            }
            let y = self.baseline(self.y, size);
            let mut x = MARGIN_X;
            for ((cell, w), col) in cells.iter().zip(widths).zip(columns) {
                if let Some(glyphs) = cell.get(i) {
                    let gw = Self::advance(glyphs, size);
                    let inner = w - 2.0 * CELL_PAD;
                    let dx = match if bold { Align::Centre } else { col.align } {
                        Align::Left => 0.0,
                        Align::Centre => ((inner - gw) / 2.0).max(0.0),
                        Align::Right => (inner - gw).max(0.0),
                    };
                    self.ops().push(Op::Text {
                        x: x + CELL_PAD + dx,
                        y,
                        size,
                        bold,
                        glyphs: glyphs.clone(),
                    });
                }
                x += w;
            }
            self.y += line_h;
        }
        self.y += CELL_PAD;
        self.borders(widths, seg_top);
    }

    /// The frame of a row segment from `top` to the current position.
    fn borders(&mut self, widths: &[f32], top: f32) {
        let bottom = self.y;
        let right = MARGIN_X + Self::width();
        let w = 0.6;
        self.ops().push(Op::Line {
            x1: MARGIN_X,
            y1: top,
            x2: right,
            y2: top,
            width: w,
        });
        self.ops().push(Op::Line {
            x1: MARGIN_X,
            y1: bottom,
            x2: right,
            y2: bottom,
            width: w,
        });
        let mut x = MARGIN_X;
        self.ops().push(Op::Line {
            x1: x,
            y1: top,
            x2: x,
            y2: bottom,
            width: w,
        });
        for cw in widths {
            x += cw;
            self.ops().push(Op::Line {
                x1: x,
                y1: top,
                x2: x,
                y2: bottom,
                width: w,
            });
        }
    }

    /// Draws every page with its running head and page number, and serialises the PDF.
    pub fn finish(mut self, title: &str) -> Result<Rendered, Error> {
        let total = self.pages.len();
        let head = self.running_head.clone();
        let head_glyphs = self.shape(&head);
        let footers: Vec<Glyphs> = (1..=total)
            .map(|i| self.shape(&format!("第 {i} 页 / 共 {total} 页")))
            .collect();
        let face = self.face.krilla();
        let metadata = krilla::metadata::Metadata::new()
            .title(title.to_owned())
            .language("zh-CN".to_owned())
            .creator("民生警务平台".to_owned());
        let mut doc = Document::new_with(SerializeSettings::default());
        doc.set_metadata(metadata);
        let small = 9.0;
        for (i, ops) in self.pages.iter().enumerate() {
            let settings = PageSettings::from_wh(PAGE_W, PAGE_H).expect("A4 is a valid size");
            let mut page = doc.start_page_with(settings);
            let mut surface = page.surface();
            let draw = |s: &mut krilla::surface::Surface<'_>, op: &Op| match op {
                Op::Text {
                    x,
                    y,
                    size,
                    bold,
                    glyphs,
                } => draw_text(s, &face, *x, *y, *size, *bold, glyphs),
                Op::Line {
                    x1,
                    y1,
                    x2,
                    y2,
                    width,
                } => draw_line(s, *x1, *y1, *x2, *y2, *width),
            };
            let head_w = Self::advance(&head_glyphs, small);
            draw(
                &mut surface,
                &Op::Text {
                    x: MARGIN_X + Self::width() - head_w,
                    y: MARGIN_TOP - 26.0,
                    size: small,
                    bold: false,
                    glyphs: head_glyphs.clone(),
                },
            );
            draw(
                &mut surface,
                &Op::Line {
                    x1: MARGIN_X,
                    y1: MARGIN_TOP - 20.0,
                    x2: MARGIN_X + Self::width(),
                    y2: MARGIN_TOP - 20.0,
                    width: 0.5,
                },
            );
            let foot = &footers[i];
            draw(
                &mut surface,
                &Op::Text {
                    x: (PAGE_W - Self::advance(foot, small)) / 2.0,
                    y: PAGE_H - MARGIN_BOTTOM / 2.0,
                    size: small,
                    bold: false,
                    glyphs: foot.clone(),
                },
            );
            for op in ops {
                draw(&mut surface, op);
            }
            surface.finish();
            page.finish();
        }
        let pdf = doc.finish().map_err(|e| Error::Pdf(format!("{e:?}")))?;
        Ok(Rendered {
            pdf,
            pages: total,
            missing_chars: self.missing.into_iter().collect(),
        })
    }
}

fn draw_text(
    s: &mut krilla::surface::Surface<'_>,
    face: &krilla::text::Font,
    x: f32,
    y: f32,
    size: f32,
    bold: bool,
    glyphs: &Glyphs,
) {
    if glyphs.is_empty() {
        return;
    }
    let mut text = String::new();
    let mut run = Vec::with_capacity(glyphs.len());
    for &(c, gid, adv) in glyphs {
        let start = text.len();
        text.push(c);
        run.push(KrillaGlyph {
            glyph_id: GlyphId::new(gid),
            text_range: start..text.len(),
            x_advance: adv,
            x_offset: 0.0,
            y_offset: 0.0,
            y_advance: 0.0,
            location: None,
        });
    }
    s.set_fill(Some(Fill::default()));
    // No bold face is shipped: titles are emboldened with a thin outline of the same glyphs.
    s.set_stroke(bold.then(|| Stroke {
        width: size * 0.03,
        ..Stroke::default()
    }));
    s.draw_glyphs(Point::from_xy(x, y), &run, face.clone(), &text, size, false);
    s.set_stroke(None);
}

fn draw_line(s: &mut krilla::surface::Surface<'_>, x1: f32, y1: f32, x2: f32, y2: f32, width: f32) {
    let mut pb = PathBuilder::new();
    pb.move_to(x1, y1);
    pb.line_to(x2, y2);
    if let Some(path) = pb.finish() {
        s.set_fill(None);
        s.set_stroke(Some(Stroke {
            width,
            ..Stroke::default()
        }));
        s.draw_path(&path);
        s.set_stroke(None);
    }
}
