//! The citizen behind a case: validated phone and ID-card numbers, and masking (PIPL).

use serde::{Deserialize, Serialize};

use crate::error::DomainError;

/// A mainland mobile (11 digits, 1[3-9]…) or a landline with area code (0531-8xxxxxxx).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let cleaned: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let cleaned = cleaned.strip_prefix("+86").unwrap_or(&cleaned).to_owned();
        let digits = cleaned.chars().all(|c| c.is_ascii_digit());
        let mobile = digits
            && cleaned.len() == 11
            && cleaned.starts_with('1')
            && matches!(cleaned.as_bytes()[1], b'3'..=b'9');
        let landline = digits && cleaned.starts_with('0') && (10..=12).contains(&cleaned.len());
        if mobile || landline {
            Ok(Self(cleaned))
        } else {
            Err(DomainError::InvalidField {
                field: "phone",
                reason: format!("“{raw}”不是有效的手机号或座机号"),
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****5678`: keeps the first three and last four digits.
    pub fn masked(&self) -> String {
        mask(&self.0, 3, 4)
    }
}

impl TryFrom<String> for Phone {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> Self {
        p.0
    }
}

/// An 18-character resident ID number with a valid birth date and ISO 7064 MOD 11-2 checksum.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdCard(String);

impl IdCard {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim().to_ascii_uppercase();
        let invalid = |why: &str| DomainError::InvalidField {
            field: "idCard",
            reason: format!("身份证号“{raw}”无效：{why}"),
        };
        let chars: Vec<char> = s.chars().collect();
        if chars.len() != 18 {
            return Err(invalid("长度必须为18位"));
        }
        let mut sum = 0u32;
        for (c, w) in chars[..17].iter().zip(Self::WEIGHTS) {
            sum += c.to_digit(10).ok_or_else(|| invalid("前17位必须是数字"))? * w;
        }
        let birth = &s[6..14];
        if chrono::NaiveDate::parse_from_str(birth, "%Y%m%d").is_err() {
            return Err(invalid("出生日期不正确"));
        }
        if Self::CHECK[(sum % 11) as usize] != chars[17] {
            return Err(invalid("校验位不正确"));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn masked(&self) -> String {
        mask(&self.0, 6, 4)
    }
}

impl TryFrom<String> for IdCard {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<IdCard> for String {
    fn from(p: IdCard) -> Self {
        p.0
    }
}

/// A number as shown without a reveal: `138****5678` for a valid phone (landlines
/// alike); anything else keeps at most its first three and last four characters.
pub fn mask_phone(raw: &str) -> String {
    Phone::parse(raw).map_or_else(|_| mask(raw, 3, 4), |p| p.masked())
}

fn mask(s: &str, keep_head: usize, keep_tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= keep_head + keep_tail {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..keep_head].iter().collect();
    out.push_str(&"*".repeat(chars.len() - keep_head - keep_tail));
    out.extend(&chars[chars.len() - keep_tail..]);
    out
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Citizen {
    pub name: String,
    pub phone: Option<Phone>,
    pub id_card: Option<IdCard>,
}

/// The citizen as shown to a role that may not see identity numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CitizenView {
    pub name: String,
    pub phone: Option<String>,
    pub id_card: Option<String>,
    pub masked: bool,
}

impl Citizen {
    pub fn view(&self, unmasked: bool) -> CitizenView {
        CitizenView {
            name: self.name.clone(),
            phone: self
                .phone
                .as_ref()
                .map(|p| if unmasked { p.0.clone() } else { p.masked() }),
            id_card: self
                .id_card
                .as_ref()
                .map(|p| if unmasked { p.0.clone() } else { p.masked() }),
            masked: !unmasked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert_eq!(
            Phone::parse("138 1234 5678").unwrap().as_str(),
            "13812345678"
        );
        assert_eq!(
            Phone::parse("+8613812345678").unwrap().masked(),
            "138****5678"
        );
        assert!(Phone::parse("0531-86012345").is_ok());
        for bad in [
            "12812345678",
            "1381234567",
            "abc",
            "",
            "138123456789",
            "13812345678'--",
        ] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn id_cards() {
        // Checksum computed by hand: 11010519491231002X is the standard example.
        assert!(IdCard::parse("11010519491231002X").is_ok());
        assert!(IdCard::parse("11010519491231002x").is_ok());
        assert!(IdCard::parse("110105194912310021").is_err());
        assert!(IdCard::parse("110105194913310020").is_err());
        assert!(IdCard::parse("1101051949123").is_err());
        assert_eq!(
            IdCard::parse("11010519491231002X").unwrap().masked(),
            "110105********002X"
        );
    }
}
