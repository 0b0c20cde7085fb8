//! Alerts, reports and settings.

use chrono::{DateTime, Utc};
use minsheng_domain::ids::UnitId;

use super::bj;
use crate::assessment::{AlertRecord, ReportRecord};
use crate::conformance::City;
use crate::Store;

fn alert(id: &str, category: &str, raised_at: DateTime<Utc>, units: Vec<UnitId>) -> AlertRecord {
    AlertRecord {
        id: id.into(),
        kind: "volume".into(),
        area_kind: "unit".into(),
        area: "甲派出所".into(),
        area_name: "甲派出所".into(),
        category: category.into(),
        week: "2026-03-02".into(),
        observed: 9,
        baseline: 2.5,
        statistic: 0.001,
        message: "噪音扰民诉求量异常上升".into(),
        raised_at,
        units,
    }
}

pub fn alerts_are_stored_once_and_pushed_once(store: &dyn Store) {
    let city = City::new();
    let units = vec![city.station_a.id, city.branch.id];
    let first = alert("alert-1", "噪音扰民", bj(3, 4, 8, 0), units.clone());
    assert_eq!(
        store.upsert_alerts(std::slice::from_ref(&first)).unwrap(),
        vec![first.clone()]
    );

    // Seen again later in the week (a new id offered): the stored one is refreshed.
    let mut again = alert("alert-2", "噪音扰民", bj(3, 5, 8, 0), units.clone());
    again.observed = 12;
    let stored = store.upsert_alerts(&[again.clone()]).unwrap();
    let want = AlertRecord {
        id: first.id.clone(),
        raised_at: first.raised_at,
        ..again
    };
    assert_eq!(
        stored,
        vec![want.clone()],
        "keeps its id and first raise time"
    );
    assert_eq!(store.alerts(None, 10).unwrap(), vec![want.clone()]);

    assert_eq!(store.alerts_to_push(10).unwrap(), vec![want.clone()]);
    store.mark_alert_pushed(&first.id, bj(3, 5, 9, 0)).unwrap();
    assert!(store.alerts_to_push(10).unwrap().is_empty(), "pushed once");
    let third = store.upsert_alerts(std::slice::from_ref(&want)).unwrap();
    assert_eq!(third, vec![want.clone()]);
    assert!(
        store.alerts_to_push(10).unwrap().is_empty(),
        "a refreshed alert is not pushed again"
    );

    // Another category is another alert; newest first; visible to its units only.
    let other = alert(
        "alert-3",
        "占道经营",
        bj(3, 6, 8, 0),
        vec![city.station_b.id],
    );
    store.upsert_alerts(std::slice::from_ref(&other)).unwrap();
    assert_eq!(store.alerts_to_push(10).unwrap(), vec![other.clone()]);
    assert_eq!(
        store.alerts(None, 10).unwrap(),
        vec![other.clone(), want.clone()]
    );
    assert_eq!(store.alerts(None, 1).unwrap(), vec![other.clone()]);
    assert_eq!(
        store.alerts(Some(&[city.branch.id]), 10).unwrap(),
        vec![want.clone()]
    );
    assert_eq!(
        store
            .alerts(Some(&[city.station_a.id, city.station_b.id]), 10)
            .unwrap(),
        vec![other, want]
    );
    assert!(store
        .alerts(Some(&[city.other_station.id]), 10)
        .unwrap()
        .is_empty());
    assert!(store.alerts(Some(&[]), 10).unwrap().is_empty());
}

fn report(id: &str, kind: &str, period_start: &str, at_: DateTime<Utc>) -> ReportRecord {
    ReportRecord {
        id: id.into(),
        kind: kind.into(),
        period_start: period_start.into(),
        title: format!("{period_start} 考核报告"),
        generated_at: at_,
        generated_by: "schedule".into(),
        body: serde_json::json!({ "totals": { "received": 3 } }),
    }
}

pub fn reports_keep_the_first_unless_replaced(store: &dyn Store) {
    let first = report("r-1", "week", "2026-03-02", bj(3, 9, 1, 0));
    assert!(store.insert_report(&first, false).unwrap());
    let second = report("r-2", "week", "2026-03-02", bj(3, 9, 2, 0));
    assert!(
        !store.insert_report(&second, false).unwrap(),
        "one per kind and period"
    );
    assert_eq!(store.report("r-1").unwrap(), Some(first.clone()));
    assert_eq!(store.report("r-2").unwrap(), None);
    assert_eq!(
        store.reports(Some("week"), 10).unwrap(),
        vec![first.clone()]
    );

    let month = report("r-3", "month", "2026-02-01", bj(3, 1, 1, 0));
    assert!(store.insert_report(&month, false).unwrap());
    let earlier = report("r-4", "week", "2026-02-23", bj(3, 2, 1, 0));
    assert!(store.insert_report(&earlier, false).unwrap());
    assert_eq!(
        store.reports(None, 10).unwrap(),
        vec![first.clone(), earlier.clone(), month.clone()],
        "newest period first"
    );
    assert_eq!(store.reports(Some("month"), 10).unwrap(), vec![month]);
    assert_eq!(store.reports(Some("week"), 1).unwrap(), vec![first]);

    let mut on_demand = report("r-5", "week", "2026-03-02", bj(3, 9, 10, 0));
    on_demand.generated_by = "领导甲".into();
    assert!(store.insert_report(&on_demand, true).unwrap(), "replace");
    assert_eq!(store.report("r-1").unwrap(), None);
    assert_eq!(store.report("r-5").unwrap(), Some(on_demand.clone()));
    assert_eq!(
        store.reports(Some("week"), 10).unwrap(),
        vec![on_demand, earlier]
    );
}

pub fn assessment_settings_round_trip(store: &dyn Store) {
    assert_eq!(store.assessment_setting("weights").unwrap(), None);
    let w = r#"{"signInOnTime":20,"replyOnTime":30}"#;
    store.set_assessment_setting("weights", w).unwrap();
    assert_eq!(
        store.assessment_setting("weights").unwrap().as_deref(),
        Some(w)
    );
    store.set_assessment_setting("weights", "{}").unwrap();
    assert_eq!(
        store.assessment_setting("weights").unwrap().as_deref(),
        Some("{}")
    );
    assert_eq!(store.assessment_setting("other").unwrap(), None);
}
