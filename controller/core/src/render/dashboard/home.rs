//! The home page: every target with its state, last applied revision, drift and
//! reconciles; the source's last fetch; filters by state and a search, answered by
//! the server from the query string (the script only narrows the rows as one types).

use std::fmt::Write;

use super::page::{esc, layout, query_pairs, url_component, Nav};

/// What a person needs to know of a target at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TargetState {
    /// Failed and a human must act (denied, blocked, invalid revision).
    Stalled,
    /// The last reconcile failed; it is retried.
    Failed,
    /// The last reconcile found drift.
    Drifted,
    /// Planned and reported, nothing written.
    Suspended,
    Converged,
    /// Not reconciled yet.
    Pending,
}

impl TargetState {
    pub const ALL: [TargetState; 6] = [
        TargetState::Stalled,
        TargetState::Failed,
        TargetState::Drifted,
        TargetState::Suspended,
        TargetState::Converged,
        TargetState::Pending,
    ];

    /// The spelling in URLs and CSS classes.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetState::Stalled => "stalled",
            TargetState::Failed => "failed",
            TargetState::Drifted => "drifted",
            TargetState::Suspended => "suspended",
            TargetState::Converged => "converged",
            TargetState::Pending => "pending",
        }
    }

    /// The words shown beside the colour (colour is never the only sign).
    pub fn words(self) -> &'static str {
        match self {
            TargetState::Stalled => "Stalled: needs a person",
            TargetState::Failed => "Failed: retrying",
            TargetState::Drifted => "Drifted",
            TargetState::Suspended => "Suspended",
            TargetState::Converged => "Converged",
            TargetState::Pending => "Not reconciled yet",
        }
    }

    pub fn parse(text: &str) -> Option<TargetState> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// A target's state from its status: the last result (`converged`, `failed`,
    /// ...), whether it is Stalled, and the drift its last reconcile saw.
    pub fn of(last_result: Option<&str>, stalled: bool, drift_count: usize) -> TargetState {
        match last_result {
            None => TargetState::Pending,
            Some("suspended") => TargetState::Suspended,
            Some(_) if stalled => TargetState::Stalled,
            Some("converged") if drift_count > 0 => TargetState::Drifted,
            Some("converged") => TargetState::Converged,
            Some(_) => TargetState::Failed,
        }
    }
}

/// A commit as shown: short SHA, subject, author and time when known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevisionView {
    pub sha: String,
    pub subject: Option<String>,
    pub author: Option<String>,
    /// RFC 3339, UTC.
    pub time: Option<String>,
}

impl RevisionView {
    fn html(&self) -> String {
        let short = self.sha.get(..12).unwrap_or(&self.sha);
        let mut out = format!("<code title=\"{}\">{}</code>", esc(&self.sha), esc(short));
        if let Some(s) = &self.subject {
            let _ = write!(out, " <span class=\"subject\">{}</span>", esc(s));
        }
        let by: Vec<String> = [&self.author, &self.time]
            .into_iter()
            .flatten()
            .map(|t| esc(t))
            .collect();
        if !by.is_empty() {
            let _ = write!(out, " <span class=\"by\">{}</span>", by.join(", "));
        }
        out
    }
}

/// One target's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetRow {
    pub name: String,
    pub account: Option<String>,
    pub region: String,
    /// `0/1` unsharded.
    pub shard: String,
    pub state: TargetState,
    pub revision: Option<RevisionView>,
    pub drift_count: usize,
    /// RFC 3339.
    pub last_reconcile: Option<String>,
    pub next_reconcile: Option<String>,
    /// The Ready condition's message.
    pub message: String,
}

/// The source's last fetch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceView {
    pub revision: Option<RevisionView>,
    pub error: Option<String>,
    pub suspended: bool,
}

/// Which rows are shown: `?state=drifted&q=prod`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub state: Option<TargetState>,
    pub q: String,
}

impl Filter {
    /// From a query string; unknown states and keys are ignored.
    pub fn from_query(query: &str) -> Filter {
        let mut filter = Filter::default();
        for (k, v) in query_pairs(query) {
            match k.as_str() {
                "state" => filter.state = TargetState::parse(&v),
                "q" => filter.q = v.trim().chars().take(200).collect(),
                _ => {}
            }
        }
        filter
    }

    /// Whether `row` is shown: its state, and the search in its name, account or
    /// region (case-insensitive).
    pub fn matches(&self, row: &TargetRow) -> bool {
        let q = self.q.to_lowercase();
        self.state.is_none_or(|s| s == row.state) && (q.is_empty() || haystack(row).contains(&q))
    }

    fn href(&self, state: Option<TargetState>) -> String {
        let mut parts = Vec::new();
        if let Some(s) = state {
            parts.push(format!("state={}", s.as_str()));
        }
        if !self.q.is_empty() {
            parts.push(format!("q={}", url_component(&self.q)));
        }
        if parts.is_empty() {
            "/".into()
        } else {
            format!("/?{}", parts.join("&"))
        }
    }
}

fn haystack(row: &TargetRow) -> String {
    format!(
        "{} {} {}",
        row.name,
        row.account.as_deref().unwrap_or(""),
        row.region
    )
    .to_lowercase()
}

/// The home page's content.
#[derive(Debug, Clone, Default)]
pub struct HomeView {
    pub rows: Vec<TargetRow>,
    pub source: SourceView,
    pub filter: Filter,
    /// Already rendered charts (inline SVG), placed under the table.
    pub charts: String,
    /// At most this many matching rows are listed (the rest are counted).
    pub limit: usize,
}

