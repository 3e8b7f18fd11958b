//! Metric math over aligned periods, for alarms on expressions: the parts of
//! CloudWatch's "Metric math syntax and functions" an alarm can use and driftless can
//! reproduce exactly. Anything else is an error that says what, so the backtest says it
//! cannot reproduce the alarm instead of guessing.
//!
//! Values are scalars, time series (one `Option<f64>` per period, `None` where there is
//! no datapoint) and arrays of time series (`METRICS()`, `[m1, m2]`). Between two time
//! series an operator gives a datapoint only where both have one; a division by zero
//! gives none. Supported: numbers, `+ - * / ^`, unary minus, `== != < <= > >=`,
//! `AND && OR || NOT`, `[a, b]`, `SUM AVG MIN MAX` of an array (per period, over the
//! series that have a datapoint), `METRICS()` and `METRICS("text")` (the metric queries,
//! not expressions, whose id contains the text), `FILL(x, value|REPEAT|LINEAR)`,
//! `IF(c, a[, b])`, `ABS CEIL FLOOR`, `RATE` (change per second since the previous
//! datapoint), `DIFF` (change since the previous datapoint) and `PERIOD`. `SUM(m1)` of a
//! single series is one number over the whole range CloudWatch fetched for the
//! evaluation, which it does not document: refused.

use std::collections::BTreeMap;

/// A series: one slot per period.
pub type Series = Vec<Option<f64>>;

/// What an expression is evaluated against.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub period: u32,
    /// The metric queries' series, by id, in the alarm's query order.
    pub metrics: &'a [(String, Series)],
    /// The expression queries, by id.
    pub expressions: &'a BTreeMap<String, String>,
}

/// Why an expression cannot be reproduced (a sentence fragment).
pub type MathError = String;

#[derive(Debug, Clone)]
enum Value {
    Scalar(f64),
    Series(Series),
    Array(Vec<Series>),
    Text(String),
    Keyword(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Num(f64),
    Word(String),
    Text(String),
    Op(&'static str),
}

/// The series the query `id` returns.
pub fn evaluate(id: &str, inputs: Inputs<'_>) -> Result<Series, MathError> {
    let value = resolve(id, inputs, 0)?;
    let len = inputs.metrics.first().map_or(0, |(_, s)| s.len());
    match value {
        Value::Series(s) => Ok(s),
        Value::Scalar(v) => Ok(vec![Some(v); len]),
        Value::Array(_) => Err(format!("`{id}` returns several time series")),
        Value::Text(_) | Value::Keyword(_) => Err(format!("`{id}` is not a time series")),
    }
}

fn resolve(id: &str, inputs: Inputs<'_>, depth: usize) -> Result<Value, MathError> {
    if let Some((_, s)) = inputs.metrics.iter().find(|(m, _)| m == id) {
        return Ok(Value::Series(s.clone()));
    }
    let Some(text) = inputs.expressions.get(id) else {
        return Err(format!("no query has the id `{id}`"));
    };
    if depth > 20 {
        return Err(format!(
            "expressions refer to each other in a cycle through `{id}`"
        ));
    }
    if text.trim_start().to_ascii_uppercase().starts_with("SELECT") {
        return Err("a Metrics Insights query".into());
    }
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        tokens: &tokens,
        at: 0,
        inputs,
        depth,
    };
    let value = parser.or()?;
    if parser.at != tokens.len() {
        return Err(format!("`{text}`: unexpected {:?}", tokens[parser.at]));
    }
    Ok(value)
}

fn tokenize(text: &str) -> Result<Vec<Token>, MathError> {
    const OPS: [&str; 19] = [
        "==", "!=", "<=", ">=", "&&", "||", "<", ">", "+", "-", "*", "/", "^", "(", ")", ",", "[",
        "]", "!",
    ];
    let mut out = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let c = rest.chars().next().unwrap_or(' ');
        if c.is_ascii_digit() || c == '.' {
            let end = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            let n = rest[..end]
                .parse()
                .map_err(|_| format!("`{}` is not a number", &rest[..end]))?;
            out.push(Token::Num(n));
            rest = &rest[end..];
        } else if c.is_ascii_alphabetic() || c == '_' {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            out.push(Token::Word(rest[..end].to_string()));
            rest = &rest[end..];
        } else if c == '"' {
            let end = rest[1..]
                .find('"')
                .ok_or_else(|| "a string is not closed".to_string())?;
            out.push(Token::Text(rest[1..=end].to_string()));
            rest = &rest[end + 2..];
        } else if let Some(op) = OPS.iter().find(|op| rest.starts_with(**op)) {
            out.push(Token::Op(op));
            rest = &rest[op.len()..];
        } else {
            return Err(format!("`{c}` is not part of metric math"));
        }
        rest = rest.trim_start();
    }
    Ok(out)
}

