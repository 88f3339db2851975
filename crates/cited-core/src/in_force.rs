use chrono::NaiveDate;

use crate::version::{VersionId, VersionStatus};

/// The dates and flags that decide whether a version is in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionTimeline {
    /// Catalog row id of the version.
    pub version_id: VersionId,
    /// First day in force; `None`: from the start.
    pub effective_date: Option<NaiveDate>,
    /// First day no longer in force.
    pub end_date: Option<NaiveDate>,
    /// The source declares the version retired.
    pub declared_retired: bool,
    /// Ingest order, the tie-break between equal effective dates (the later ingest wins).
    pub ingest_seq: i64,
}

impl VersionTimeline {
    /// Retired versions are in force for nobody once terminated; one declared retired without a
    /// termination date is never in force, because we cannot tell since when it stopped applying.
    fn eligible_on(&self, date: NaiveDate) -> bool {
        let started = self.effective_date.is_none_or(|d| d <= date);
        let ended = match self.end_date {
            Some(end) => end <= date,
            None => self.declared_retired,
        };
        started && !ended
    }

    fn order_key(&self) -> (Option<NaiveDate>, i64) {
        (self.effective_date, self.ingest_seq)
    }
}

/// Given all versions of one document, returns the one in force on `date` (if any) and the status of every
/// version relative to that date, in input order.
///
/// The version in force is the one with the latest effective date on or before `date` (ties: the one
/// ingested last), if it has not ended. When that version has ended, nothing is in force: a retirement
/// retires the document, and the versions it superseded do not come back.
/// A version with a later effective date is `Scheduled`; an earlier one that lost is `Superseded`.
pub fn in_force_on(
    versions: &[VersionTimeline],
    date: NaiveDate,
) -> (Option<VersionId>, Vec<VersionStatus>) {
    let winner = versions
        .iter()
        .filter(|v| v.effective_date.is_none_or(|d| d <= date))
        .max_by_key(|v| v.order_key())
        .filter(|v| v.eligible_on(date));
    let statuses = versions
        .iter()
        .map(|v| {
            let ended = match v.end_date {
                Some(end) => end <= date,
                None => v.declared_retired,
            };
            if ended {
                VersionStatus::Retired
            } else if Some(v.version_id) == winner.map(|w| w.version_id) {
                VersionStatus::Active
            } else if v.effective_date.is_some_and(|d| d > date) {
                VersionStatus::Scheduled
            } else {
                VersionStatus::Superseded
            }
        })
        .collect();
    (winner.map(|w| w.version_id), statuses)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }

    fn v(
        id: i64,
        eff: Option<&str>,
        end: Option<&str>,
        retired: bool,
        seq: i64,
    ) -> VersionTimeline {
        VersionTimeline {
            version_id: id,
            effective_date: eff.map(day),
            end_date: end.map(day),
            declared_retired: retired,
            ingest_seq: seq,
        }
    }

    #[test]
    fn later_effective_version_supersedes_earlier() {
        let vs = [
            v(1, Some("2020-01-01"), None, false, 1),
            v(2, Some("2024-01-01"), None, false, 2),
        ];
        let (w, st) = in_force_on(&vs, day("2025-01-01"));
        assert_eq!(w, Some(2));
        assert_eq!(st, vec![VersionStatus::Superseded, VersionStatus::Active]);
        let (w, st) = in_force_on(&vs, day("2023-06-01"));
        assert_eq!(w, Some(1));
        assert_eq!(st, vec![VersionStatus::Active, VersionStatus::Scheduled]);
    }

    #[test]
    fn future_version_does_not_replace_current_until_its_date() {
        let vs = [
            v(1, Some("2020-01-01"), None, false, 1),
            v(2, Some("2030-01-01"), None, false, 2),
        ];
        assert_eq!(in_force_on(&vs, day("2026-11-22")).0, Some(1));
        assert_eq!(in_force_on(&vs, day("2030-01-01")).0, Some(2));
    }

    #[test]
    fn retired_version_is_in_force_for_nobody() {
        let vs = [v(1, Some("2010-01-01"), None, true, 1)];
        assert_eq!(in_force_on(&vs, day("2015-01-01")).0, None);
        let terminated = [v(1, Some("2010-01-01"), Some("2019-01-01"), true, 1)];
        assert_eq!(in_force_on(&terminated, day("2015-01-01")).0, Some(1));
        let (w, st) = in_force_on(&terminated, day("2020-01-01"));
        assert_eq!(w, None);
        assert_eq!(st, vec![VersionStatus::Retired]);
    }

    #[test]
    fn a_retired_last_version_does_not_bring_back_the_one_it_superseded() {
        let vs = [
            v(1, Some("2019-01-01"), None, false, 1),
            v(2, Some("2022-01-01"), Some("2025-03-31"), true, 2),
        ];
        assert_eq!(in_force_on(&vs, day("2020-06-01")).0, Some(1));
        assert_eq!(in_force_on(&vs, day("2024-06-01")).0, Some(2));
        let (w, st) = in_force_on(&vs, day("2026-01-01"));
        assert_eq!(w, None);
        assert_eq!(st, vec![VersionStatus::Superseded, VersionStatus::Retired]);
    }

    #[test]
    fn undated_versions_order_by_ingest() {
        let vs = [v(7, None, None, false, 1), v(8, None, None, false, 2)];
        assert_eq!(in_force_on(&vs, day("2000-01-01")).0, Some(8));
    }
}
