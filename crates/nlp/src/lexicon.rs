//! Class lexicons: words that name what a police category is about, from
//! the 政法 branch of the official 12345 taxonomy (附件1: 户籍证件/出入境管理,
//! 警务督察/刑讯逼供/超期羁押/警务执法, 社会治安/打黑除恶/黄赌毒,
//! 刑案侦破/立案侦查 …) and the Ministry of Public Security's names for the
//! same matters. They are priors for the classes with a handful of labelled
//! examples: a message that uses one gets a "this class's words occur"
//! feature, whose weight the learner sets from every example of the class
//! (one shared feature instead of many unseen n-grams).

use aho_corasick::{AhoCorasick, MatchKind};

use crate::analyzer::{hash_token, Block};
use crate::linear::LinearModel;
use crate::vectorizer::Vectorizer;

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
            "外国人",
            "三非",
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
            "网吧",
            "未成年人上网",
            "网络赌博",
            "裸聊",
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
            "村霸",
            "杀人",
            "命案",
            "绑架",
            "拐卖",
            "强奸",
            "猥亵",
            "故意伤害",
            "重伤",
            "刑事案件",
            "立案侦查",
            "案件侦破",
            "持刀",
            "砍人",
            "抢劫",
            "抢夺",
            "失踪",
            "走失",
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
            "协警",
            "协管员",
        ],
    ),
    (
        "户政",
        &[
            "户口",
            "户籍",
            "落户",
            "迁户",
            "上户",
            "入户",
            "户口迁移",
            "迁入",
            "迁出",
            "身份证",
            "居住证",
            "户政",
            "集体户",
            "新生儿",
            "改姓",
            "改名",
            "投靠",
        ],
    ),
    (
        "交通",
        &[
            "交警",
            "违章",
            "违停",
            "违法停车",
            "乱停车",
            "乱停乱放",
            "停车罚款",
            "贴条",
            "抄牌",
            "罚单",
            "扣分",
            "红绿灯",
            "信号灯",
            "斑马线",
            "人行横道",
            "交通事故",
            "闯红灯",
            "酒驾",
            "醉驾",
            "飙车",
            "超速",
            "限速",
            "鸣笛",
            "炸街",
            "改装",
            "排气管",
            "摩托车",
            "货车",
            "大货车",
            "渣土车",
            "逆行",
            "交通安全",
            "交通秩序",
            "电子眼",
            "测速",
            "隔离栏",
            "隔离护栏",
            "交通标志",
            "交通标线",
            "标线",
            "减速带",
            "交通噪音",
            "车速",
            "交通拥堵",
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
            "科目四",
            "补考",
            "增驾",
            "驾考",
            "考场",
            "车牌",
            "号牌",
            "上牌",
            "行驶证",
            "机动车登记",
            "车辆过户",
        ],
    ),
    (
        "治安",
        &[
            "治安",
            "赌博",
            "聚赌",
            "赌场",
            "吸毒",
            "贩毒",
            "卖淫",
            "嫖娼",
            "涉黄",
            "色情",
            "足浴",
            "按摩",
            "打架",
            "斗殴",
            "殴打",
            "打人",
            "围殴",
            "恐吓",
            "威胁",
            "寻衅滋事",
            "盗窃",
            "偷盗",
            "被盗",
            "入室",
            "小偷",
            "扒窃",
            "养犬",
            "养狗",
            "遛狗",
            "犬只",
            "恶犬",
            "烟花爆竹",
            "鞭炮",
            "烟花",
            "群租",
            "群租房",
            "出租屋",
            "旅馆",
            "民宿",
            "日租",
            "住宿登记",
            "监控",
            "治安监控",
            "管制刀具",
            "违规租房",
            "隔断房",
            "分租",
            "黄赌毒",
            "卡片",
        ],
    ),
    (
        "噪音",
        &[
            "广场舞",
            "跳舞",
            "高音喇叭",
            "大喇叭",
            "喇叭",
            "麻将",
            "麻将馆",
            "麻将室",
            "葬礼",
            "丧事",
            "电子鞭炮",
            "楼上",
            "邻居",
        ],
    ),
    (
        "诈骗",
        &[
            "诈骗",
            "传销",
            "非法集资",
            "集资诈骗",
            "非法吸收",
            "套路贷",
            "砍头息",
            "高利贷",
            "p2p",
            "爆雷",
            "跑路",
            "电信诈骗",
            "骗取",
            "虚假招商",
            "假币",
            "假钱",
            "资金盘",
            "返利",
            "理财",
            "恶性退出",
            "网贷",
            "车贷",
            "投资人",
            "兑付",
            "暴雷",
            "非法吸收公众存款",
            "集资款",
        ],
    ),
    (
        "公安",
        &[
            "公安",
            "派出所",
            "110",
            "报警",
            "出警",
            "接警",
            "立案",
            "拘留",
            "警方",
        ],
    ),
    (
        "非公安",
        &[
            "工地",
            "施工",
            "违章建筑",
            "违建",
            "私搭乱建",
            "拆迁",
            "物业",
            "城管",
            "小广告",
            "环保",
            "污染",
            "社保",
            "医保",
            "公积金",
            "学校",
            "入学",
            "学位",
            "教师",
            "工资",
            "拖欠",
            "路灯",
            "修路",
            "驾校",
            "房产证",
            "不动产",
            "补偿",
            "安置",
            "退款",
            "消费者",
            "合同纠纷",
            "网约车",
            "垃圾",
            "供水",
            "停水",
            "停电",
            "违章建筑",
            "违章搭建",
            "违章乱建",
            "违章摊位",
            "违章建设",
            "乱搭乱建",
            "偷工减料",
            "尿毒症",
            "110kv",
            "110千伏",
            "施工噪音",
            "油烟",
            "空调外机",
            "住改商",
            "占道经营",
            "断头路",
            "危房",
            "漏水",
        ],
    ),
];

