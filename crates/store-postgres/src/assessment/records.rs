//! Alerts, reports and assessment settings.

use chrono::{DateTime, Utc};
use minsheng_domain::ids::UnitId;
use minsheng_store::assessment::{AlertRecord, ReportRecord};

use super::big;
use crate::{ms, DbResult, PgStore};

fn parse_all<T: serde::de::DeserializeOwned>(rows: &[postgres::Row]) -> DbResult<Vec<T>> {
    rows.iter()
        .map(|r| Ok(serde_json::from_str(r.try_get::<_, &str>(0)?)?))
        .collect()
}

/// An alert seen before keeps its id and first raise time; only its document is
/// refreshed. Two instances may raise the same alert at once: the insert is conditional
/// on the natural key (`ON CONFLICT … DO NOTHING` waits for a concurrent insert of the
/// same key and then does nothing), and the refresh locks the stored row, so the alert
/// is stored once and both callers get the stored id back.
pub(super) fn upsert_alerts(store: &PgStore, alerts: &[AlertRecord]) -> DbResult<Vec<AlertRecord>> {
    store.write(|tx| {
        let mut stored = Vec::with_capacity(alerts.len());
        for a in alerts {
            let mut rec = a.clone();
            let inserted = tx.execute(
                "INSERT INTO assess_alerts(id, kind, area_kind, area, category, week, raised_at, data)
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8)
                 ON CONFLICT (kind, area_kind, area, category, week) DO NOTHING",
                &[
                    &rec.id,
                    &rec.kind,
                    &rec.area_kind,
                    &rec.area,
                    &rec.category,
                    &rec.week,
                    &ms(rec.raised_at),
                    &serde_json::to_string(&rec)?,
                ],
            )?;
            if inserted == 1 {
                for u in &rec.units {
                    tx.execute(
                        "INSERT INTO assess_alert_units(unit_id, alert_id, raised_at) VALUES ($1,$2,$3)
                         ON CONFLICT (unit_id, alert_id) DO NOTHING",
                        &[&u.to_string(), &rec.id, &ms(rec.raised_at)],
                    )?;
                }
                stored.push(rec);
                continue;
            }
            // Same alert seen again later in the week.
            let row = tx.query_one(
                "SELECT id, data FROM assess_alerts
                 WHERE kind = $1 AND area_kind = $2 AND area = $3 AND category = $4 AND week = $5
                 FOR UPDATE",
                &[&a.kind, &a.area_kind, &a.area, &a.category, &a.week],
            )?;
            let old: AlertRecord = serde_json::from_str(row.try_get::<_, &str>(1)?)?;
            rec.id = row.try_get(0)?;
            rec.raised_at = old.raised_at;
            tx.execute(
                "UPDATE assess_alerts SET data = $2 WHERE id = $1",
                &[&rec.id, &serde_json::to_string(&rec)?],
            )?;
            stored.push(rec);
        }
        Ok(stored)
    })
}

/// A plain read: the push of an alert is idempotent downstream (staff notifications are
/// keyed by `alert:<id>`), so two instances pushing the same alert notify once.
pub(super) fn alerts_to_push(store: &PgStore, limit: usize) -> DbResult<Vec<AlertRecord>> {
    store.read(|c| {
        parse_all(&c.query(
            "SELECT data FROM assess_alerts WHERE pushed_at IS NULL ORDER BY raised_at, id LIMIT $1",
            &[&big(limit)],
        )?)
    })
}

/// Keeps the first push time when two instances mark the same alert.
pub(super) fn mark_alert_pushed(store: &PgStore, id: &str, at: DateTime<Utc>) -> DbResult<()> {
    store.write(|tx| {
        tx.execute(
            "UPDATE assess_alerts SET pushed_at = $2 WHERE id = $1 AND pushed_at IS NULL",
            &[&id, &ms(at)],
        )?;
        Ok(())
    })
}

pub(super) fn alerts(
    store: &PgStore,
    units: Option<&[UnitId]>,
    limit: usize,
) -> DbResult<Vec<AlertRecord>> {
    store.read(|c| {
        let rows = match units {
            None => c.query(
                "SELECT data FROM assess_alerts ORDER BY raised_at DESC, id DESC LIMIT $1",
                &[&big(limit)],
            )?,
            Some(units) => {
                let ids: Vec<String> = units.iter().map(ToString::to_string).collect();
                c.query(
                    "SELECT a.data FROM assess_alerts a
                     WHERE a.id IN (SELECT alert_id FROM assess_alert_units WHERE unit_id = ANY($1))
                     ORDER BY a.raised_at DESC, a.id DESC LIMIT $2",
                    &[&ids, &big(limit)],
                )?
            }
        };
        parse_all(&rows)
    })
}

/// Without `replace`, a report of the same kind and period already stored wins (also
/// against a concurrent insert: `ON CONFLICT … DO NOTHING`); with it, the new report takes
/// the period's row in one upsert.
pub(super) fn insert_report(store: &PgStore, r: &ReportRecord, replace: bool) -> DbResult<bool> {
    let data = serde_json::to_string(r)?;
    store.write(|tx| {
        let on_conflict = if replace {
            "ON CONFLICT (kind, period_start) DO UPDATE SET id = excluded.id,
               generated_at = excluded.generated_at, data = excluded.data"
        } else {
            "ON CONFLICT (kind, period_start) DO NOTHING"
        };
        let n = tx.execute(
            &format!(
                "INSERT INTO assess_reports(id, kind, period_start, generated_at, data)
                 VALUES ($1,$2,$3,$4,$5) {on_conflict}"
            ),
            &[&r.id, &r.kind, &r.period_start, &ms(r.generated_at), &data],
        )?;
        Ok(n == 1)
    })
}

pub(super) fn reports(
    store: &PgStore,
    kind: Option<&str>,
    limit: usize,
) -> DbResult<Vec<ReportRecord>> {
    store.read(|c| {
        parse_all(&c.query(
            "SELECT data FROM assess_reports WHERE $1::TEXT IS NULL OR kind = $1
             ORDER BY period_start DESC, generated_at DESC LIMIT $2",
            &[&kind, &big(limit)],
        )?)
    })
}

pub(super) fn report(store: &PgStore, id: &str) -> DbResult<Option<ReportRecord>> {
    store.read(|c| {
        c.query_opt("SELECT data FROM assess_reports WHERE id = $1", &[&id])?
            .map(|r| Ok(serde_json::from_str(r.try_get::<_, &str>(0)?)?))
            .transpose()
    })
}

pub(super) fn setting(store: &PgStore, key: &str) -> DbResult<Option<String>> {
    store.read(|c| {
        Ok(
            c.query_opt("SELECT value FROM assess_settings WHERE key = $1", &[&key])?
                .map(|r| r.try_get(0))
                .transpose()?,
        )
    })
}

pub(super) fn set_setting(store: &PgStore, key: &str, value: &str) -> DbResult<()> {
    store.write(|tx| {
        tx.execute(
            "INSERT INTO assess_settings(key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&key, &value],
        )?;
        Ok(())
    })
}
