//! GetMetricData for `plan --backtest`: the datapoints of the core's [`Fetch`]es.
//!
//! A fetch holds queries of one period over one stretch; they are sent in batches
//! within GetMetricData's limits: at most 500 MetricDataQueries per call, and at most
//! 100,800 datapoints per call (its default MaxDatapoints, past which it paginates;
//! a query's share is its number of periods in the stretch). Only MetricStat queries
//! are sent: metric math is evaluated by the core, so metrics shared by several alarms
//! (or by an alarm's desired and live settings) are fetched once. `NextToken` is
//! followed; `TimestampAscending`.
//!
//! Calls per plan with `--backtest`: per target and alarm period,
//! `ceil(queries / min(500, floor(100,800 / periods)))` plus any page AWS splits off.

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{
    Dimension, Metric, MetricDataQuery, MetricStat, ScanBy, StandardUnit as AwsUnit,
};

use super::super::{AwsError, Clients};
use driftless_core::backtest::{Fetch, MetricQuery, Points};

/// GetMetricData's MetricDataQueries per call.
pub const MAX_QUERIES: usize = 500;
/// GetMetricData's datapoints per call (its MaxDatapoints default).
pub const MAX_DATAPOINTS: i64 = 100_800;

/// Every query of `fetch` with its datapoints, in the fetch's order.
pub async fn fetch_metric_data(
    clients: &Clients,
    fetch: &Fetch,
) -> Result<Vec<(MetricQuery, Points)>, AwsError> {
    let per_call = queries_per_call(fetch);
    let mut out = Vec::with_capacity(fetch.queries.len());
    for batch in fetch.queries.chunks(per_call) {
        let points = call(clients, fetch, batch).await?;
        out.extend(batch.iter().cloned().zip(points));
    }
    Ok(out)
}

/// How many of `fetch`'s queries one call holds: at most 500, and at most 100,800
/// datapoints in all (one datapoint per period of the stretch per query).
fn queries_per_call(fetch: &Fetch) -> usize {
    let periods = ((fetch.end - fetch.start) / i64::from(fetch.period.max(1))).max(1);
    usize::try_from(MAX_DATAPOINTS / periods)
        .unwrap_or(1)
        .clamp(1, MAX_QUERIES)
}

/// One batch: its queries' datapoints, following NextToken.
async fn call(
    clients: &Clients,
    fetch: &Fetch,
    batch: &[MetricQuery],
) -> Result<Vec<Points>, AwsError> {
    let queries: Vec<MetricDataQuery> =
        batch.iter().enumerate().map(|(i, q)| query(i, q)).collect();
    let mut points = vec![Points::new(); batch.len()];
    let mut next_token: Option<String> = None;
    loop {
        let out = clients
            .cloudwatch
            .get_metric_data()
            .set_metric_data_queries(Some(queries.clone()))
            .start_time(DateTime::from_secs(fetch.start))
            .end_time(DateTime::from_secs(fetch.end))
            .scan_by(ScanBy::TimestampAscending)
            .set_next_token(next_token.take())
            .send()
            .await
            .map_err(|e| AwsError::call(clients, "cloudwatch", "GetMetricData", None, e))?;
        for result in out.metric_data_results() {
            let Some(i) = result
                .id()
                .and_then(|id| id.strip_prefix('q'))
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|i| *i < points.len())
            else {
                continue;
            };
            let pairs = result.timestamps().iter().zip(result.values());
            points[i].extend(pairs.map(|(t, v)| (t.secs(), *v)));
        }
        match out.next_token() {
            Some(t) if !t.is_empty() => next_token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(points)
}

fn query(index: usize, q: &MetricQuery) -> MetricDataQuery {
    let dimensions = q
        .dimensions
        .iter()
        .map(|(name, value)| Dimension::builder().name(name).value(value).build())
        .collect();
    let metric = Metric::builder()
        .namespace(&q.namespace)
        .metric_name(&q.metric_name)
        .set_dimensions(Some(dimensions))
        .build();
    let unit = q
        .unit
        .and_then(|u| serde_json::to_value(u).ok())
        .and_then(|v| v.as_str().map(AwsUnit::from));
    let stat = MetricStat::builder()
        .metric(metric)
        .period(i32::try_from(q.period).unwrap_or(i32::MAX))
        .stat(&q.stat)
        .set_unit(unit)
        .build();
    MetricDataQuery::builder()
        .id(format!("q{index}"))
        .metric_stat(stat)
        .return_data(true)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetch(period: u32, seconds: i64) -> Fetch {
        Fetch {
            period,
            start: 0,
            end: seconds,
            queries: Vec::new(),
        }
    }

    #[test]
    fn calls_hold_at_most_500_queries_and_100800_datapoints() {
        // 14 days of minutes: 20,160 datapoints a query, 5 queries a call.
        assert_eq!(queries_per_call(&fetch(60, 14 * 86_400)), 5);
        // 3 days and 4 minutes of lookback: 4,324 a query.
        assert_eq!(queries_per_call(&fetch(60, 3 * 86_400 + 240)), 23);
        // An hour of hourly data: the query limit decides.
        assert_eq!(queries_per_call(&fetch(3_600, 3_600)), 500);
        // A query alone over the datapoint limit still goes, alone (AWS pages it).
        assert_eq!(queries_per_call(&fetch(10, 14 * 86_400)), 1);
    }
}