/// Labels of the classification tasks that a lexicon class names (category,
/// unit kind). A label with only a handful of training examples gets a
/// prior weight on its class's lexicon features ([`crate::engine`]), so the
/// words of the 政法 taxonomy can predict it before the examples can.
pub const CLASS_LABELS: &[(&str, &[&str])] = &[
    ("出入境", &["出入境", "出入境管理"]),
    ("网络安全", &["网络安全", "网安"]),
    ("刑事案件", &["刑事案件", "刑侦"]),
    ("民警作风与执法", &["民警作风与执法", "督察"]),
    ("噪音", &["噪音扰民"]),
    ("户政", &["户政管理", "治安户政"]),
    ("交通", &["交通管理", "交警大队"]),
    ("车驾管", &["车驾管", "车管所"]),
    ("治安", &["治安管理"]),
    ("诈骗", &["诈骗与经济犯罪", "经侦反诈"]),
];

/// Prefix of the feature that says a class's term occurs in the title.
pub const TITLE_PREFIX: &str = "标题:";

/// Matcher over every lexicon term; reports the class of each term found.
#[derive(Debug, Clone)]
pub struct Lexicon {
    matcher: AhoCorasick,
    class_of: Vec<usize>,
    /// "标题:<class>" for every class, the feature name of a title match.
    title_names: Vec<String>,
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
        let title_names = CLASS_LEXICONS
            .iter()
            .map(|(class, _)| format!("{TITLE_PREFIX}{class}"))
            .collect();
        Self {
            matcher,
            class_of,
            title_names,
        }
    }

    /// Names of the classes whose terms occur in `normalized` text, each
    /// once per occurrence (so the count reaches the TF of the feature).
    pub fn classes_in<'a>(
        &'a self,
        normalized: &'a str,
    ) -> impl Iterator<Item = &'static str> + 'a {
        self.terms_in(normalized).map(|(class, _)| class)
    }

    /// Each term found with the name of its class.
    pub fn terms_in<'a>(
        &'a self,
        normalized: &'a str,
    ) -> impl Iterator<Item = (&'static str, &'a str)> + 'a {
        self.matcher.find_iter(normalized).map(|m| {
            (
                CLASS_LEXICONS[self.class_of[m.pattern().as_usize()]].0,
                &normalized[m.range()],
            )
        })
    }

    /// Like [`Self::terms_in`] for a title: the names carry [`TITLE_PREFIX`].
    pub fn title_terms_in<'a>(
        &'a self,
        title: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.matcher.find_iter(title).map(|m| {
            (
                self.title_names[self.class_of[m.pattern().as_usize()]].as_str(),
                &title[m.range()],
            )
        })
    }
}

/// Hashes of every lexicon feature, body and title.
pub fn feature_hashes() -> Vec<u64> {
    CLASS_LEXICONS
        .iter()
        .flat_map(|(class, _)| {
            [
                hash_token(Block::Lexicon, class),
                hash_token(Block::Lexicon, &format!("{TITLE_PREFIX}{class}")),
            ]
        })
        .collect()
}

/// Raises the weight of a rare label's lexicon features to at least the
/// prior `beta` (title) and `beta / 2` (body).
pub fn apply_priors(
    model: &mut LinearModel,
    vectorizer: &Vectorizer,
    labels: &[Option<String>],
    beta: f32,
    rare_below: usize,
) {
    let k = model.labels.len();
    for (class, names) in CLASS_LABELS {
        for name in *names {
            let Some(label) = model.labels.iter().position(|l| l == name) else {
                continue;
            };
            let count = labels.iter().flatten().filter(|l| l == name).count();
            if count >= rare_below {
                continue;
            }
            for (feature, prior) in [
                (class.to_string(), beta / 2.0),
                (format!("{TITLE_PREFIX}{class}"), beta),
            ] {
                if let Some(col) = vectorizer.column(hash_token(Block::Lexicon, &feature)) {
                    let w = &mut model.weights[col as usize * k + label];
                    *w = w.max(prior);
                }
            }
        }
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
