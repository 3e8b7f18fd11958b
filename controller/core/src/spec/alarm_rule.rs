//! The rule of a `CompositeAlarm` (PutCompositeAlarm `AlarmRule`): a pure parser that
//! checks its syntax, finds the alarms it names and spells it canonically.
//!
//! The grammar, from the `AlarmRule` documentation of PutCompositeAlarm
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutCompositeAlarm.html>):
//!
//! ```text
//! rule    = or
//! or      = and { "OR" and }
//! and     = unary { "AND" unary }
//! unary   = "NOT" unary | primary
//! primary = "(" rule ")" | "TRUE" | "FALSE"
//!         | ("ALARM" | "OK" | "INSUFFICIENT_DATA") "(" alarm ")"
//! alarm   = a name or an alarm ARN, in double quotes or not
//! ```
//!
//! Limits from the same page: the rule is 1-10,240 characters, names at most 100
//! "children" alarms and has at most 500 elements ("child alarms, TRUE or FALSE
//! statements, and parentheses"). Where AWS is vague the parser accepts (the
//! project's rule for value checks): keywords in any letter case (AWS's own advice is
//! to set a rule to `false`), the 100 children counted once each, the elements counted
//! as alarm functions, TRUE/FALSE and pairs of grouping parentheses. Parsing is
//! iterative over a bounded token list with nesting capped at [`MAX_DEPTH`], so no
//! input can exhaust the stack.

use std::collections::BTreeSet;

/// AlarmRule's maximum length (the API model's `max`).
pub const MAX_LENGTH: usize = 10_240;
/// The most distinct alarms one rule may name.
pub const MAX_CHILDREN: usize = 100;
/// The most elements (alarm functions, TRUE/FALSE, parentheses) of one rule.
pub const MAX_ELEMENTS: usize = 500;
/// Nesting deeper than this is refused (far beyond what 500 elements need in practice).
pub const MAX_DEPTH: usize = 64;

/// A syntax problem at a character offset of the rule (0-based, in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub offset: usize,
    pub message: String,
    pub hint: Option<String>,
}

/// The state an alarm function tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    Alarm,
    Ok,
    InsufficientData,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            State::Alarm => "ALARM",
            State::Ok => "OK",
            State::InsufficientData => "INSUFFICIENT_DATA",
        }
    }
}

/// One alarm the rule names, as written (a name or an ARN), and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub state: State,
    pub alarm: String,
    /// Character offset of the alarm's name in the rule.
    pub offset: usize,
}

/// A rule that parsed: the alarms it names and its canonical spelling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub references: Vec<Reference>,
    /// Keywords upper case, names quoted, one space around AND/OR and after NOT.
    pub canonical: String,
}

impl Rule {
    /// The alarm names the rule refers to (an ARN gives the name after `:alarm:`).
    pub fn alarm_names(&self) -> BTreeSet<String> {
        self.references
            .iter()
            .map(|r| alarm_name(&r.alarm).to_string())
            .collect()
    }
}

