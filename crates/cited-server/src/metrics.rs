//! `GET /metrics` in the Prometheus text format: requests and their latency per route and status, answers
//! by status, and the review queue's depth. No question text, token or user appears in a label.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Counters {
    requests: BTreeMap<(String, u16), Histogram>,
    answers: BTreeMap<String, u64>,
}

/// What the server counts.
#[derive(Default)]
pub struct Metrics {
    counters: Mutex<Counters>,
}

impl Metrics {
    /// Records one finished request: its route pattern (not the raw path, which may hold ids), status
    /// and duration.
    pub fn request(&self, route: &str, status: u16, took: Duration) {
        let Ok(mut c) = self.counters.lock() else {
            return;
        };
        let h = c.requests.entry((route.to_string(), status)).or_default();
        let secs = took.as_secs_f64();
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    /// Records the status of one answer (`answered`, `needs_review`, `no_answer`).
    pub fn answer(&self, status: &str) {
        if let Ok(mut c) = self.counters.lock() {
            *c.answers.entry(status.to_string()).or_default() += 1;
        }
    }

    /// The exposition text, with the review queue's current depth.
    pub fn render(&self, review_queue_depth: Option<usize>, active_ingest_jobs: usize) -> String {
        let mut out = String::new();
        let Ok(c) = self.counters.lock() else {
            return out;
        };
        out.push_str("# HELP cited_http_requests_total Requests by route pattern and status.\n");
        out.push_str("# TYPE cited_http_requests_total counter\n");
        for ((route, status), h) in &c.requests {
            let _ = writeln!(
                out,
                "cited_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {}",
                h.count
            );
        }
        out.push_str(
            "# HELP cited_http_request_duration_seconds Request latency by route and status.\n",
        );
        out.push_str("# TYPE cited_http_request_duration_seconds histogram\n");
        for ((route, status), h) in &c.requests {
            let labels = format!("route=\"{route}\",status=\"{status}\"");
            for (i, le) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "cited_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "cited_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "cited_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "cited_http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        out.push_str("# HELP cited_answers_total Answers by status.\n");
        out.push_str("# TYPE cited_answers_total counter\n");
        for (status, n) in &c.answers {
            let _ = writeln!(out, "cited_answers_total{{status=\"{status}\"}} {n}");
        }
        if let Some(depth) = review_queue_depth {
            out.push_str("# HELP cited_review_queue_depth Review items waiting for a reviewer.\n");
            out.push_str("# TYPE cited_review_queue_depth gauge\n");
            let _ = writeln!(out, "cited_review_queue_depth {depth}");
        }
        out.push_str("# HELP cited_ingest_jobs_active Upload ingest jobs queued or running.\n");
        out.push_str("# TYPE cited_ingest_jobs_active gauge\n");
        let _ = writeln!(out, "cited_ingest_jobs_active {active_ingest_jobs}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_labels_carry_no_raw_path() {
        let m = Metrics::default();
        m.request("/v1/reviews/{id}", 200, Duration::from_millis(20));
        m.request("/v1/reviews/{id}", 200, Duration::from_millis(300));
        m.answer("answered");
        let text = m.render(Some(3), 1);
        assert!(text.contains(
            "cited_http_request_duration_seconds_bucket{route=\"/v1/reviews/{id}\",status=\"200\",le=\"0.025\"} 1"
        ));
        assert!(text.contains(
            "cited_http_request_duration_seconds_bucket{route=\"/v1/reviews/{id}\",status=\"200\",le=\"0.5\"} 2"
        ));
        assert!(
            text.contains("cited_http_requests_total{route=\"/v1/reviews/{id}\",status=\"200\"} 2")
        );
        assert!(text.contains("cited_answers_total{status=\"answered\"} 1"));
        assert!(text.contains("cited_review_queue_depth 3"));
        assert!(text.contains("cited_ingest_jobs_active 1"));
    }
}
