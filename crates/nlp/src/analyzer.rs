//! Segmentation (jieba + domain words) and hashed sparse features.
//!
//! Features are 64-bit hashes of (block, token) so that vectorising needs no
//! string allocation; the strings are produced again only when explaining a
//! prediction to the clerk.

use std::hash::{Hash, Hasher};

use jieba_rs::Jieba;
use rustc_hash::FxHasher;

use crate::text::{is_noise_char, normalize};

/// Police vocabulary that jieba's general dictionary splits or lacks.
pub const POLICE_TERMS: &[&str] = &[
    "派出所",
    "公安局",
    "公安分局",
    "交警",
    "交警大队",
    "车管所",
    "出入境",
    "户政",
    "治安",
    "刑侦",
    "经侦",
    "网安",
    "督察",
    "反诈",
    "民警",
    "辅警",
    "警察",
    "报警",
    "接警",
    "出警",
    "立案",
    "不予立案",
    "拘留",
    "驾驶证",
    "驾照",
    "行驶证",
    "机动车",
    "非机动车",
    "电动车",
    "违章",
    "违停",
    "违法停车",
    "闯红灯",
    "红绿灯",
    "信号灯",
    "斑马线",
    "交通事故",
    "酒驾",
    "醉驾",
    "飙车",
    "炸街",
    "改装车",
    "渣土车",
    "限行",
    "年检",
    "年审",
    "科目一",
    "科目二",
    "科目三",
    "车牌",
    "号牌",
    "过户",
    "户口",
    "户籍",
    "落户",
    "迁户",
    "身份证",
    "居住证",
    "暂住证",
    "无犯罪记录",
    "护照",
    "港澳通行证",
    "签注",
    "诈骗",
    "电信诈骗",
    "网络诈骗",
    "传销",
    "非法集资",
    "集资诈骗",
    "套路贷",
    "高利贷",
    "暴力催收",
    "P2P",
    "盗窃",
    "偷盗",
    "抢劫",
    "打架",
    "斗殴",
    "殴打",
    "寻衅滋事",
    "赌博",
    "聚赌",
    "涉赌",
    "吸毒",
    "贩毒",
    "涉毒",
    "卖淫",
    "嫖娼",
    "涉黄",
    "黑恶",
    "涉黑",
    "扫黑除恶",
    "保护伞",
    "噪音扰民",
    "广场舞",
    "麻将馆",
    "养犬",
    "遛狗",
    "烟花爆竹",
    "鞭炮",
    "失踪",
    "走失",
    "个人信息",
    "信息泄露",
    "监控",
    "视频监控",
    "110",
    "12345",
];

/// Which part of the message a feature came from. Each block is normalised
/// separately so that long bodies do not drown the title.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Block {
    TitleWord = 0,
    BodyWord = 1,
    BodyChar = 2,
    /// One feature per class lexicon ([`crate::lexicon`]) whose words occur.
    Lexicon = 3,
}

pub const BLOCKS: usize = 4;

/// One feature occurrence: the hash and the block it belongs to.
#[derive(Debug, Clone, Copy)]
pub struct FeatureHit {
    pub hash: u64,
    pub block: Block,
}

/// Settings that change the features; saved with every model.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AnalyzerConfig {
    /// Smallest and largest character n-gram of the body block.
    pub char_ngram_min: usize,
    pub char_ngram_max: usize,
    /// Extra words added to jieba's dictionary (police terms, place names).
    pub domain_words: Vec<String>,
    /// Let jieba guess unknown words with its HMM (slower, slightly better).
    pub hmm: bool,
    /// Only this many leading characters are segmented into words.
    pub max_segmented_chars: usize,
    /// Emit the class-lexicon block.
    #[serde(default)]
    pub class_lexicon: bool,
    /// Also emit a "标题:<class>" feature for each lexicon term in the
    /// title: a police term in the title says far more about what the
    /// message is about than one in passing in the body. Off for models
    /// saved before it existed, so they keep their features.
    #[serde(default)]
    pub title_lexicon: bool,
}

impl Default for AnalyzerConfig {
    fn default() -> Self {
        Self {
            char_ngram_min: 1,
            char_ngram_max: 2,
            domain_words: POLICE_TERMS.iter().map(|s| (*s).to_string()).collect(),
            hmm: false,
            max_segmented_chars: 400,
            class_lexicon: true,
            title_lexicon: true,
        }
    }
}