/// The alarm name of a reference: itself, or the part after `:alarm:` of an ARN.
pub fn alarm_name(reference: &str) -> &str {
    match reference.strip_prefix("arn:") {
        Some(_) => reference
            .split_once(":alarm:")
            .map_or(reference, |(_, name)| name),
        None => reference,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Open,
    Close,
    And,
    Or,
    Not,
    True,
    False,
    Func(State, String),
}

/// Parses `rule`; the first problem found is returned.
pub fn parse(rule: &str) -> Result<Rule, RuleError> {
    let chars: Vec<char> = rule.chars().collect();
    if chars.len() > MAX_LENGTH {
        return Err(RuleError {
            offset: MAX_LENGTH,
            message: format!(
                "alarmRule is {} characters long; AWS allows at most {MAX_LENGTH}",
                chars.len()
            ),
            hint: Some("split it into several composite alarms that name each other".into()),
        });
    }
    let tokens = tokenize(&chars)?;
    if tokens.is_empty() {
        return Err(RuleError {
            offset: 0,
            message: "alarmRule is empty".into(),
            hint: Some("e.g. `ALARM(cpu-high) OR ALARM(disk-full)`".into()),
        });
    }
    check_grammar(&tokens, chars.len())?;
    check_limits(&tokens)?;
    Ok(Rule {
        references: tokens
            .iter()
            .filter_map(|(t, at)| match t {
                Tok::Func(state, alarm) => Some(Reference {
                    state: *state,
                    alarm: alarm.clone(),
                    offset: *at,
                }),
                _ => None,
            })
            .collect(),
        canonical: canonical(&tokens),
    })
}

/// The canonical spelling of a rule, or the rule trimmed when it does not parse (so
/// two spellings of one rule compare equal, and a rule AWS holds that this version
/// cannot read still compares as text).
pub fn canonical_or_trimmed(rule: &str) -> String {
    parse(rule).map_or_else(|_| rule.trim().to_string(), |r| r.canonical)
}

fn error(offset: usize, message: impl Into<String>, hint: Option<&str>) -> RuleError {
    RuleError {
        offset,
        message: message.into(),
        hint: hint.map(str::to_string),
    }
}

fn tokenize(chars: &[char]) -> Result<Vec<(Tok, usize)>, RuleError> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        match c {
            '(' => {
                out.push((Tok::Open, i));
                i += 1;
            }
            ')' => {
                out.push((Tok::Close, i));
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let tok = match word.to_ascii_uppercase().as_str() {
                    "AND" => Tok::And,
                    "OR" => Tok::Or,
                    "NOT" => Tok::Not,
                    "TRUE" => Tok::True,
                    "FALSE" => Tok::False,
                    "ALARM" => Tok::Func(State::Alarm, String::new()),
                    "OK" => Tok::Func(State::Ok, String::new()),
                    "INSUFFICIENT_DATA" => Tok::Func(State::InsufficientData, String::new()),
                    _ => return Err(unknown_word(&word, start)),
                };
                if let Tok::Func(state, _) = tok {
                    let (alarm, at, next) = function_argument(chars, i, state)?;
                    out.push((Tok::Func(state, alarm), at));
                    i = next;
                } else {
                    out.push((tok, start));
                }
            }
            other => {
                return Err(error(
                    i,
                    format!("unexpected `{other}` in alarmRule"),
                    Some("a rule combines ALARM(name), OK(name), INSUFFICIENT_DATA(name), TRUE and FALSE with AND, OR, NOT and parentheses"),
                ))
            }
        }
    }
    Ok(out)
}

fn unknown_word(word: &str, at: usize) -> RuleError {
    let known = [
        "ALARM",
        "OK",
        "INSUFFICIENT_DATA",
        "AND",
        "OR",
        "NOT",
        "TRUE",
        "FALSE",
    ];
    let upper = word.to_ascii_uppercase();
    let hint = match super::diagnostic::did_you_mean(&upper, known.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("one of: {}", known.join(", ")),
    };
    RuleError {
        offset: at,
        message: format!("unknown word `{word}` in alarmRule"),
        hint: Some(hint),
    }
}

/// After `ALARM`/`OK`/`INSUFFICIENT_DATA` at `i`: `(` name `)`. Returns the name,
/// where it starts and the offset after `)`.
fn function_argument(
    chars: &[char],
    mut i: usize,
    state: State,
) -> Result<(String, usize, usize), RuleError> {
    let function = state.as_str();
    while i < chars.len() && chars[i].is_whitespace() {
        i += 1;
    }
    if chars.get(i) != Some(&'(') {
        return Err(error(
            i,
            format!("`{function}` must be followed by `(` and an alarm name"),
            Some("e.g. `ALARM(cpu-high)` or `ALARM(\"cpu high\")`"),
        ));
    }
    i += 1;
    while i < chars.len() && chars[i].is_whitespace() {
        i += 1;
    }
    let start = i;
    let name: String;
    if chars.get(i) == Some(&'"') {
        let Some(len) = chars[i + 1..].iter().position(|c| *c == '"') else {
            return Err(error(
                i,
                format!("the alarm name of `{function}(` has no closing `\"`"),
                None,
            ));
        };
        name = chars[i + 1..i + 1 + len].iter().collect();
        i += len + 2;
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if chars.get(i) != Some(&')') {
            return Err(error(
                i,
                format!("expected `)` after the alarm name of `{function}(`"),
                None,
            ));
        }
    } else {
        let Some(len) = chars[i..].iter().position(|c| *c == ')') else {
            return Err(error(
                start,
                format!("`{function}(` has no closing `)`"),
                None,
            ));
        };
        name = chars[i..i + len]
            .iter()
            .collect::<String>()
            .trim()
            .to_string();
        i += len;
    }
    if name.is_empty() {
        return Err(error(
            start,
            format!("`{function}()` names no alarm"),
            Some("put an alarm name or ARN between the parentheses"),
        ));
    }
    if name.chars().count() > 1600 {
        return Err(error(
            start,
            "an alarm name or ARN in alarmRule is longer than 1600 characters",
            None,
        ));
    }
    Ok((name, start, i + 1))
}