/// The home page.
pub fn home(view: &HomeView) -> String {
    let mut main = String::from("<h1>Targets</h1>");
    main.push_str(&source_panel(&view.source));
    main.push_str(&filters(view));
    let shown: Vec<&TargetRow> = view
        .rows
        .iter()
        .filter(|r| view.filter.matches(r))
        .collect();
    let limit = if view.limit == 0 {
        usize::MAX
    } else {
        view.limit
    };
    let _ = write!(
        main,
        "<p class=\"count\" id=\"count\">{} of {} targets{}</p>",
        shown.len(),
        view.rows.len(),
        if shown.len() > limit {
            format!("; the first {limit} listed: narrow the search to see the others")
        } else {
            String::new()
        }
    );
    main.push_str(&table(shown.into_iter().take(limit)));
    main.push_str(&view.charts);
    layout("Targets", Nav::Targets, &main)
}

fn source_panel(source: &SourceView) -> String {
    let mut out = String::from(
        "<section class=\"source\" aria-label=\"Source\"><h2>Source</h2><p>Last fetched: ",
    );
    match &source.revision {
        Some(r) => out.push_str(&r.html()),
        None => out.push_str("nothing yet"),
    }
    out.push_str("</p>");
    if let Some(e) = &source.error {
        let _ = write!(
            out,
            "<p class=\"error\">The last fetch failed: {}. The last good revision stays in force.</p>",
            esc(e)
        );
    }
    if source.suspended {
        out.push_str(
            "<p class=\"warn\">Suspended: changes are planned and reported, none written.</p>",
        );
    }
    out.push_str("</section>");
    out
}

fn filters(view: &HomeView) -> String {
    let f = &view.filter;
    let mut out = String::from("<nav class=\"states\" aria-label=\"Filter by state\"><ul>");
    let all_current = if f.state.is_none() {
        " aria-current=\"true\""
    } else {
        ""
    };
    let _ = write!(
        out,
        "<li><a href=\"{}\"{all_current}>All ({})</a></li>",
        esc(&f.href(None)),
        view.rows.len()
    );
    for s in TargetState::ALL {
        let n = view.rows.iter().filter(|r| r.state == s).count();
        let current = if f.state == Some(s) {
            " aria-current=\"true\""
        } else {
            ""
        };
        let _ = write!(
            out,
            "<li><a class=\"state-{}\" href=\"{}\"{current}>{} ({n})</a></li>",
            s.as_str(),
            esc(&f.href(Some(s))),
            esc(s.words()),
        );
    }
    out.push_str("</ul></nav><form method=\"get\" action=\"/\" class=\"search\" role=\"search\">");
    out.push_str("<label for=\"state\">State</label><select id=\"state\" name=\"state\"><option value=\"\">any</option>");
    for s in TargetState::ALL {
        let selected = if f.state == Some(s) { " selected" } else { "" };
        let _ = write!(
            out,
            "<option value=\"{}\"{selected}>{}</option>",
            s.as_str(),
            s.as_str()
        );
    }
    let _ = write!(
        out,
        "</select><label for=\"q\">Search</label><input id=\"q\" name=\"q\" type=\"search\" \
         value=\"{}\" placeholder=\"name, account or region\" autocomplete=\"off\">\
         <button type=\"submit\">Filter</button></form>",
        esc(&f.q)
    );
    out
}

fn table<'a>(rows: impl Iterator<Item = &'a TargetRow>) -> String {
    let mut out = String::from(
        "<div class=\"scroll\"><table id=\"targets\"><caption class=\"visually-hidden\">Targets</caption><thead><tr>\
         <th scope=\"col\">Target</th><th scope=\"col\">Account</th><th scope=\"col\">Region</th>\
         <th scope=\"col\">Shard</th><th scope=\"col\">State</th><th scope=\"col\">Last applied</th>\
         <th scope=\"col\">Drift</th><th scope=\"col\">Last reconcile</th><th scope=\"col\">Next</th>\
         </tr></thead><tbody>",
    );
    for r in rows {
        let _ = write!(
            out,
            "<tr data-state=\"{state}\" data-search=\"{search}\"><th scope=\"row\">\
             <a href=\"/targets/{href}\">{name}</a></th><td>{account}</td><td>{region}</td>\
             <td>{shard}</td><td><span class=\"state state-{state}\">{words}</span>\
             <span class=\"message\">{message}</span></td><td>{revision}</td><td>{drift}</td>\
             <td>{last}</td><td>{next}</td></tr>",
            state = r.state.as_str(),
            search = esc(&haystack(r)),
            href = url_component(&r.name),
            name = esc(&r.name),
            account = esc(r.account.as_deref().unwrap_or("—")),
            region = esc(&r.region),
            shard = esc(&r.shard),
            words = esc(r.state.words()),
            message = esc(&r.message),
            revision = r.revision.as_ref().map_or("—".into(), RevisionView::html),
            drift = r.drift_count,
            last = esc(r.last_reconcile.as_deref().unwrap_or("—")),
            next = esc(r.next_reconcile.as_deref().unwrap_or("—")),
        );
    }
    out.push_str("</tbody></table></div>");
    out
}

pub(super) fn revision_html(r: &RevisionView) -> String {
    r.html()
}
