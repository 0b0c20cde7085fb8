//! Class lexicons: words that name what a police category is about, from
//! the 政法 branch of the official 12345 taxonomy (附件1: 户籍证件/出入境管理,
//! 警务督察/刑讯逼供/超期羁押/警务执法, 社会治安/打黑除恶/黄赌毒,
//! 刑案侦破/立案侦查 …) and the Ministry of Public Security's names for the
//! same matters. They are priors for the classes with a handful of labelled
//! examples: a message that uses one gets a "this class's words occur"
//! feature, whose weight the learner sets from every example of the class
//! (one shared feature instead of many unseen n-grams).

use aho_corasick::{AhoCorasick, MatchKind};

/// (class feature name, terms). Category and unit-kind names share features
/// where they mean the same matter (出入境 ↔ 出入境管理, 网络安全 ↔ 网安 …).
pub const CLASS_LEXICONS: &[(&str, &[&str])] = &[
    (
        "出入境",
        &[
            "出入境",
            "护照",
            "港澳通行证",
            "往来港澳",
            "台湾通行证",
            "签注",
            "签证",
            "入境",
            "出境",
        ],
    ),
    (
        "网络安全",
        &[
            "网络安全",
            "黑客",
            "个人信息",
            "信息泄露",
            "泄露",
            "木马",
            "病毒",
            "网络攻击",
            "短信轰炸",
            "骚扰电话",
            "网络谣言",
            "网络水军",
            "被盗号",
            "账号被盗",
        ],
    ),
    (
        "刑事案件",
        &[
            "黑恶",
            "涉黑",
            "扫黑除恶",
            "打黑除恶",
            "黑社会",
            "恶势力",
            "保护伞",
            "杀人",
            "命案",
            "绑架",
            "拐卖",
            "强奸",
            "故意伤害",
            "重伤",
            "刑事案件",
            "立案侦查",
            "案件侦破",
            "持刀",
        ],
    ),
    (
        "民警作风与执法",
        &[
            "民警",
            "警察",
            "辅警",
            "执法",
            "不作为",
            "乱作为",
            "刑讯逼供",
            "超期羁押",
            "包庇",
            "警务督察",
            "不予立案",
            "不立案",
            "拒不立案",
            "滥用职权",
            "态度恶劣",
            "态度蛮横",
            "推诿",
            "非法拘禁",
            "非法拘留",
            "违法办案",
        ],
    ),
    (
        "户政",
        &["户口", "户籍", "落户", "迁户", "身份证", "居住证", "户政"],
    ),
    (
        "交通",
        &[
            "交警",
            "违章",
            "违停",
            "红绿灯",
            "信号灯",
            "交通事故",
            "闯红灯",
            "酒驾",
            "飙车",
        ],
    ),
    (
        "车驾管",
        &[
            "驾驶证",
            "驾照",
            "车管所",
            "年检",
            "年审",
            "科目一",
            "科目二",
            "科目三",
            "车牌",
            "号牌",
            "行驶证",
        ],
    ),
    (
        "治安",
        &[
            "治安", "赌博", "聚赌", "吸毒", "贩毒", "卖淫", "嫖娼", "涉黄", "打架", "斗殴", "盗窃",
            "偷盗", "养犬",
        ],
    ),
    (
        "诈骗",
        &[
            "诈骗",
            "传销",
            "非法集资",
            "集资诈骗",
            "套路贷",
            "p2p",
            "爆雷",
            "跑路",
            "电信诈骗",
        ],
    ),
    ("公安", &["公安", "派出所", "110", "报警", "出警", "接警"]),
];

/// Matcher over every lexicon term; reports the class of each term found.
#[derive(Debug, Clone)]
pub struct Lexicon {
    matcher: AhoCorasick,
    class_of: Vec<usize>,
}

impl Default for Lexicon {
    fn default() -> Self {
        Self::new()
    }
}

impl Lexicon {
    pub fn new() -> Self {
        let mut patterns = Vec::new();
        let mut class_of = Vec::new();
        for (class, (_, terms)) in CLASS_LEXICONS.iter().enumerate() {
            for term in *terms {
                patterns.push(*term);
                class_of.push(class);
            }
        }
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .expect("the lexicon's fixed patterns build");
        Self { matcher, class_of }
    }

    /// Names of the classes whose terms occur in `normalized` text, each
    /// once per occurrence (so the count reaches the TF of the feature).
    pub fn classes_in<'a>(
        &'a self,
        normalized: &'a str,
    ) -> impl Iterator<Item = &'static str> + 'a {
        self.matcher
            .find_iter(normalized)
            .map(|m| CLASS_LEXICONS[self.class_of[m.pattern().as_usize()]].0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_classes_of_terms() {
        let lexicon = Lexicon::new();
        let found: Vec<&str> = lexicon
            .classes_in("我的护照丢了，另外有人泄露了我的个人信息")
            .collect();
        assert_eq!(found, vec!["出入境", "网络安全", "网络安全"]);
        assert_eq!(lexicon.classes_in("小区绿化太差").count(), 0);
    }
}