/// What may come next while reading the rule.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// An operand: NOT, `(`, TRUE, FALSE or an alarm function.
    Operand,
    /// An operator (AND, OR), `)` or the end.
    Operator,
}

/// Checks the token order with a stack of open parentheses (iterative, no recursion).
fn check_grammar(tokens: &[(Tok, usize)], end: usize) -> Result<(), RuleError> {
    let mut expect = Expect::Operand;
    let mut open: Vec<usize> = Vec::new();
    for (tok, at) in tokens {
        let at = *at;
        match (expect, tok) {
            (Expect::Operand, Tok::Not) => {}
            (Expect::Operand, Tok::Open) => {
                open.push(at);
                if open.len() > MAX_DEPTH {
                    return Err(error(
                        at,
                        format!("alarmRule nests parentheses deeper than {MAX_DEPTH}"),
                        None,
                    ));
                }
            }
            (Expect::Operand, Tok::True | Tok::False | Tok::Func(..)) => {
                expect = Expect::Operator;
            }
            (Expect::Operand, Tok::Close) if open.is_empty() => {
                return Err(error(at, "`)` closes nothing", None))
            }
            (Expect::Operand, t) => {
                return Err(error(
                    at,
                    format!(
                        "expected an alarm function, TRUE, FALSE, NOT or `(`, found {}",
                        describe(t)
                    ),
                    Some("AND and OR join two conditions, e.g. `ALARM(a) AND ALARM(b)`"),
                ))
            }
            (Expect::Operator, Tok::And | Tok::Or) => expect = Expect::Operand,
            (Expect::Operator, Tok::Close) => {
                if open.pop().is_none() {
                    return Err(error(at, "`)` closes nothing", None));
                }
            }
            (Expect::Operator, t) => {
                return Err(error(
                    at,
                    format!("expected AND, OR or `)`, found {}", describe(t)),
                    Some("join conditions with AND or OR"),
                ))
            }
        }
    }
    if expect == Expect::Operand {
        return Err(error(
            end,
            "alarmRule ends where a condition is expected",
            Some("finish it with an alarm function, TRUE or FALSE"),
        ));
    }
    if let Some(at) = open.pop() {
        return Err(error(at, "this `(` is never closed", None));
    }
    Ok(())
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Open => "`(`".into(),
        Tok::Close => "`)`".into(),
        Tok::And => "AND".into(),
        Tok::Or => "OR".into(),
        Tok::Not => "NOT".into(),
        Tok::True => "TRUE".into(),
        Tok::False => "FALSE".into(),
        Tok::Func(s, name) => format!("{}({name})", s.as_str()),
    }
}

fn check_limits(tokens: &[(Tok, usize)]) -> Result<(), RuleError> {
    let mut children = BTreeSet::new();
    let mut elements = 0;
    for (tok, at) in tokens {
        match tok {
            Tok::Func(_, alarm) => {
                elements += 1;
                children.insert(alarm_name(alarm).to_string());
                if children.len() > MAX_CHILDREN {
                    return Err(error(
                        *at,
                        format!("alarmRule names more than {MAX_CHILDREN} alarms, AWS's limit"),
                        Some("group some of them in a composite alarm of their own"),
                    ));
                }
            }
            Tok::True | Tok::False | Tok::Open => elements += 1,
            _ => {}
        }
        if elements > MAX_ELEMENTS {
            return Err(error(
                *at,
                format!("alarmRule has more than {MAX_ELEMENTS} elements (alarms, TRUE/FALSE, parentheses), AWS's limit"),
                Some("group some of them in a composite alarm of their own"),
            ));
        }
    }
    Ok(())
}

