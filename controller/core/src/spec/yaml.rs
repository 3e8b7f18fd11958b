//! A span-keeping YAML tree: every node remembers the line and column it came from.
//!
//! serde-based YAML deserialisers stop at the first error and lose positions, but
//! driftless must report every problem of a repository at once, each with
//! `path:line:column`. So documents are parsed into this small tree first (on top of
//! yaml-rust2's event parser, which gives a position for every event), checked
//! structurally against the JSON Schema of their kind, and only then converted to the
//! typed spec through serde_json.
//!
//! The tree is bounded: aliases are expanded with a cap on the number of nodes they
//! copy in one file (an "alias bomb" is rejected before it is built, in bounded memory;
//! nodes written out are already bounded by the file size cap), and nesting is capped
//! so later recursive walks cannot overflow the stack.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Most nodes aliases may copy in one file.
pub const MAX_ALIAS_NODES: usize = 100_000;
/// Deepest nesting of mappings and sequences accepted.
pub const MAX_DEPTH: usize = 64;

/// A position in a source file, both 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Span {
    pub line: usize,
    pub column: usize,
}

impl Span {
    fn from_marker(m: Marker) -> Span {
        // yaml-rust2 counts lines from 1 and columns from 0.
        Span {
            line: m.line(),
            column: m.col() + 1,
        }
    }
}

/// A YAML value with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub span: Span,
    pub value: Value,
}

/// The value of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A scalar as written; `plain` is false for quoted and block scalars, which are
    /// always strings.
    Scalar {
        text: String,
        plain: bool,
    },
    /// A mapping, keys in source order (duplicates are rejected while parsing).
    Map(Vec<(Node, Node)>),
    Seq(Vec<Node>),
}

/// What a plain scalar means under the YAML 1.2 core schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a str),
}

impl Node {
    /// Resolves a scalar the way YAML 1.2's core schema does; `None` for collections.
    pub fn resolve(&self) -> Option<Resolved<'_>> {
        match &self.value {
            Value::Scalar { text, plain: false } => Some(Resolved::Str(text)),
            Value::Scalar { text, plain: true } => Some(resolve_plain(text)),
            _ => None,
        }
    }

    /// The entries of a mapping, or `None` when this is not a mapping.
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The text of a scalar, quoted or not.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The key node and value node of `key` in a mapping.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(k, v)| (k, v))
    }

    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// Follows a path of mapping keys and sequence indexes; stops at the deepest node
    /// that exists, so a missing field still gets the position of its parent.
    pub fn locate(&self, path: &[PathSeg<'_>]) -> Span {
        let mut node = self;
        let mut key_span = None;
        for seg in path {
            let next = match (seg, &node.value) {
                (PathSeg::Key(k), Value::Map(_)) => node.entry(k).map(|(key, v)| {
                    key_span = Some(key.span);
                    v
                }),
                (PathSeg::KeyOf(k), Value::Map(_)) => node.entry(k).map(|(key, _)| key),
                (PathSeg::Index(i), Value::Seq(items)) => {
                    key_span = None;
                    items.get(*i)
                }
                _ => None,
            };
            match next {
                Some(n) => node = n,
                None => break,
            }
        }
        node.anchor(key_span)
    }

    /// Where to point at a node in a message: a scalar where it is; a collection at
    /// the key it sits under, or else at its first key, because parsers place the
    /// start of a block mapping where its first entry is read.
    pub fn anchor(&self, key_span: Option<Span>) -> Span {
        match (&self.value, key_span) {
            (Value::Scalar { .. }, _) => self.span,
            (_, Some(k)) => k,
            (Value::Map(entries), None) => entries.first().map_or(self.span, |(k, _)| k.span),
            (Value::Seq(_), None) => self.span,
        }
    }

    /// Converts to JSON for serde; `string_paths` are not needed because the schema
    /// check has already coerced where a string is expected (see `schema.rs`).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Scalar { .. } => match self.resolve() {
                Some(Resolved::Null) => J::Null,
                Some(Resolved::Bool(b)) => J::Bool(b),
                Some(Resolved::Int(i)) => J::from(i),
                Some(Resolved::Float(f)) => serde_json::Number::from_f64(f)
                    .map(J::Number)
                    .unwrap_or_else(|| J::String(self.as_str().unwrap_or_default().into())),
                Some(Resolved::Str(s)) => J::String(s.to_string()),
                None => J::Null,
            },
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// One step of a path into a document.
#[derive(Debug, Clone, Copy)]
pub enum PathSeg<'a> {
    /// The value under a mapping key.
    Key(&'a str),
    /// The key itself (for "unknown field" style messages).
    KeyOf(&'a str),
    Index(usize),
}

fn resolve_plain(text: &str) -> Resolved<'_> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "true" | "True" | "TRUE" => return Resolved::Bool(true),
        "false" | "False" | "FALSE" => return Resolved::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = text.parse::<i64>() {
            return Resolved::Int(i);
        }
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if let Ok(i) = i64::from_str_radix(hex, 16) {
            return Resolved::Int(i);
        }
    }
    if let Some(oct) = text.strip_prefix("0o") {
        if let Ok(i) = i64::from_str_radix(oct, 8) {
            return Resolved::Int(i);
        }
    }
    let looks_float = !digits.is_empty()
        && digits.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && digits.bytes().any(|b| b.is_ascii_digit());
    if looks_float {
        if let Ok(f) = text.parse::<f64>() {
            return Resolved::Float(f);
        }
    }
    Resolved::Str(text)
}

