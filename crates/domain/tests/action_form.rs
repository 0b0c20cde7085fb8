//! The action form's checks are `apply`'s: an empty or over-long text names its field
//! with the domain's message, a state or role that does not fit names no field, and a
//! valid action has no problem. Expected fields and codes are written out here.

mod common;

use common::{case_in, World};
use minsheng_domain::case::CaseState;
use minsheng_domain::workflow::{check_action, Action};

#[test]
fn the_form_hears_the_domains_objections_by_field() {
    let w = World::new();
    let run = case_in(&w, CaseState::InProgress);
    let officer = w.officer_of(run.handling());
    let ctx = w.ctx(run.now);

    let blank = Action::Return {
        reason: "   ".into(),
    };
    let got = check_action(&run.case, officer, &blank, &ctx);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!((got[0].field, got[0].code), ("reason", "INVALID_FIELD"));
    assert!(got[0].message.contains("退办原因"), "{}", got[0].message);

    let long = Action::SubmitReply {
        text: "答".repeat(20_000),
    };
    let got = check_action(&run.case, officer, &long, &ctx);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!((got[0].field, got[0].code), ("text", "INVALID_FIELD"));

    // Approving is not an officer's; the refusal is about the role, not a field.
    let approve = Action::Approve {
        comment: None,
        verdict: None,
    };
    let got = check_action(&run.case, officer, &approve, &ctx);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].field, "");
    assert_ne!(got[0].code, "INVALID_FIELD");

    let ok = Action::SubmitReply {
        text: "已约谈施工方，夜间停工。".into(),
    };
    assert!(check_action(&run.case, officer, &ok, &ctx).is_empty());
}