fn canonical(tokens: &[(Tok, usize)]) -> String {
    let mut out = String::new();
    let mut prev: Option<&Tok> = None;
    for (tok, _) in tokens {
        let space = !matches!(
            (prev, tok),
            (None, _) | (Some(Tok::Open), _) | (_, Tok::Close)
        );
        if space {
            out.push(' ');
        }
        match tok {
            Tok::Func(state, alarm) => {
                out.push_str(state.as_str());
                out.push_str("(\"");
                out.push_str(alarm);
                out.push_str("\")");
            }
            other => out.push_str(&describe(other).replace('`', "")),
        }
        prev = Some(tok);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(rule: &str) -> RuleError {
        parse(rule).unwrap_err()
    }

    #[test]
    fn documented_examples_parse() {
        for rule in [
            "ALARM(CPUUtilizationTooHigh) AND ALARM(DiskReadOpsTooHigh)",
            "ALARM(CPUUtilizationTooHigh) AND NOT ALARM(DeploymentInProgress)",
            "(ALARM(CPUUtilizationTooHigh) OR ALARM(DiskReadOpsTooHigh)) AND OK(NetworkOutTooHigh)",
            "TRUE",
            "false",
            "INSUFFICIENT_DATA(\"my alarm (eu)\")",
            "ALARM(arn:aws:cloudwatch:eu-west-1:123456789012:alarm:cpu-high)",
            "NOT NOT (TRUE)",
        ] {
            assert!(parse(rule).is_ok(), "{rule}: {:?}", parse(rule));
        }
    }

    #[test]
    fn references_and_names() {
        let r = parse(
            "ALARM(a) OR OK( \"b c\" ) OR ALARM(arn:aws:cloudwatch:eu-west-1:123456789012:alarm:d)",
        )
        .unwrap();
        let names: Vec<String> = r.alarm_names().into_iter().collect();
        assert_eq!(names, ["a", "b c", "d"]);
        assert_eq!(r.references[0].offset, 6);
        assert_eq!(r.references[1].state, State::Ok);
        assert_eq!(r.references[1].offset, 16);
    }

    #[test]
    fn spellings_of_one_rule_are_canonically_equal() {
        let a = parse("(ALARM(a)   or\n alarm(\"b\")) and not OK(c)").unwrap();
        let b = parse("( ALARM(\"a\") OR ALARM(b) ) AND NOT OK(\"c\")").unwrap();
        assert_eq!(a.canonical, b.canonical);
        assert_eq!(
            a.canonical,
            "(ALARM(\"a\") OR ALARM(\"b\")) AND NOT OK(\"c\")"
        );
        assert_eq!(canonical_or_trimmed("  ALARM(x"), "ALARM(x");
    }

    #[test]
    fn syntax_errors_are_located() {
        let e = err("ALARM(a) AND");
        assert_eq!(e.offset, 12);
        assert!(e.message.contains("ends where a condition"), "{e:?}");
        let e = err("ALARM(a) ALARM(b)");
        assert_eq!(
            (e.offset, e.message.contains("expected AND, OR")),
            (15, true)
        );
        let e = err("ALRAM(a)");
        assert_eq!(e.offset, 0);
        assert_eq!(e.hint.as_deref(), Some("did you mean `ALARM`?"));
        let e = err("(ALARM(a) OR OK(b)");
        assert_eq!(
            (e.offset, e.message.as_str()),
            (0, "this `(` is never closed")
        );
        let e = err("ALARM(a))");
        assert_eq!((e.offset, e.message.as_str()), (8, "`)` closes nothing"));
        assert_eq!(err("ALARM()").offset, 6);
        assert_eq!(err("ALARM(\"a) OR TRUE").offset, 6);
        assert_eq!(err("OK a").offset, 3);
        assert_eq!(err("TRUE & FALSE").offset, 5);
        assert_eq!(err("   ").message, "alarmRule is empty");
        assert_eq!(err("AND TRUE").offset, 0);
    }

    #[test]
    fn limits() {
        let many = (0..=MAX_CHILDREN)
            .map(|i| format!("ALARM(a{i})"))
            .collect::<Vec<_>>()
            .join(" OR ");
        assert!(err(&many).message.contains("more than 100 alarms"));
        let hundred = (0..MAX_CHILDREN)
            .map(|i| format!("ALARM(a{i})"))
            .collect::<Vec<_>>()
            .join(" OR ");
        assert!(parse(&hundred).is_ok());
        // The same alarm many times is one child, but each use is an element.
        let elements = vec!["ALARM(a)"; MAX_ELEMENTS + 1].join(" OR ");
        assert!(err(&elements).message.contains("more than 500 elements"));
        let long = format!("ALARM({})", "x".repeat(MAX_LENGTH));
        assert_eq!(err(&long).offset, MAX_LENGTH);
        let deep = format!(
            "{}TRUE{}",
            "(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        assert!(err(&deep).message.contains("deeper than 64"));
    }
}