/// A problem found while parsing YAML text.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub span: Span,
    pub message: String,
}

/// Parses every document of a YAML stream. Empty documents (`---` with nothing after
/// it) are skipped; the caller gets each document's root node.
pub fn parse_documents(text: &str) -> Result<Vec<Node>, YamlError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    loop {
        let (event, mark) = parser.next_token().map_err(|e| YamlError {
            span: Span::from_marker(*e.marker()),
            message: format!("invalid YAML: {}", e.info()),
        })?;
        let end = event == Event::StreamEnd;
        builder.on_event(event, mark);
        if let Some(err) = builder.error.take() {
            return Err(err);
        }
        if end {
            break;
        }
    }
    Ok(builder.documents)
}

enum Frame {
    Map {
        span: Span,
        anchor: usize,
        entries: Vec<(Node, Node)>,
        pending_key: Option<Node>,
    },
    Seq {
        span: Span,
        anchor: usize,
        items: Vec<Node>,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    documents: Vec<Node>,
    anchors: HashMap<usize, (Node, usize)>,
    alias_nodes: usize,
    error: Option<YamlError>,
}

fn count_nodes(node: &Node) -> usize {
    match &node.value {
        Value::Scalar { .. } => 1,
        Value::Seq(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        Value::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| count_nodes(k) + count_nodes(v))
                .sum::<usize>()
        }
    }
}

impl Builder {
    fn fail(&mut self, span: Span, message: String) {
        if self.error.is_none() {
            self.error = Some(YamlError { span, message });
        }
    }

    fn add(&mut self, node: Node, anchor: usize, size: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, (node.clone(), size));
        }
        match self.stack.last_mut() {
            None => self.documents.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                pending_key,
                ..
            }) => match pending_key.take() {
                None => {
                    if !matches!(node.value, Value::Scalar { .. }) {
                        let span = node.span;
                        self.fail(
                            span,
                            "mapping keys must be plain strings, not mappings or lists".into(),
                        );
                        return;
                    }
                    if let Some((prev, _)) = entries.iter().find(|(k, _)| k.value == node.value) {
                        let (line, text) = (prev.span.line, node.as_str().unwrap_or_default());
                        let msg = format!("duplicate key `{text}` (first defined on line {line})");
                        let span = node.span;
                        self.fail(span, msg);
                        return;
                    }
                    *pending_key = Some(node);
                }
                Some(key) => entries.push((key, node)),
            },
        }
    }

    fn open(&mut self, span: Span) -> bool {
        if self.stack.len() >= MAX_DEPTH {
            self.fail(
                span,
                format!("YAML nested deeper than {MAX_DEPTH} levels; flatten the document"),
            );
            return false;
        }
        true
    }

    /// Counts nodes an alias copies; false (and an error) past the cap.
    fn count_alias(&mut self, span: Span, n: usize) -> bool {
        self.alias_nodes += n;
        if self.alias_nodes > MAX_ALIAS_NODES {
            self.fail(
                span,
                format!(
                    "aliases expand to more than {MAX_ALIAS_NODES} YAML nodes in this file; \
                     use fewer aliases or split the file"
                ),
            );
            return false;
        }
        true
    }
}

fn reject_tag(tag: &Option<Tag>) -> Option<String> {
    let tag = tag.as_ref()?;
    // Standard core-schema tags are fine; anything else has no meaning in a spec.
    if tag.handle == "tag:yaml.org,2002:" || tag.handle == "!!" {
        return None;
    }
    Some(format!(
        "YAML tag `{}{}` is not supported; remove it",
        tag.handle, tag.suffix
    ))
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let span = Span::from_marker(mark);
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                if let Some(msg) = reject_tag(&tag) {
                    return self.fail(span, msg);
                }
                let plain = style == TScalarStyle::Plain && tag.is_none();
                let node = Node {
                    span,
                    value: Value::Scalar { text, plain },
                };
                self.add(node, anchor, 1);
            }
            Event::SequenceStart(anchor, tag) => self.start(
                span,
                &tag,
                Frame::Seq {
                    span,
                    anchor,
                    items: Vec::new(),
                },
            ),
            Event::MappingStart(anchor, tag) => self.start(
                span,
                &tag,
                Frame::Map {
                    span,
                    anchor,
                    entries: Vec::new(),
                    pending_key: None,
                },
            ),
            Event::SequenceEnd | Event::MappingEnd => self.end(),
            Event::Alias(id) => self.alias(span, id),
            Event::DocumentStart => {
                self.anchors.clear();
            }
            Event::DocumentEnd | Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
    }
}

