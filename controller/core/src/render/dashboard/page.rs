//! What every page shares: escaping, the layout (header, navigation, the live
//! region), the login form, and reading a query string.

use std::fmt::Write;

/// `text` safe inside HTML text and double- or single-quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` as one component of a URL path or query (RFC 3986 unreserved kept).
pub fn url_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The pairs of an `application/x-www-form-urlencoded` text (a query string or a
/// form body): `+` is a space, `%XX` a byte; invalid escapes are kept as written.
pub fn query_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The page a link in the navigation bar stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Targets,
    Schedule,
    None,
}

/// A whole page: `title`, the navigation with `nav` current, and `main` as the live
/// region the script refreshes.
pub fn layout(title: &str, nav: Nav, main: &str) -> String {
    let link = |href: &str, label: &str, this: Nav| {
        let current = if nav == this {
            " aria-current=\"page\""
        } else {
            ""
        };
        format!("<a href=\"{href}\"{current}>{label}</a>")
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · driftless</title>\
         <link rel=\"stylesheet\" href=\"/ui/style.css\">\
         <script src=\"/ui/app.js\" defer></script></head>\
         <body><a class=\"skip\" href=\"#live\">Skip to content</a>\
         <header><span class=\"brand\">driftless</span><nav aria-label=\"Pages\">{}{}</nav>\
         <span id=\"live-note\" class=\"note\" aria-live=\"polite\"></span></header>\
         <main id=\"live\" tabindex=\"-1\">{main}</main></body></html>\n",
        link("/", "Targets", Nav::Targets),
        link("/schedule", "Schedule", Nav::Schedule),
        title = esc(title),
    )
}

/// The viewer-credential form; `failed` after a wrong token.
pub fn login(failed: bool) -> String {
    let error = if failed {
        "<p class=\"error\" role=\"alert\">That token is not the viewer token.</p>"
    } else {
        ""
    };
    layout(
        "Sign in",
        Nav::None,
        &format!(
            "<h1>Sign in</h1>{error}<p>This dashboard needs the viewer token \
             (DRIFTLESS_UI_TOKEN or --ui-token-file of <code>driftless run</code>).</p>\
             <form method=\"post\" action=\"/ui/login\" class=\"login\">\
             <label for=\"token\">Viewer token</label>\
             <input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" required>\
             <button type=\"submit\">Sign in</button></form>"
        ),
    )
}

/// The answer to a client that offered too many wrong viewer tokens: when to try
/// again.
pub fn too_many(retry_after_secs: u64) -> String {
    layout(
        "Too many tries",
        Nav::None,
        &format!(
            "<h1>Too many tries</h1><p class=\"error\" role=\"alert\">Too many wrong viewer \
             tokens came from your address. Try again in {retry_after_secs} s.</p>\
             <p><a href=\"/ui/login\">Sign in</a></p>"
        ),
    )
}