/// Segmenter plus feature extractor. Building one loads jieba's dictionary
/// (tens of milliseconds), so build it once and share it.
pub struct Analyzer {
    jieba: Jieba,
    lexicon: crate::lexicon::Lexicon,
    config: AnalyzerConfig,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Analyzer {
    pub fn new(config: AnalyzerConfig) -> Self {
        let mut jieba = Jieba::new();
        for word in &config.domain_words {
            let word = word.trim();
            if !word.is_empty() {
                // A high frequency makes jieba keep the word whole.
                jieba.add_word(word, Some(50_000), None);
            }
        }
        Self {
            jieba,
            lexicon: crate::lexicon::Lexicon::new(),
            config,
        }
    }

    pub fn config(&self) -> &AnalyzerConfig {
        &self.config
    }

    /// Appends the feature hits of a message to `out` (cleared first).
    pub fn features(&self, title: &str, detail: &str, out: &mut Vec<FeatureHit>) {
        out.clear();
        self.visit(title, detail, |block, token, _| {
            out.push(FeatureHit {
                hash: hash_token(block, token),
                block,
            });
        });
    }

    /// Feature hashes with their readable token, for explanations.
    pub fn labelled_features(&self, title: &str, detail: &str) -> Vec<(u64, Block, String)> {
        let mut out = Vec::new();
        self.visit(title, detail, |block, token, shown| {
            out.push((hash_token(block, token), block, shown.to_string()));
        });
        out
    }

    /// Calls `emit(block, feature, shown)` for every feature token; `shown`
    /// is what a clerk reads for it (the feature itself, or for a lexicon
    /// feature the term that occurred). The message is segmented once:
    /// title and detail are joined by a space, which jieba never crosses, so
    /// the words before it are the title words.
    fn visit(&self, title: &str, detail: &str, mut emit: impl FnMut(Block, &str, &str)) {
        let title = normalize(title);
        let body = join_body(&title, &normalize(detail));
        let base = body.as_ptr() as usize;
        // Segmentation is the costliest step; the head of a message says
        // what it is about, and the character n-grams still cover the rest.
        let head = crate::text::truncate_chars(&body, self.config.max_segmented_chars);
        for word in self.words(head) {
            if word.as_ptr() as usize - base < title.len() {
                emit(Block::TitleWord, word, word);
            }
            emit(Block::BodyWord, word, word);
        }
        self.char_ngrams(&body, |gram| emit(Block::BodyChar, gram, gram));
        if self.config.class_lexicon {
            for (class, term) in self.lexicon.terms_in(&body) {
                emit(Block::Lexicon, class, term);
            }
            if self.config.title_lexicon {
                for (class, term) in self.lexicon.title_terms_in(&title) {
                    emit(Block::Lexicon, class, term);
                }
            }
        }
    }

    /// Content words of already-normalised text (punctuation dropped).
    pub fn words<'a>(&self, normalized: &'a str) -> impl Iterator<Item = &'a str> {
        self.jieba
            .cut(normalized, self.config.hmm)
            .into_iter()
            .filter(|w| !w.chars().all(is_noise_char))
    }

    fn char_ngrams<'a>(&self, text: &'a str, mut emit: impl FnMut(&'a str)) {
        // Byte offsets of every character plus the end, so windows are slices.
        let mut bounds = Vec::with_capacity(text.len() + 1);
        bounds.extend(text.char_indices().map(|(i, _)| i));
        bounds.push(text.len());
        let n_chars = bounds.len() - 1;
        for start in 0..n_chars {
            for n in self.config.char_ngram_min..=self.config.char_ngram_max {
                let end = start + n;
                if end > n_chars {
                    break;
                }
                let gram = &text[bounds[start]..bounds[end]];
                if gram.contains(' ') || (n == 1 && gram.chars().all(is_noise_char)) {
                    continue;
                }
                emit(gram);
            }
        }
    }
}

fn join_body(title: &str, detail: &str) -> String {
    let mut body = String::with_capacity(title.len() + detail.len() + 1);
    body.push_str(title);
    body.push(' ');
    body.push_str(detail);
    body
}

/// Stable across runs and platforms (FxHash has no random seed).
pub fn hash_token(block: Block, token: &str) -> u64 {
    let mut h = FxHasher::default();
    (block as u8).hash(&mut h);
    token.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_domain_words_whole() {
        let mut config = AnalyzerConfig::default();
        config.domain_words.push("中海国际社区".to_string());
        let analyzer = Analyzer::new(config);
        let words: Vec<_> = analyzer.words("中海国际社区夜间噪音扰民找派出所").collect();
        assert!(words.contains(&"中海国际社区"), "{words:?}");
        assert!(words.contains(&"派出所"), "{words:?}");
    }

    #[test]
    fn empty_text_has_no_features() {
        let analyzer = Analyzer::new(AnalyzerConfig::default());
        let mut out = Vec::new();
        analyzer.features("", "   ", &mut out);
        assert!(out.is_empty());
    }
}