impl Builder {
    /// Opens a sequence or mapping, unless its tag is refused or it nests too deep.
    fn start(&mut self, span: Span, tag: &Option<Tag>, frame: Frame) {
        if let Some(msg) = reject_tag(tag) {
            return self.fail(span, msg);
        }
        if self.open(span) {
            self.stack.push(frame);
        }
    }

    /// Closes the innermost sequence or mapping and adds it to its parent.
    fn end(&mut self) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let (node, anchor) = frame.into_node();
        let size = if anchor > 0 { count_nodes(&node) } else { 0 };
        self.add(node, anchor, size);
    }

    /// Adds a copy of an anchored node, counted against the alias cap.
    fn alias(&mut self, span: Span, id: usize) {
        let Some((node, size)) = self.anchors.get(&id).cloned() else {
            return self.fail(span, "alias refers to an unknown anchor".into());
        };
        // Count before cloning, so an alias bomb stops here.
        if !self.count_alias(span, size) {
            return;
        }
        let mut node = node;
        node.span = span;
        self.add(node, 0, size);
    }
}

impl Frame {
    /// The finished sequence or mapping, with its anchor id (0: none).
    fn into_node(self) -> (Node, usize) {
        match self {
            Frame::Seq {
                span,
                anchor,
                items,
            } => (
                Node {
                    span,
                    value: Value::Seq(items),
                },
                anchor,
            ),
            Frame::Map {
                span,
                anchor,
                entries,
                ..
            } => (
                Node {
                    span,
                    value: Value::Map(entries),
                },
                anchor,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let docs = parse_documents("a: 1\nb:\n  c: x\n").unwrap();
        let root = &docs[0];
        let (k, v) = root.entry("b").unwrap();
        assert_eq!(k.span, Span { line: 2, column: 1 });
        assert_eq!(v.get("c").unwrap().span, Span { line: 3, column: 6 });
    }

    #[test]
    fn scalars_resolve_like_yaml_core_schema() {
        let docs = parse_documents("[80, 80.0, '80', true, ~, abc, -3, 1e3]").unwrap();
        let json = docs[0].to_json();
        assert_eq!(
            json,
            serde_json::json!([80, 80.0, "80", true, null, "abc", -3, 1000.0])
        );
    }

    #[test]
    fn multi_documents_and_empty_ones() {
        let docs = parse_documents("a: 1\n---\n---\nb: 2\n").unwrap();
        // The empty middle document is a null scalar.
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[2].get("b").unwrap().span.line, 4);
    }

    #[test]
    fn duplicate_keys_are_rejected() {
        let err = parse_documents("a: 1\na: 2\n").unwrap_err();
        assert_eq!(err.span.line, 2);
        assert!(err.message.contains("duplicate key `a`"), "{}", err.message);
    }

    #[test]
    fn alias_bomb_is_rejected_in_bounded_memory() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let err = parse_documents(&text).unwrap_err();
        assert!(
            err.message.contains("aliases expand to more than"),
            "{}",
            err.message
        );
    }

    #[test]
    fn many_plain_documents_are_not_limited_by_the_alias_cap() {
        let text = "- [a, b, c, d, e, f, g, h, i, j]\n".repeat(20_000);
        assert!(parse_documents(&text).is_ok());
    }

    #[test]
    fn small_aliases_are_expanded() {
        let docs = parse_documents("base: &b {x: 1}\ncopy: *b\n").unwrap();
        assert_eq!(
            docs[0].get("copy").unwrap().to_json(),
            serde_json::json!({"x": 1})
        );
    }

    #[test]
    fn deep_nesting_is_rejected() {
        let text = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        let err = parse_documents(&text).unwrap_err();
        assert!(err.message.contains("nested deeper"), "{}", err.message);
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let err = parse_documents("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.span.line >= 1);
        assert!(err.message.starts_with("invalid YAML"));
    }

    #[test]
    fn custom_tags_are_rejected() {
        let err = parse_documents("a: !Ref x\n").unwrap_err();
        assert!(err.message.contains("tag"), "{}", err.message);
    }
}