struct Parser<'t, 'i> {
    tokens: &'t [Token],
    at: usize,
    inputs: Inputs<'i>,
    depth: usize,
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    /// Consumes the operator or keyword `want` when it is next.
    fn eat(&mut self, want: &str) -> bool {
        let hit = match self.peek() {
            Some(Token::Op(op)) => *op == want,
            Some(Token::Word(w)) => w == want,
            _ => false,
        };
        self.at += usize::from(hit);
        hit
    }

    fn expect(&mut self, want: &str) -> Result<(), MathError> {
        if self.eat(want) {
            Ok(())
        } else {
            Err(format!("expected `{want}`"))
        }
    }

    fn or(&mut self) -> Result<Value, MathError> {
        let mut left = self.and()?;
        while self.eat("OR") || self.eat("||") {
            let right = self.and()?;
            left = binary(left, right, |a, b| Some(bool_of(a != 0.0 || b != 0.0)))?;
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Value, MathError> {
        let mut left = self.not()?;
        while self.eat("AND") || self.eat("&&") {
            let right = self.not()?;
            left = binary(left, right, |a, b| Some(bool_of(a != 0.0 && b != 0.0)))?;
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Value, MathError> {
        if self.eat("NOT") || self.eat("!") {
            let v = self.not()?;
            return unary(v, |a| Some(bool_of(a == 0.0)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Value, MathError> {
        let left = self.sum()?;
        type Cmp = fn(f64, f64) -> bool;
        let ops: [(&str, Cmp); 6] = [
            ("==", |a, b| a == b),
            ("!=", |a, b| a != b),
            ("<=", |a, b| a <= b),
            (">=", |a, b| a >= b),
            ("<", |a, b| a < b),
            (">", |a, b| a > b),
        ];
        for (op, f) in ops {
            if self.eat(op) {
                let right = self.sum()?;
                return binary(left, right, move |a, b| Some(bool_of(f(a, b))));
            }
        }
        Ok(left)
    }

    fn sum(&mut self) -> Result<Value, MathError> {
        let mut left = self.product()?;
        loop {
            if self.eat("+") {
                left = binary(left, self.product()?, |a, b| Some(a + b))?;
            } else if self.eat("-") {
                left = binary(left, self.product()?, |a, b| Some(a - b))?;
            } else {
                return Ok(left);
            }
        }
    }

    fn product(&mut self) -> Result<Value, MathError> {
        let mut left = self.power()?;
        loop {
            if self.eat("*") {
                left = binary(left, self.power()?, |a, b| Some(a * b))?;
            } else if self.eat("/") {
                left = binary(left, self.power()?, |a, b| (b != 0.0).then(|| a / b))?;
            } else {
                return Ok(left);
            }
        }
    }

    fn power(&mut self) -> Result<Value, MathError> {
        let base = self.unary()?;
        if self.eat("^") {
            let exponent = self.power()?;
            return binary(base, exponent, |a, b| {
                Some(a.powf(b)).filter(|v| v.is_finite())
            });
        }
        Ok(base)
    }

    fn unary(&mut self) -> Result<Value, MathError> {
        if self.eat("-") {
            let v = self.unary()?;
            return unary(v, |a| Some(-a));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Value, MathError> {
        let token = self
            .peek()
            .cloned()
            .ok_or_else(|| "the expression ends too early".to_string())?;
        self.at += 1;
        match token {
            Token::Num(n) => Ok(Value::Scalar(n)),
            Token::Text(t) => Ok(Value::Text(t)),
            Token::Op("(") => {
                let v = self.or()?;
                self.expect(")")?;
                Ok(v)
            }
            Token::Op("[") => {
                let mut items = Vec::new();
                loop {
                    match self.or()? {
                        Value::Series(s) => items.push(s),
                        Value::Array(a) => items.extend(a),
                        _ => return Err("an array holds time series only".into()),
                    }
                    if !self.eat(",") {
                        break;
                    }
                }
                self.expect("]")?;
                Ok(Value::Array(items))
            }
            Token::Op(op) => Err(format!("unexpected `{op}`")),
            Token::Word(w) if self.eat("(") => {
                let args = self.arguments()?;
                call(&w, args, self.inputs)
            }
            Token::Word(w) if matches!(w.as_str(), "REPEAT" | "LINEAR") => Ok(Value::Keyword(w)),
            Token::Word(w) => resolve(&w, self.inputs, self.depth + 1),
        }
    }

    /// A call's arguments, after its `(`, through its `)`.
    fn arguments(&mut self) -> Result<Vec<Value>, MathError> {
        let mut args = Vec::new();
        if self.eat(")") {
            return Ok(args);
        }
        loop {
            args.push(self.or()?);
            if !self.eat(",") {
                break;
            }
        }
        self.expect(")")?;
        Ok(args)
    }
}

fn bool_of(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

fn unary(v: Value, f: impl Fn(f64) -> Option<f64>) -> Result<Value, MathError> {
    match v {
        Value::Scalar(a) => f(a)
            .map(Value::Scalar)
            .ok_or_else(|| "a scalar with no value".to_string()),
        Value::Series(s) => Ok(Value::Series(s.iter().map(|a| a.and_then(&f)).collect())),
        Value::Array(arr) => Ok(Value::Array(
            arr.iter()
                .map(|s| s.iter().map(|a| a.and_then(&f)).collect())
                .collect(),
        )),
        Value::Text(_) | Value::Keyword(_) => Err("an operator applied to a string".into()),
    }
}

fn binary(
    left: Value,
    right: Value,
    f: impl Fn(f64, f64) -> Option<f64>,
) -> Result<Value, MathError> {
    let zip = |a: &Series, b: &Series| -> Series {
        a.iter()
            .zip(b)
            .map(|(x, y)| match (x, y) {
                (Some(x), Some(y)) => f(*x, *y),
                _ => None,
            })
            .collect()
    };
    let each = |s: &Series, b: f64, flip: bool| -> Series {
        s.iter()
            .map(|x| x.and_then(|x| if flip { f(b, x) } else { f(x, b) }))
            .collect()
    };
    Ok(match (left, right) {
        (Value::Scalar(a), Value::Scalar(b)) => {
            Value::Scalar(f(a, b).ok_or_else(|| "a scalar with no value".to_string())?)
        }
        (Value::Series(s), Value::Scalar(b)) => Value::Series(each(&s, b, false)),
        (Value::Scalar(a), Value::Series(s)) => Value::Series(each(&s, a, true)),
        (Value::Series(a), Value::Series(b)) => Value::Series(zip(&a, &b)),
        (Value::Array(arr), Value::Scalar(b)) => {
            Value::Array(arr.iter().map(|s| each(s, b, false)).collect())
        }
        (Value::Scalar(a), Value::Array(arr)) => {
            Value::Array(arr.iter().map(|s| each(s, a, true)).collect())
        }
        (Value::Array(arr), Value::Series(b)) => {
            Value::Array(arr.iter().map(|s| zip(s, &b)).collect())
        }
        (Value::Series(a), Value::Array(arr)) => {
            Value::Array(arr.iter().map(|s| zip(&a, s)).collect())
        }
        _ => return Err("an operator between two arrays or on a string".into()),
    })
}

fn call(name: &str, args: Vec<Value>, inputs: Inputs<'_>) -> Result<Value, MathError> {
    let arity = |n: std::ops::RangeInclusive<usize>| {
        if n.contains(&args.len()) {
            Ok(())
        } else {
            Err(format!("{name} takes {n:?} arguments, not {}", args.len()))
        }
    };
    match name {
        "SUM" | "AVG" | "MIN" | "MAX" => {
            arity(1..=1)?;
            aggregate(name, &args[0])
        }
        "METRICS" => {
            arity(0..=1)?;
            let filter = match args.first() {
                Some(Value::Text(t)) => t.as_str(),
                None => "",
                Some(_) => return Err("METRICS takes a string".into()),
            };
            Ok(Value::Array(
                inputs
                    .metrics
                    .iter()
                    .filter(|(id, _)| id.contains(filter))
                    .map(|(_, s)| s.clone())
                    .collect(),
            ))
        }
        "FILL" => {
            arity(2..=2)?;
            let mut args = args.into_iter();
            let (x, how) = (args.next(), args.next());
            let (Some(x), Some(how)) = (x, how) else {
                return Err("FILL takes two arguments".into());
            };
            per_series(x, |s| fill(s, &how))
        }
        "IF" => {
            arity(2..=3)?;
            if_(&args)
        }
        "ABS" | "CEIL" | "FLOOR" => {
            arity(1..=1)?;
            let f: fn(f64) -> f64 = match name {
                "ABS" => f64::abs,
                "CEIL" => f64::ceil,
                _ => f64::floor,
            };
            unary(args[0].clone(), |a| Some(f(a)))
        }
        "RATE" | "DIFF" => {
            arity(1..=1)?;
            let period = f64::from(inputs.period);
            let rate = name == "RATE";
            per_series(args[0].clone(), |s| Ok(change(s, period, rate)))
        }
        "PERIOD" => {
            arity(1..=1)?;
            let p = f64::from(inputs.period);
            unary(args[0].clone(), |_| Some(p))
        }
        "ANOMALY_DETECTION_BAND" => Err("an anomaly detection band".into()),
        other => Err(format!("the function {other}")),
    }
}

fn per_series(
    v: Value,
    f: impl Fn(&Series) -> Result<Series, MathError>,
) -> Result<Value, MathError> {
    match v {
        Value::Series(s) => Ok(Value::Series(f(&s)?)),
        Value::Array(arr) => Ok(Value::Array(arr.iter().map(f).collect::<Result<_, _>>()?)),
        _ => Err("a function for time series given a number".into()),
    }
}

fn aggregate(name: &str, v: &Value) -> Result<Value, MathError> {
    let Value::Array(arr) = v else {
        return Err(format!(
            "{name} of a single time series (one number over a range CloudWatch does not document for alarms)"
        ));
    };
    let len = arr.first().map_or(0, Vec::len);
    let series = (0..len)
        .map(|i| {
            let present: Vec<f64> = arr.iter().filter_map(|s| s[i]).collect();
            if present.is_empty() {
                return None;
            }
            let n = present.len() as f64;
            Some(match name {
                "SUM" => present.iter().sum(),
                "AVG" => present.iter().sum::<f64>() / n,
                "MIN" => present.iter().copied().fold(f64::INFINITY, f64::min),
                _ => present.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            })
        })
        .collect();
    Ok(Value::Series(series))
}

/// FILL's second argument: a number, REPEAT (the last datapoint before) or LINEAR
/// (between the datapoints around the gap); gaps with nothing before (or after, for
/// LINEAR) stay empty.
fn fill(s: &Series, how: &Value) -> Result<Series, MathError> {
    match how {
        Value::Scalar(v) => Ok(s.iter().map(|x| Some(x.unwrap_or(*v))).collect()),
        Value::Keyword(k) if k == "REPEAT" => {
            let mut last = None;
            Ok(s.iter()
                .map(|x| {
                    last = x.or(last);
                    last
                })
                .collect())
        }
        Value::Keyword(_) => Ok(linear(s)),
        _ => Err("FILL's second argument is a number, REPEAT or LINEAR".into()),
    }
}

fn linear(s: &Series) -> Series {
    let mut out = s.clone();
    let mut prev: Option<usize> = None;
    for i in 0..s.len() {
        let Some(v) = s[i] else { continue };
        if let Some(p) = prev {
            let (a, steps) = (s[p].unwrap_or(v), (i - p) as f64);
            for (j, slot) in out.iter_mut().enumerate().take(i).skip(p + 1) {
                *slot = Some(a + (v - a) * (j - p) as f64 / steps);
            }
        }
        prev = Some(i);
    }
    out
}

fn if_(args: &[Value]) -> Result<Value, MathError> {
    let len = args
        .iter()
        .find_map(|a| match a {
            Value::Series(s) => Some(s.len()),
            _ => None,
        })
        .ok_or_else(|| "IF without a time series".to_string())?;
    let at = |v: Option<&Value>, i: usize| -> Result<Option<f64>, MathError> {
        match v {
            None => Ok(None),
            Some(Value::Scalar(x)) => Ok(Some(*x)),
            Some(Value::Series(s)) => Ok(s[i]),
            Some(_) => Err("IF of arrays or strings".into()),
        }
    };
    let mut out = Vec::with_capacity(len);
    for i in 0..len {
        let value = match at(args.first(), i)? {
            None => None,
            Some(c) if c != 0.0 => at(args.get(1), i)?,
            Some(_) => at(args.get(2), i)?,
        };
        out.push(value);
    }
    Ok(Value::Series(out))
}

/// DIFF (or RATE: per second) between each datapoint and the previous one.
fn change(s: &Series, period: f64, per_second: bool) -> Series {
    let mut prev: Option<(usize, f64)> = None;
    s.iter()
        .enumerate()
        .map(|(i, x)| {
            let x = (*x)?;
            let out = prev.map(|(j, p)| {
                let d = x - p;
                if per_second {
                    d / ((i - j) as f64 * period)
                } else {
                    d
                }
            });
            prev = Some((i, x));
            out
        })
        .collect()
}
