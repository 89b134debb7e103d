//! A small, pure pickle codec for the fail2ban socket protocol (no I/O).
//!
//! fail2ban frames every message as `pickle.dumps(obj) + END`. [`encode_request`] writes a request
//! (a Python list of plain values) as pickle protocol 2; [`decode`] reads one reply in any protocol
//! CPython emits (0..=5).
//!
//! The decoder runs the pickle machine over an arena of nodes, so that a memoized list or dict that
//! is mutated after being memoized is seen through every reference. Values are only materialised at
//! STOP, with a depth limit (memo cycles end there) and a size budget (shared references cannot blow
//! up memory).

use std::collections::HashMap;
use std::fmt::{self, Write as _};

/// Terminator fail2ban puts after every pickled message, in both directions.
pub const END: &[u8] = b"<F2B_END_COMMAND>";
/// Message a client sends (followed by [`END`]) to close the connection.
pub const CLOSE: &[u8] = b"<F2B_CLOSE_COMMAND>";
/// Largest reply [`decode`] accepts, in bytes (without the terminator).
pub const MAX_REPLY_BYTES: usize = 64 * 1024 * 1024;
/// Largest request [`encode_request`] produces, in bytes (without the terminator).
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;
/// Deepest nesting of containers (and call arguments) that the codec reads or writes.
pub const MAX_DEPTH: usize = 256;

/// A Python value as it travels over the fail2ban socket.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An `int` that fits in 64 bits.
    Int(i64),
    /// A larger `int`: minimal little-endian two's complement bytes (more than 8 of them).
    BigInt(Vec<u8>),
    /// A `float`.
    Float(f64),
    /// A `str` (also Python 2 `str`, decoded as UTF-8 with replacement characters).
    Str(String),
    /// `bytes` or `bytearray`.
    Bytes(Vec<u8>),
    /// A `list`.
    List(Vec<Value>),
    /// A `tuple`.
    Tuple(Vec<Value>),
    /// A `dict`, as key/value pairs in pickle order.
    Dict(Vec<(Value, Value)>),
    /// A `set` or `frozenset`, in pickle order.
    Set(Vec<Value>),
    /// A reference to a class or function, e.g. `fail2ban.exceptions.UnknownJailException`.
    Global {
        /// Module path, e.g. `builtins`.
        module: String,
        /// Qualified name inside the module.
        name: String,
    },
    /// An object built by calling `func(*args)` (REDUCE / NEWOBJ), e.g. an exception instance.
    Call {
        /// What is called, usually a [`Value::Global`].
        func: Box<Value>,
        /// Positional arguments.
        args: Vec<Value>,
    },
}

impl Value {
    /// The string, for [`Value::Str`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, for [`Value::Int`] only (a `Bool` is not converted).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The boolean, for [`Value::Bool`].
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The items of a [`Value::List`], [`Value::Tuple`] or [`Value::Set`].
    pub fn as_seq(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) | Value::Tuple(v) | Value::Set(v) => Some(v),
            _ => None,
        }
    }

    /// Whether this is [`Value::None`].
    pub fn is_none(&self) -> bool {
        matches!(self, Value::None)
    }
}

/// Renders the value roughly as Python's `repr()` would.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::None => f.write_str("None"),
            Value::Bool(true) => f.write_str("True"),
            Value::Bool(false) => f.write_str("False"),
            Value::Int(i) => write!(f, "{i}"),
            Value::BigInt(b) if b.len() > 1024 => write!(f, "<int of {} bytes>", b.len()),
            Value::BigInt(b) => f.write_str(&bigint_to_decimal(b)),
            Value::Float(x) if x.is_nan() => f.write_str("nan"),
            Value::Float(x) if x.is_infinite() => {
                f.write_str(if *x > 0.0 { "inf" } else { "-inf" })
            }
            Value::Float(x) => write!(f, "{x:?}"),
            Value::Str(s) => write_quoted(f, "", s.chars()),
            Value::Bytes(b) => write_quoted(f, "b", b.iter().map(|&c| char::from(c))),
            Value::List(v) => write_seq(f, "[", v, "]"),
            Value::Tuple(v) if v.len() == 1 => write_seq(f, "(", v, ",)"),
            Value::Tuple(v) => write_seq(f, "(", v, ")"),
            Value::Set(v) if v.is_empty() => f.write_str("set()"),
            Value::Set(v) => write_seq(f, "{", v, "}"),
            Value::Dict(pairs) => {
                f.write_char('{')?;
                for (i, (k, v)) in pairs.iter().enumerate() {
                    write!(f, "{}{k}: {v}", if i == 0 { "" } else { ", " })?;
                }
                f.write_char('}')
            }
            Value::Global { module, name } => write!(f, "{module}.{name}"),
            Value::Call { func, args } => {
                write!(f, "{func}")?;
                write_seq(f, "(", args, ")")
            }
        }
    }
}

fn write_seq(f: &mut fmt::Formatter<'_>, open: &str, items: &[Value], close: &str) -> fmt::Result {
    f.write_str(open)?;
    for (i, item) in items.iter().enumerate() {
        write!(f, "{}{item}", if i == 0 { "" } else { ", " })?;
    }
    f.write_str(close)
}

/// Python-style quoting; for bytes every char is < 256 and only printable ASCII stays literal.
fn write_quoted(
    f: &mut fmt::Formatter<'_>,
    prefix: &str,
    chars: impl Iterator<Item = char> + Clone,
) -> fmt::Result {
    let bytes = !prefix.is_empty();
    let quote = if chars.clone().any(|c| c == '\'') && !chars.clone().any(|c| c == '"') {
        '"'
    } else {
        '\''
    };
    f.write_str(prefix)?;
    f.write_char(quote)?;
    for c in chars {
        match c {
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if c == quote => write!(f, "\\{c}")?,
            c if c.is_control() || (bytes && !c.is_ascii()) => {
                write!(f, "\\x{:02x}", u32::from(c))?
            }
            c => f.write_char(c)?,
        }
    }
    f.write_char(quote)
}

/// Every way encoding or decoding can fail.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The pickle ended before an opcode or its argument was complete.
    #[error("pickle truncated at offset {offset}")]
    Truncated {
        /// Where the missing data should have started.
        offset: usize,
    },
    /// An opcode this decoder does not implement (or not a pickle opcode at all).
    #[error("unsupported pickle opcode 0x{opcode:02x} at offset {offset}")]
    UnsupportedOpcode {
        /// The opcode byte.
        opcode: u8,
        /// Its offset.
        offset: usize,
    },
    /// A PROTO opcode announced a protocol newer than 5.
    #[error("unsupported pickle protocol {version}")]
    UnsupportedProtocol {
        /// The announced protocol.
        version: u8,
    },
    /// An opcode needed more values than the stack (above the last MARK) holds.
    #[error("pickle stack underflow at offset {offset}")]
    StackUnderflow {
        /// Offset of the opcode.
        offset: usize,
    },
    /// An opcode needed a MARK and there was none.
    #[error("pickle MARK missing at offset {offset}")]
    MissingMark {
        /// Offset of the opcode.
        offset: usize,
    },
    /// An opcode found a value of the wrong kind on the stack (e.g. APPEND to a non-list).
    #[error("pickle opcode {opcode} at offset {offset} needs {expected}")]
    WrongType {
        /// Name of the opcode.
        opcode: &'static str,
        /// Offset of the opcode.
        offset: usize,
        /// What it needed.
        expected: &'static str,
    },
    /// A text or length argument could not be parsed.
    #[error("malformed {opcode} argument at offset {offset}")]
    BadArgument {
        /// Name of the opcode.
        opcode: &'static str,
        /// Offset of the opcode.
        offset: usize,
    },
    /// A GET opcode referred to a memo slot that was never filled.
    #[error("pickle memo entry {index} missing at offset {offset}")]
    MissingMemo {
        /// The memo key.
        index: u64,
        /// Offset of the opcode.
        offset: usize,
    },
    /// Bytes follow the STOP opcode (e.g. the END terminator was not stripped).
    #[error("trailing bytes after STOP at offset {offset}")]
    TrailingBytes {
        /// Offset of the first extra byte.
        offset: usize,
    },
    /// STOP found no value to return.
    #[error("pickle stack empty at STOP (offset {offset})")]
    EmptyStack {
        /// Offset of the STOP opcode.
        offset: usize,
    },
    /// Values nest deeper than [`MAX_DEPTH`] (or refer to themselves).
    #[error("value nested deeper than {limit} levels")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// The pickle is larger than [`MAX_REPLY_BYTES`].
    #[error("pickle of {len} bytes exceeds the {limit}-byte limit")]
    InputTooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// Shared references would expand the pickle beyond the decoder's memory budget.
    #[error("decoded value exceeds the memory budget of {limit} bytes")]
    OutputTooLarge {
        /// The budget for this input.
        limit: usize,
    },
    /// The encoded request would be larger than [`MAX_REQUEST_BYTES`].
    #[error("encoded request exceeds the {limit}-byte limit")]
    RequestTooLarge {
        /// The limit.
        limit: usize,
    },
    /// The encoded request contains [`END`] or [`CLOSE`], which would break fail2ban's framing.
    #[error("request contains a fail2ban protocol terminator")]
    ContainsTerminator,
    /// The value cannot (or must not) be sent to fail2ban.
    #[error("{kind} cannot be sent to fail2ban")]
    NotEncodable {
        /// What was refused.
        kind: &'static str,
    },
}

/// Pickle opcodes (see CPython's `Lib/pickle.py`).
mod op {
    pub const MARK: u8 = b'(';
    pub const STOP: u8 = b'.';
    pub const POP: u8 = b'0';
    pub const POP_MARK: u8 = b'1';
    pub const DUP: u8 = b'2';
    pub const FLOAT: u8 = b'F';
    pub const INT: u8 = b'I';
    pub const BININT: u8 = b'J';
    pub const BININT1: u8 = b'K';
    pub const LONG: u8 = b'L';
    pub const BININT2: u8 = b'M';
    pub const NONE: u8 = b'N';
    pub const REDUCE: u8 = b'R';
    pub const STRING: u8 = b'S';
    pub const BINSTRING: u8 = b'T';
    pub const SHORT_BINSTRING: u8 = b'U';
    pub const UNICODE: u8 = b'V';
    pub const BINUNICODE: u8 = b'X';
    pub const APPEND: u8 = b'a';
    pub const BUILD: u8 = b'b';
    pub const GLOBAL: u8 = b'c';
    pub const DICT: u8 = b'd';
    pub const EMPTY_DICT: u8 = b'}';
    pub const APPENDS: u8 = b'e';
    pub const GET: u8 = b'g';
    pub const BINGET: u8 = b'h';
    pub const LONG_BINGET: u8 = b'j';
    pub const LIST: u8 = b'l';
    pub const EMPTY_LIST: u8 = b']';
    pub const PUT: u8 = b'p';
    pub const BINPUT: u8 = b'q';
    pub const LONG_BINPUT: u8 = b'r';
    pub const SETITEM: u8 = b's';
    pub const TUPLE: u8 = b't';
    pub const EMPTY_TUPLE: u8 = b')';
    pub const SETITEMS: u8 = b'u';
    pub const BINFLOAT: u8 = b'G';
    pub const PROTO: u8 = 0x80;
    pub const NEWOBJ: u8 = 0x81;
    pub const TUPLE1: u8 = 0x85;
    pub const TUPLE2: u8 = 0x86;
    pub const TUPLE3: u8 = 0x87;
    pub const NEWTRUE: u8 = 0x88;
    pub const NEWFALSE: u8 = 0x89;
    pub const LONG1: u8 = 0x8a;
    pub const LONG4: u8 = 0x8b;
    pub const BINBYTES: u8 = b'B';
    pub const SHORT_BINBYTES: u8 = b'C';
    pub const SHORT_BINUNICODE: u8 = 0x8c;
    pub const BINUNICODE8: u8 = 0x8d;
    pub const BINBYTES8: u8 = 0x8e;
    pub const EMPTY_SET: u8 = 0x8f;
    pub const ADDITEMS: u8 = 0x90;
    pub const FROZENSET: u8 = 0x91;
    pub const NEWOBJ_EX: u8 = 0x92;
    pub const STACK_GLOBAL: u8 = 0x93;
    pub const MEMOIZE: u8 = 0x94;
    pub const FRAME: u8 = 0x95;
    pub const BYTEARRAY8: u8 = 0x96;
}

// ------------------------------------------------------------------------------------------------
// Encoding

/// Encodes a request: the Python list `args` as pickle protocol 2 (PROTO 2 ... STOP), WITHOUT the
/// END terminator, appended to `out`.
///
/// Refuses (Err) when the encoded bytes would contain [`END`] or [`CLOSE`] (user input that would
/// break fail2ban's framing), would exceed [`MAX_REQUEST_BYTES`], or when a value cannot be sent
/// (bytes, sets, globals, calls, unhashable dict keys, nesting deeper than [`MAX_DEPTH`]).
/// On Err `out` is left unchanged.
pub fn encode_request(args: &[Value], out: &mut Vec<u8>) -> Result<(), CodecError> {
    let start = out.len();
    let result = Encoder {
        out: &mut *out,
        start,
    }
    .request(args);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

struct Encoder<'a> {
    out: &'a mut Vec<u8>,
    start: usize,
}

impl Encoder<'_> {
    fn request(&mut self, args: &[Value]) -> Result<(), CodecError> {
        self.out.extend_from_slice(&[op::PROTO, 2]);
        self.list(args, 1)?;
        self.out.push(op::STOP);
        self.room(0)?;
        let body = self.out.get(self.start..).unwrap_or_default();
        if contains(body, END) || contains(body, CLOSE) {
            return Err(CodecError::ContainsTerminator);
        }
        Ok(())
    }

    /// Fails when `extra` more bytes would push the request over the limit.
    fn room(&self, extra: usize) -> Result<(), CodecError> {
        match (self.out.len() - self.start).checked_add(extra) {
            Some(total) if total <= MAX_REQUEST_BYTES => Ok(()),
            _ => Err(CodecError::RequestTooLarge {
                limit: MAX_REQUEST_BYTES,
            }),
        }
    }

    fn list(&mut self, items: &[Value], depth: usize) -> Result<(), CodecError> {
        self.out.push(op::EMPTY_LIST);
        if !items.is_empty() {
            self.marked(items, depth, op::APPENDS)?;
        }
        Ok(())
    }

    /// MARK, the items, then `close`.
    fn marked(&mut self, items: &[Value], depth: usize, close: u8) -> Result<(), CodecError> {
        self.out.push(op::MARK);
        items.iter().try_for_each(|v| self.value(v, depth))?;
        self.out.push(close);
        Ok(())
    }

    fn value(&mut self, v: &Value, depth: usize) -> Result<(), CodecError> {
        if depth > MAX_DEPTH {
            return Err(CodecError::TooDeep { limit: MAX_DEPTH });
        }
        self.room(16)?;
        match v {
            Value::None => self.out.push(op::NONE),
            Value::Bool(b) => self.out.push(if *b { op::NEWTRUE } else { op::NEWFALSE }),
            Value::Int(i) => {
                if let Ok(b) = u8::try_from(*i) {
                    self.out.extend_from_slice(&[op::BININT1, b]);
                } else if let Ok(w) = u16::try_from(*i) {
                    self.out.push(op::BININT2);
                    self.out.extend_from_slice(&w.to_le_bytes());
                } else if let Ok(d) = i32::try_from(*i) {
                    self.out.push(op::BININT);
                    self.out.extend_from_slice(&d.to_le_bytes());
                } else {
                    self.counted(op::LONG1, trim_sign_extension(&i.to_le_bytes()))?;
                }
            }
            Value::BigInt(b) => match trim_sign_extension(b) {
                b if b.len() < 256 => self.counted(op::LONG1, b)?,
                b => self.counted(op::LONG4, b)?,
            },
            Value::Float(x) => {
                self.out.push(op::BINFLOAT);
                self.out.extend_from_slice(&x.to_be_bytes());
            }
            Value::Str(s) => self.counted(op::BINUNICODE, s.as_bytes())?,
            Value::List(items) => self.list(items, depth + 1)?,
            Value::Tuple(items) if items.len() > 3 => self.marked(items, depth + 1, op::TUPLE)?,
            Value::Tuple(items) => {
                items.iter().try_for_each(|v| self.value(v, depth + 1))?;
                let close = [op::EMPTY_TUPLE, op::TUPLE1, op::TUPLE2, op::TUPLE3];
                self.out.extend(close.get(items.len()));
            }
            Value::Dict(pairs) => {
                self.out.push(op::EMPTY_DICT);
                if !pairs.is_empty() {
                    self.out.push(op::MARK);
                    for (k, v) in pairs {
                        if !is_hashable(k) {
                            return Err(CodecError::NotEncodable {
                                kind: "an unhashable dict key",
                            });
                        }
                        self.value(k, depth + 1)?;
                        self.value(v, depth + 1)?;
                    }
                    self.out.push(op::SETITEMS);
                }
            }
            Value::Bytes(_) => return Err(CodecError::NotEncodable { kind: "bytes" }),
            Value::Set(_) => return Err(CodecError::NotEncodable { kind: "a set" }),
            Value::Global { .. } => return Err(CodecError::NotEncodable { kind: "a global" }),
            Value::Call { .. } => return Err(CodecError::NotEncodable { kind: "an object" }),
        }
        Ok(())
    }

    /// `code`, the length of `data` (1 byte for LONG1, else 4), then `data`.
    fn counted(&mut self, code: u8, data: &[u8]) -> Result<(), CodecError> {
        self.room(data.len())?;
        let too_large = |_| CodecError::RequestTooLarge {
            limit: MAX_REQUEST_BYTES,
        };
        self.out.push(code);
        if code == op::LONG1 {
            self.out.push(u8::try_from(data.len()).map_err(too_large)?);
        } else {
            self.out
                .extend_from_slice(&u32::try_from(data.len()).map_err(too_large)?.to_le_bytes());
        }
        self.out.extend_from_slice(data);
        Ok(())
    }
}

fn is_hashable(v: &Value) -> bool {
    match v {
        Value::Tuple(items) => items.iter().all(is_hashable),
        Value::List(_) | Value::Dict(_) | Value::Set(_) | Value::Call { .. } => false,
        _ => true,
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

// ------------------------------------------------------------------------------------------------
// Integers

/// Drops sign-extension bytes that do not change a little-endian two's complement number.
fn trim_sign_extension(mut b: &[u8]) -> &[u8] {
    while let [.., prev, last] = b {
        if !((*last == 0x00 && *prev < 0x80) || (*last == 0xff && *prev >= 0x80)) {
            break;
        }
        b = &b[..b.len() - 1];
    }
    if b == [0] {
        &[]
    } else {
        b
    }
}

/// An integer from little-endian two's complement bytes: `Int` when it fits, else `BigInt`.
fn int_from_le(bytes: &[u8]) -> Value {
    let b = trim_sign_extension(bytes);
    if b.len() > 8 {
        return Value::BigInt(b.to_vec());
    }
    let fill = if b.last().is_some_and(|&x| x >= 0x80) {
        0xff
    } else {
        0
    };
    let mut wide = [fill; 8];
    wide[..b.len()].copy_from_slice(b);
    Value::Int(i64::from_le_bytes(wide))
}

/// Flips the sign of a little-endian two's complement number in place.
fn negate(bytes: &mut [u8]) {
    let mut carry = true;
    for b in bytes {
        (*b, carry) = (!*b).overflowing_add(u8::from(carry));
    }
}

/// Python caps `int(str)` at 4300 digits by default; so do we (keeps the quadratic loop cheap).
const MAX_INT_DIGITS: usize = 4300;

/// Parses a decimal integer with an optional sign into `Int` or `BigInt`.
fn parse_decimal_int(text: &[u8]) -> Option<Value> {
    let (negative, digits) = match text {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, text),
    };
    if digits.is_empty() || digits.len() > MAX_INT_DIGITS || !digits.iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    let mut limbs: Vec<u32> = Vec::new(); // magnitude, little-endian base 2^32
    for &d in digits {
        let mut carry = u64::from(d - b'0');
        for limb in &mut limbs {
            let cur = u64::from(*limb) * 10 + carry;
            (*limb, carry) = (cur as u32, cur >> 32);
        }
        if carry != 0 {
            limbs.push(carry as u32);
        }
    }
    let mut bytes: Vec<u8> = limbs.iter().flat_map(|l| l.to_le_bytes()).collect();
    bytes.push(0); // room for the sign bit
    if negative {
        negate(&mut bytes);
    }
    Some(int_from_le(&bytes))
}

/// Decimal rendering of a little-endian two's complement number.
fn bigint_to_decimal(le: &[u8]) -> String {
    let negative = le.last().is_some_and(|&b| b >= 0x80);
    let mut magnitude = le.to_vec();
    if negative {
        negate(&mut magnitude);
    }
    let mut limbs: Vec<u32> = magnitude
        .chunks(4)
        .map(|c| c.iter().rev().fold(0, |acc, &b| (acc << 8) | u32::from(b)))
        .collect();
    let mut groups = Vec::new(); // base 10^9, least significant first
    while limbs.iter().any(|&l| l != 0) {
        let mut rem = 0u64;
        for limb in limbs.iter_mut().rev() {
            let cur = (rem << 32) | u64::from(*limb);
            (*limb, rem) = ((cur / 1_000_000_000) as u32, cur % 1_000_000_000);
        }
        groups.push(rem);
    }
    let mut out = String::from(if negative { "-" } else { "" });
    match groups.split_last() {
        None => out.push('0'),
        Some((top, rest)) => {
            out.push_str(&top.to_string());
            rest.iter()
                .rev()
                .for_each(|g| out.push_str(&format!("{g:09}")));
        }
    }
    out
}

// ------------------------------------------------------------------------------------------------
// Decoding

/// Decodes one pickle (protocols 0..=5 as CPython emits them), given WITHOUT the END terminator.
///
/// Rejects trailing bytes after STOP and input larger than [`MAX_REPLY_BYTES`]; never panics.
/// Nesting is limited to [`MAX_DEPTH`] (so memo cycles fail cleanly), and memo references may
/// expand the result to at most about twice what an unshared pickle of the same length could need.
///
/// `builtins.str(x)` (how fail2ban pickles IP addresses) becomes `Value::Str(x)`; `set`,
/// `frozenset`, `bytes`, `bytearray` and `_codecs.encode(s, 'latin1')` calls (protocols < 4)
/// become plain values. Any other REDUCE/NEWOBJ becomes a [`Value::Call`] (BUILD state and
/// NEWOBJ_EX keyword arguments are dropped). Protocol < 3 names such as `__builtin__.unicode` or
/// `exceptions.ValueError` are mapped to Python 3 names, as CPython's unpickler does.
pub fn decode(bytes: &[u8]) -> Result<Value, CodecError> {
    if bytes.len() > MAX_REPLY_BYTES {
        return Err(CodecError::InputTooLarge {
            len: bytes.len(),
            limit: MAX_REPLY_BYTES,
        });
    }
    let mut machine = Machine {
        r: Reader { buf: bytes, pos: 0 },
        arena: Vec::new(),
        stack: Vec::new(),
        marks: Vec::new(),
        memo: Memo::default(),
        proto: 0,
        at: 0,
    };
    let root = machine.run()?;
    // Each node costs at least one input byte, so an unshared pickle never needs more than half.
    let limit = (std::mem::size_of::<Value>() + 1)
        .saturating_mul(2)
        .saturating_mul(bytes.len())
        .saturating_add(1 << 20);
    Builder {
        arena: &machine.arena,
        budget: limit,
        limit,
    }
    .build(root, 0)
}

/// A cursor over the input; every read is bounds-checked.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let end = self.pos.checked_add(n);
        let slice = end.and_then(|end| self.buf.get(self.pos..end));
        let slice = slice.ok_or(CodecError::Truncated { offset: self.pos })?;
        self.pos += n;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, CodecError> {
        let [b] = self.array()?;
        Ok(b)
    }

    /// A protocol-0 argument: the bytes before the next newline (which is consumed too).
    fn line(&mut self) -> Result<&'a [u8], CodecError> {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        let n = rest.iter().position(|&b| b == b'\n');
        let line = self.take(n.ok_or(CodecError::Truncated {
            offset: self.buf.len(),
        })?)?;
        self.take(1)?;
        Ok(line)
    }

    /// A little-endian unsigned length of `width` bytes, then that many bytes.
    fn counted(&mut self, width: usize) -> Result<&'a [u8], CodecError> {
        let len = self
            .take(width)?
            .iter()
            .rev()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        self.take(usize::try_from(len).map_err(|_| CodecError::Truncated { offset: self.pos })?)
    }
}

/// A value under construction; containers refer to other nodes by arena index.
enum Node {
    Leaf(Value),
    List(Vec<usize>),
    Tuple(Vec<usize>),
    Dict(Vec<(usize, usize)>),
    Set(Vec<usize>),
    Call { func: usize, args: usize },
}

/// The pickle virtual machine: a stack of arena indices, a mark stack and a memo.
struct Machine<'a> {
    r: Reader<'a>,
    arena: Vec<Node>,
    stack: Vec<usize>,
    /// Stack lengths at each MARK; values below the last mark are out of reach (as in CPython).
    marks: Vec<usize>,
    memo: Memo,
    proto: u8,
    /// Offset of the opcode being run, for errors.
    at: usize,
}

/// The memo. CPython numbers entries 0, 1, 2, ..., so they live in a vector; keys far beyond the
/// number of entries seen so far (only in odd pickles) go to a map, so memory stays linear.
#[derive(Default)]
struct Memo {
    dense: Vec<Option<usize>>,
    sparse: HashMap<u64, usize>,
    puts: usize,
    /// Number of distinct keys, which is the key MEMOIZE uses.
    len: u64,
}

impl Memo {
    fn put(&mut self, key: u64, node: usize) {
        self.puts += 1;
        let fresh = self.get(key).is_none();
        match usize::try_from(key) {
            Ok(k) if k <= self.puts.saturating_mul(2).saturating_add(1024) => {
                if k >= self.dense.len() {
                    self.dense.resize(k + 1, None);
                }
                if let Some(slot) = self.dense.get_mut(k) {
                    *slot = Some(node);
                }
            }
            _ => {
                self.sparse.insert(key, node);
            }
        }
        self.len += u64::from(fresh);
    }

    /// The latest node stored under `key` (a dense entry is always newer than a sparse one).
    fn get(&self, key: u64) -> Option<usize> {
        let dense = usize::try_from(key)
            .ok()
            .and_then(|k| self.dense.get(k).copied().flatten());
        dense.or_else(|| self.sparse.get(&key).copied())
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A protocol-0 number (FLOAT, PUT, GET).
fn parse_line<T: std::str::FromStr>(line: &[u8]) -> Option<T> {
    std::str::from_utf8(line.trim_ascii()).ok()?.parse().ok()
}

impl Machine<'_> {
    fn run(&mut self) -> Result<usize, CodecError> {
        loop {
            self.at = self.r.pos;
            match self.r.u8()? {
                op::STOP => return self.finish(),
                code => self.step(code)?,
            }
        }
    }

    fn finish(&mut self) -> Result<usize, CodecError> {
        let root = self
            .pop()
            .map_err(|_| CodecError::EmptyStack { offset: self.at })?;
        if self.r.pos < self.r.buf.len() {
            return Err(CodecError::TrailingBytes { offset: self.r.pos });
        }
        Ok(root)
    }

    /// Opcodes that push a plain value.
    fn step(&mut self, code: u8) -> Result<(), CodecError> {
        let value = match code {
            op::NONE => Value::None,
            op::NEWTRUE => Value::Bool(true),
            op::NEWFALSE => Value::Bool(false),
            op::BININT => Value::Int(i32::from_le_bytes(self.r.array()?).into()),
            op::BININT1 => Value::Int(self.r.u8()?.into()),
            op::BININT2 => Value::Int(u16::from_le_bytes(self.r.array()?).into()),
            op::LONG1 => int_from_le(self.r.counted(1)?),
            op::LONG4 => int_from_le(self.r.counted(4)?),
            op::INT => match self.r.line()?.trim_ascii() {
                b"01" => Value::Bool(true),
                b"00" => Value::Bool(false),
                digits => parse_decimal_int(digits).ok_or(self.bad("INT"))?,
            },
            op::LONG => {
                let line = self.r.line()?.trim_ascii();
                let digits = line.strip_suffix(b"L").unwrap_or(line);
                parse_decimal_int(digits).ok_or(self.bad("LONG"))?
            }
            op::BINFLOAT => Value::Float(f64::from_be_bytes(self.r.array()?)),
            op::FLOAT => Value::Float(parse_line(self.r.line()?).ok_or(self.bad("FLOAT"))?),
            op::STRING => match self.r.line()?.trim_ascii_end() {
                [q @ (b'\'' | b'"'), body @ .., end] if end == q => {
                    Value::Str(text(&unescape(body)))
                }
                _ => return Err(self.bad("STRING")),
            },
            op::BINSTRING => {
                let len = usize::try_from(i32::from_le_bytes(self.r.array()?));
                Value::Str(text(self.r.take(len.map_err(|_| self.bad("BINSTRING"))?)?))
            }
            op::SHORT_BINSTRING | op::SHORT_BINUNICODE => Value::Str(text(self.r.counted(1)?)),
            op::BINUNICODE => Value::Str(text(self.r.counted(4)?)),
            op::BINUNICODE8 => Value::Str(text(self.r.counted(8)?)),
            op::UNICODE => Value::Str(raw_unicode_unescape(self.r.line()?)),
            op::SHORT_BINBYTES => Value::Bytes(self.r.counted(1)?.to_vec()),
            op::BINBYTES => Value::Bytes(self.r.counted(4)?.to_vec()),
            op::BINBYTES8 | op::BYTEARRAY8 => Value::Bytes(self.r.counted(8)?.to_vec()),
            op::GLOBAL => {
                let module = text(self.r.line()?);
                let name = text(self.r.line()?);
                self.global(module, name)
            }
            op::STACK_GLOBAL => {
                let (name, module) = (self.pop()?, self.pop()?);
                match (&self.arena[module], &self.arena[name]) {
                    (Node::Leaf(Value::Str(m)), Node::Leaf(Value::Str(n))) => {
                        self.global(m.clone(), n.clone())
                    }
                    _ => return Err(self.wrong("STACK_GLOBAL", "two strings")),
                }
            }
            _ => return self.structure(code),
        };
        self.push(Node::Leaf(value));
        Ok(())
    }

    /// Opcodes that push a container or a call.
    fn structure(&mut self, code: u8) -> Result<(), CodecError> {
        let node = match code {
            op::EMPTY_LIST => Node::List(Vec::new()),
            op::EMPTY_TUPLE => Node::Tuple(Vec::new()),
            op::EMPTY_DICT => Node::Dict(Vec::new()),
            op::EMPTY_SET => Node::Set(Vec::new()),
            op::LIST => Node::List(self.pop_mark()?),
            op::TUPLE => Node::Tuple(self.pop_mark()?),
            op::FROZENSET => Node::Set(self.pop_mark()?),
            op::DICT => {
                let items = self.pop_mark()?;
                Node::Dict(self.pairs(items, "DICT")?)
            }
            op::TUPLE1..=op::TUPLE3 => {
                let n = usize::from(code - op::TUPLE1) + 1;
                let mut items = (0..n).map(|_| self.pop()).collect::<Result<Vec<_>, _>>()?;
                items.reverse();
                Node::Tuple(items)
            }
            op::REDUCE | op::NEWOBJ | op::NEWOBJ_EX => {
                if code == op::NEWOBJ_EX {
                    self.pop()?; // keyword arguments are dropped
                }
                let (args, func) = (self.pop()?, self.pop()?);
                if !matches!(self.arena[args], Node::Tuple(_)) {
                    return Err(self.wrong("REDUCE", "a tuple of arguments"));
                }
                Node::Call { func, args }
            }
            _ => return self.mutate(code),
        };
        self.push(node);
        Ok(())
    }

    /// Opcodes that change existing containers, the stack, the marks or the memo.
    fn mutate(&mut self, code: u8) -> Result<(), CodecError> {
        match code {
            op::PROTO => match self.r.u8()? {
                version @ 0..=5 => self.proto = version,
                version => return Err(CodecError::UnsupportedProtocol { version }),
            },
            op::FRAME => {
                self.r.take(8)?;
            }
            op::APPEND => {
                let item = self.pop()?;
                self.items(code)?.push(item);
            }
            op::APPENDS | op::ADDITEMS => {
                let items = self.pop_mark()?;
                self.items(code)?.extend(items);
            }
            op::SETITEM => {
                let (value, key) = (self.pop()?, self.pop()?);
                self.dict("SETITEM")?.push((key, value));
            }
            op::SETITEMS => {
                let items = self.pop_mark()?;
                let pairs = self.pairs(items, "SETITEMS")?;
                self.dict("SETITEMS")?.extend(pairs);
            }
            op::MARK => self.marks.push(self.stack.len()),
            // Like CPython, POP removes a MARK that is on top of the stack.
            op::POP if self.marks.last() == Some(&self.stack.len()) => {
                self.marks.pop();
            }
            op::POP => {
                self.pop()?;
            }
            op::POP_MARK => {
                self.pop_mark()?;
            }
            op::DUP => {
                let top = self.top()?;
                self.stack.push(top);
            }
            op::PUT | op::BINPUT | op::LONG_BINPUT | op::MEMOIZE => {
                let key = self.memo_key(code)?;
                let top = self.top()?;
                self.memo.put(key, top);
            }
            op::GET | op::BINGET | op::LONG_BINGET => {
                let key = self.memo_key(code)?;
                let found = self.memo.get(key);
                let node = found.ok_or(CodecError::MissingMemo {
                    index: key,
                    offset: self.at,
                })?;
                self.stack.push(node);
            }
            op::BUILD => {
                self.pop()?; // the state is dropped, the object stays
                self.top()?;
            }
            _ => {
                return Err(CodecError::UnsupportedOpcode {
                    opcode: code,
                    offset: self.at,
                })
            }
        }
        Ok(())
    }

    fn bad(&self, opcode: &'static str) -> CodecError {
        CodecError::BadArgument {
            opcode,
            offset: self.at,
        }
    }

    fn wrong(&self, opcode: &'static str, expected: &'static str) -> CodecError {
        CodecError::WrongType {
            opcode,
            offset: self.at,
            expected,
        }
    }

    fn push(&mut self, node: Node) {
        self.stack.push(self.arena.len());
        self.arena.push(node);
    }

    fn top(&self) -> Result<usize, CodecError> {
        let fence = self.marks.last().copied().unwrap_or(0);
        match self.stack.last() {
            Some(&top) if self.stack.len() > fence => Ok(top),
            _ => Err(CodecError::StackUnderflow { offset: self.at }),
        }
    }

    fn pop(&mut self) -> Result<usize, CodecError> {
        let top = self.top()?;
        self.stack.pop();
        Ok(top)
    }

    fn pop_mark(&mut self) -> Result<Vec<usize>, CodecError> {
        let mark = self
            .marks
            .pop()
            .ok_or(CodecError::MissingMark { offset: self.at })?;
        if mark > self.stack.len() {
            return Err(CodecError::StackUnderflow { offset: self.at });
        }
        Ok(self.stack.split_off(mark))
    }

    fn pairs(
        &self,
        items: Vec<usize>,
        opcode: &'static str,
    ) -> Result<Vec<(usize, usize)>, CodecError> {
        if !items.len().is_multiple_of(2) {
            return Err(self.wrong(opcode, "an even number of items"));
        }
        Ok(items.chunks_exact(2).map(|kv| (kv[0], kv[1])).collect())
    }

    /// The list (APPEND, APPENDS) or set (ADDITEMS) on top of the stack.
    fn items(&mut self, code: u8) -> Result<&mut Vec<usize>, CodecError> {
        let top = self.top()?;
        let err = match code {
            op::APPEND => self.wrong("APPEND", "a list"),
            op::APPENDS => self.wrong("APPENDS", "a list"),
            _ => self.wrong("ADDITEMS", "a set"),
        };
        match (&mut self.arena[top], code) {
            (Node::List(items), op::APPEND | op::APPENDS) | (Node::Set(items), op::ADDITEMS) => {
                Ok(items)
            }
            _ => Err(err),
        }
    }

    fn dict(&mut self, opcode: &'static str) -> Result<&mut Vec<(usize, usize)>, CodecError> {
        let top = self.top()?;
        let err = self.wrong(opcode, "a dict");
        match &mut self.arena[top] {
            Node::Dict(pairs) => Ok(pairs),
            _ => Err(err),
        }
    }

    fn memo_key(&mut self, code: u8) -> Result<u64, CodecError> {
        Ok(match code {
            op::PUT => parse_line(self.r.line()?).ok_or(self.bad("PUT"))?,
            op::GET => parse_line(self.r.line()?).ok_or(self.bad("GET"))?,
            op::BINPUT | op::BINGET => self.r.u8()?.into(),
            op::LONG_BINPUT | op::LONG_BINGET => u32::from_le_bytes(self.r.array()?).into(),
            _ => self.memo.len, // MEMOIZE
        })
    }

    /// A global, with Python 2 names mapped for protocols < 3 (CPython's `fix_imports`).
    fn global(&self, module: String, name: String) -> Value {
        if self.proto >= 3 || !(module == "__builtin__" || module == "exceptions") {
            return Value::Global { module, name };
        }
        let name = match (module.as_str(), name.as_str()) {
            ("__builtin__", "unicode" | "basestring") => "str".to_owned(),
            ("__builtin__", "long") => "int".to_owned(),
            ("__builtin__", "xrange") => "range".to_owned(),
            ("__builtin__", "unichr") => "chr".to_owned(),
            ("exceptions", "StandardError") => "Exception".to_owned(),
            _ => name,
        };
        Value::Global {
            module: "builtins".to_owned(),
            name,
        }
    }
}

/// Python's `codecs.escape_decode` (protocol-0 STRING), best effort.
fn unescape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut rest = s;
    while let [c, tail @ ..] = rest {
        rest = tail;
        if *c != b'\\' {
            out.push(*c);
            continue;
        }
        let Some((&e, tail)) = rest.split_first() else {
            out.push(b'\\');
            break;
        };
        rest = tail;
        match e {
            b'\n' => {}
            b'a' => out.push(7),
            b'b' => out.push(8),
            b't' => out.push(b'\t'),
            b'n' => out.push(b'\n'),
            b'v' => out.push(11),
            b'f' => out.push(12),
            b'r' => out.push(b'\r'),
            b'\\' | b'\'' | b'"' => out.push(e),
            b'0'..=b'7' => {
                let n = rest
                    .iter()
                    .take(2)
                    .take_while(|d| (b'0'..=b'7').contains(*d))
                    .count();
                let digits = std::iter::once(&e).chain(&rest[..n]);
                out.push(digits.fold(0u8, |acc, d| acc.wrapping_mul(8) | (d - b'0'))); // low 8 bits
                rest = &rest[n..];
            }
            b'x' => match rest.get(..2).and_then(hex_value) {
                Some(v) => {
                    out.push(v as u8); // two hex digits
                    rest = &rest[2..];
                }
                None => out.extend_from_slice(b"\\x"),
            },
            other => out.extend_from_slice(&[b'\\', other]),
        }
    }
    out
}

/// Python's `raw-unicode-escape` decoding (protocol-0 UNICODE): latin-1 plus `\uXXXX`/`\UXXXXXXXX`.
fn raw_unicode_unescape(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        let width = match (c, s.get(i + 1)) {
            (b'\\', Some(b'u')) => 4,
            (b'\\', Some(b'U')) => 8,
            _ => 0,
        };
        match s
            .get(i + 2..i + 2 + width)
            .filter(|_| width > 0)
            .and_then(hex_value)
        {
            Some(code) => {
                out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
                i += 2 + width;
            }
            None => {
                out.push(char::from(c));
                i += 1;
            }
        }
    }
    out
}

fn hex_value(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |acc, &d| {
        Some((acc << 4) | char::from(d).to_digit(16)?)
    })
}

/// Turns the arena into a [`Value`] tree, within a depth limit and a memory budget.
struct Builder<'a> {
    arena: &'a [Node],
    budget: usize,
    limit: usize,
}

impl Builder<'_> {
    fn charge(&mut self, payload: usize) -> Result<(), CodecError> {
        let cost = std::mem::size_of::<Value>().saturating_add(payload);
        let left = self.budget.checked_sub(cost);
        self.budget = left.ok_or(CodecError::OutputTooLarge { limit: self.limit })?;
        Ok(())
    }

    fn build(&mut self, index: usize, depth: usize) -> Result<Value, CodecError> {
        if depth > MAX_DEPTH {
            return Err(CodecError::TooDeep { limit: MAX_DEPTH });
        }
        let arena = self.arena;
        // Indices only ever come from `Machine::push`, so they are in range.
        match &arena[index] {
            Node::Leaf(v) => {
                self.charge(match v {
                    Value::Str(s) => s.len(),
                    Value::Bytes(b) | Value::BigInt(b) => b.len(),
                    Value::Global { module, name } => module.len() + name.len(),
                    _ => 0,
                })?;
                Ok(v.clone())
            }
            Node::List(items) => Ok(Value::List(self.build_all(items, depth)?)),
            Node::Tuple(items) => Ok(Value::Tuple(self.build_all(items, depth)?)),
            Node::Set(items) => Ok(Value::Set(self.build_all(items, depth)?)),
            Node::Dict(pairs) => {
                self.charge(0)?;
                let pairs = pairs
                    .iter()
                    .map(|&(k, v)| Ok((self.build(k, depth + 1)?, self.build(v, depth + 1)?)));
                Ok(Value::Dict(pairs.collect::<Result<_, CodecError>>()?))
            }
            Node::Call { func, args } => {
                self.charge(0)?;
                let func = self.build(*func, depth + 1)?;
                match self.build(*args, depth + 1)? {
                    Value::Tuple(args) => Ok(simplify_call(func, args)),
                    other => Ok(simplify_call(func, vec![other])),
                }
            }
        }
    }

    fn build_all(&mut self, items: &[usize], depth: usize) -> Result<Vec<Value>, CodecError> {
        self.charge(0)?;
        items.iter().map(|&i| self.build(i, depth + 1)).collect()
    }
}

/// Replaces calls of a few well-known builtins by the plain value they produce.
fn simplify_call(func: Value, mut args: Vec<Value>) -> Value {
    let Value::Global { module, name } = &func else {
        return Value::Call {
            func: Box::new(func),
            args,
        };
    };
    let plain = match (module.as_str(), name.as_str(), args.as_mut_slice()) {
        ("builtins", "str", [Value::Str(s)]) => Some(Value::Str(std::mem::take(s))),
        ("builtins", "bytes" | "bytearray", []) => Some(Value::Bytes(Vec::new())),
        ("builtins", "bytes" | "bytearray", [Value::Bytes(b)]) => {
            Some(Value::Bytes(std::mem::take(b)))
        }
        ("builtins", "set" | "frozenset", []) => Some(Value::Set(Vec::new())),
        ("builtins", "set" | "frozenset", [Value::List(items)]) => {
            Some(Value::Set(std::mem::take(items)))
        }
        ("_codecs", "encode", [Value::Str(s), Value::Str(encoding)])
            if encoding == "latin1" || encoding == "latin-1" =>
        {
            s.chars()
                .map(|c| u8::try_from(c).ok())
                .collect::<Option<_>>()
                .map(Value::Bytes)
        }
        _ => None,
    };
    plain.unwrap_or_else(|| Value::Call {
        func: Box::new(func),
        args,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;
    use std::io::Write as _;
    use std::process::{Command, Stdio};

    fn s(x: &str) -> Value {
        Value::Str(x.to_owned())
    }
    fn int(i: i64) -> Value {
        Value::Int(i)
    }
    fn tup(items: Vec<Value>) -> Value {
        Value::Tuple(items)
    }
    fn list(items: Vec<Value>) -> Value {
        Value::List(items)
    }
    fn dict(pairs: Vec<(Value, Value)>) -> Value {
        Value::Dict(pairs)
    }
    fn call(module: &str, name: &str, args: Vec<Value>) -> Value {
        let func = Value::Global {
            module: module.into(),
            name: name.into(),
        };
        Value::Call {
            func: Box::new(func),
            args,
        }
    }
    fn unhex(h: &str) -> Vec<u8> {
        let digits: Vec<u32> = h.chars().filter_map(|c| c.to_digit(16)).collect();
        digits.chunks(2).map(|p| (p[0] * 16 + p[1]) as u8).collect()
    }
    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
    fn encode(args: &[Value]) -> Result<Vec<u8>, CodecError> {
        let mut out = Vec::new();
        encode_request(args, &mut out).map(|()| out)
    }

    /// Runs a Python script with `stdin`. python3 is the oracle: if it is missing, the test fails.
    fn python(script: &str, stdin: &str) -> String {
        let exe = ["/usr/bin/python3"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists());
        let exe = exe.unwrap_or("python3");
        let mut child = Command::new(exe)
            .args(["-c", script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("python3 ({exe}) is required for this test: {e}"));
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "python3 failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    const ORACLE: &str = r#"
import sys, types, pickle, json
pkg = types.ModuleType('fail2ban'); exc = types.ModuleType('fail2ban.exceptions')
pkg.exceptions = exc; sys.modules['fail2ban'] = pkg; sys.modules['fail2ban.exceptions'] = exc
class UnknownJailException(KeyError): pass
UnknownJailException.__module__ = 'fail2ban.exceptions'; exc.UnknownJailException = UnknownJailException
class IPAddr:
    def __init__(self, ip): self.ip = ip
    def __reduce__(self): return (str, (self.ip,))
class Point:
    def __init__(self): self.x = 1
class KwObj:
    def __getnewargs_ex__(self): return ((1,), {'a': 2})
    def __new__(cls, *a, **k): return object.__new__(cls)
for name, expr, protos in json.loads(sys.stdin.read()):
    obj = eval(expr)
    for proto in protos:
        print(json.dumps({'name': name, 'proto': proto, 'hex': pickle.dumps(obj, proto).hex()}))
"#;

    const ALL: &[u8] = &[0, 1, 2, 3, 4, 5];

    /// (name, Python expression, protocols, expected value; `None` means "fails with TooDeep").
    #[rustfmt::skip]
    fn oracle_cases() -> Vec<(&'static str, &'static str, &'static [u8], Option<Value>)> {
        let big = |le: &[u8]| Value::BigInt(le.to_vec());
        let f = Value::Float;
        vec![
            ("none", "None", ALL, Some(Value::None)),
            ("bools", "[True, False]", ALL, Some(list(vec![Value::Bool(true), Value::Bool(false)]))),
            ("ints", "[0, 5, -1, 255, 256, 65535, 65536, -65536]", ALL, Some(list(
                [0, 5, -1, 255, 256, 65535, 65536, -65536].map(int).to_vec()))),
            ("i32", "[2**31 - 1, -2**31, 2**31, -2**31 - 1]", ALL, Some(list(
                [(1 << 31) - 1, -(1 << 31), 1 << 31, -(1 << 31) - 1].map(int).to_vec()))),
            ("i64", "[2**63 - 1, -2**63, 10**15]", ALL, Some(list(
                [i64::MAX, i64::MIN, 10i64.pow(15)].map(int).to_vec()))),
            ("bigint", "[2**63, 2**64, -2**64, 2**100]", ALL, Some(list(vec![
                big(&[0, 0, 0, 0, 0, 0, 0, 0x80, 0]), big(&[0, 0, 0, 0, 0, 0, 0, 0, 1]),
                big(&[0, 0, 0, 0, 0, 0, 0, 0, 0xff]), big(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10]),
            ]))),
            ("floats", "[1.5, -0.25, 0.1, 1e300, -1e-300, float('inf'), float('-inf')]", ALL, Some(list(
                [1.5, -0.25, 0.1, 1e300, -1e-300, f64::INFINITY, f64::NEG_INFINITY].map(f).to_vec()))),
            ("str", r#"['', 'hello', 'h\u00e9llo w\u00f6rld \u20ac \U0001f600', 'it\'s "q"', 'a\\b\n\r\x00\x1a\t']"#,
             ALL, Some(list(vec![s(""), s("hello"), s("héllo wörld € 😀"), s("it's \"q\""), s("a\\b\n\r\0\u{1a}\t")]))),
            ("str300", "'x' * 300", ALL, Some(s(&"x".repeat(300)))),
            ("str75k", r"'ab\u20ac' * 25000", ALL, Some(s(&"ab€".repeat(25000)))),
            ("bytes", r"[b'', b'\x00\xffab', bytearray(b'z')]", ALL, Some(list(vec![
                Value::Bytes(vec![]), Value::Bytes(vec![0, 0xff, b'a', b'b']), Value::Bytes(vec![b'z'])]))),
            ("lists", "[[], [1, 'a', None], [[1, [2, []]], []]]", ALL, Some(list(vec![
                list(vec![]), list(vec![int(1), s("a"), Value::None]),
                list(vec![list(vec![int(1), list(vec![int(2), list(vec![])])]), list(vec![])]),
            ]))),
            ("tuples", "[(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)]", ALL, Some(list(vec![
                tup(vec![]), tup(vec![int(1)]), tup(vec![int(1), int(2)]),
                tup(vec![int(1), int(2), int(3)]), tup(vec![int(1), int(2), int(3), int(4)]),
            ]))),
            ("dicts", "[{}, {'a': 1, 'b': [True, None], 3: (4,)}]", ALL, Some(list(vec![dict(vec![]), dict(vec![
                (s("a"), int(1)), (s("b"), list(vec![Value::Bool(true), Value::None])), (int(3), tup(vec![int(4)])),
            ])]))),
            ("sets", "[set(), {1, 2, 3}, frozenset({4}), frozenset()]", ALL, Some(list(vec![
                Value::Set(vec![]), Value::Set(vec![int(1), int(2), int(3)]), Value::Set(vec![int(4)]), Value::Set(vec![]),
            ]))),
            ("shared", "(lambda x, t: [x, x, t, t, x])(['x'], 'shared' * 3)", ALL, Some(list(vec![
                list(vec![s("x")]), list(vec![s("x")]), s("sharedsharedshared"), s("sharedsharedshared"),
                list(vec![s("x")]),
            ]))),
            ("mutated_after_memo", "(lambda d: [d, d.update(k=[1]) or d])({})", ALL, Some(list(vec![
                dict(vec![(s("k"), list(vec![int(1)]))]), dict(vec![(s("k"), list(vec![int(1)]))]),
            ]))),
            ("cycle", "(lambda l: (l.append(l), l)[1])([])", ALL, None),
            ("pong", "(0, 'pong')", ALL, Some(tup(vec![int(0), s("pong")]))),
            ("status", "(0, [('Number of jail', 2), ('Jail list', 'f2btest, sshd')])", ALL, Some(tup(vec![
                int(0), list(vec![tup(vec![s("Number of jail"), int(2)]), tup(vec![s("Jail list"), s("f2btest, sshd")])]),
            ]))),
            ("unknown_jail", "(1, UnknownJailException('nosuchjail'))", ALL, Some(tup(vec![
                int(1), call("fail2ban.exceptions", "UnknownJailException", vec![s("nosuchjail")]),
            ]))),
            ("value_error", r#"(1, ValueError("invalid literal for int() with base 10: 'abc'"))"#, ALL, Some(tup(vec![
                int(1), call("builtins", "ValueError", vec![s("invalid literal for int() with base 10: 'abc'")]),
            ]))),
            ("exception", "(1, Exception('Invalid command'))", ALL,
             Some(tup(vec![int(1), call("builtins", "Exception", vec![s("Invalid command")])]))),
            // Protocols < 3 pickle FileNotFoundError as exceptions.OSError (Python's own mapping).
            ("file_not_found", "(1, FileNotFoundError(2, 'No such file or directory', '/nonexistent/x.log'))",
             &[3, 4, 5], Some(tup(vec![int(1), call("builtins", "FileNotFoundError", vec![
                int(2), s("No such file or directory"), s("/nonexistent/x.log")])]))),
            ("ignoreip", "(0, [IPAddr('127.0.0.0/8'), IPAddr('::1')])", ALL,
             Some(tup(vec![int(0), list(vec![s("127.0.0.0/8"), s("::1")])]))),
            ("banned", "(0, [{'sshd': [IPAddr('192.0.2.10')]}, {'f2btest': []}])", ALL, Some(tup(vec![int(0), list(vec![
                dict(vec![(s("sshd"), list(vec![s("192.0.2.10")]))]), dict(vec![(s("f2btest"), list(vec![]))]),
            ])]))),
            ("status_jail", "(0, [('Filter', [('Currently failed', 0), ('File list', ['/x/auth.log'])]), \
              ('Actions', [('Total banned', 2), ('Banned IP list', [IPAddr('192.0.2.10'), IPAddr('2001:db8::1')])])])",
             ALL, Some(tup(vec![int(0), list(vec![
                tup(vec![s("Filter"), list(vec![
                    tup(vec![s("Currently failed"), int(0)]), tup(vec![s("File list"), list(vec![s("/x/auth.log")])]),
                ])]),
                tup(vec![s("Actions"), list(vec![
                    tup(vec![s("Total banned"), int(2)]),
                    tup(vec![s("Banned IP list"), list(vec![s("192.0.2.10"), s("2001:db8::1")])]),
                ])]),
            ])]))),
            ("bare_error", "'ERROR: Ran out of input'", ALL, Some(s("ERROR: Ran out of input"))),
            ("datepattern", "(0, (None, 'Default Detectors'))", ALL,
             Some(tup(vec![int(0), tup(vec![Value::None, s("Default Detectors")])]))),
            ("newobj_build", "Point()", &[2, 3, 4, 5], Some(call("__main__", "Point", vec![]))),
            ("newobj_ex", "KwObj()", &[4, 5], Some(call("__main__", "KwObj", vec![int(1)]))),
        ]
    }

    #[test]
    fn decodes_python_oracle_vectors() {
        let cases = oracle_cases();
        let input: Vec<_> = cases
            .iter()
            .map(|(name, expr, protos, _)| (name, expr, protos))
            .collect();
        let output = python(ORACLE, &serde_json::to_string(&input).unwrap());
        let mut checked = 0;
        for line in output.lines() {
            let row: serde_json::Value = serde_json::from_str(line).unwrap();
            let (name, proto) = (row["name"].as_str().unwrap(), &row["proto"]);
            let bytes = unhex(row["hex"].as_str().unwrap());
            let expected = &cases.iter().find(|c| c.0 == name).unwrap().3;
            let got = decode(&bytes);
            match expected {
                Some(v) => assert_eq!(
                    got.as_ref(),
                    Ok(v),
                    "{name} protocol {proto}: {}",
                    hex(&bytes)
                ),
                None => assert_eq!(got, Err(CodecError::TooDeep { limit: MAX_DEPTH }), "{name}"),
            }
            checked += 1;
        }
        assert_eq!(checked, cases.iter().map(|c| c.2.len()).sum::<usize>());
    }

    #[test]
    fn display_matches_python_repr() {
        #[rustfmt::skip]
        let values = [
            list(vec![Value::None, Value::Bool(true), int(-3), s("it's"), s("a\"b'c"), s("tab\t\u{1}é")]),
            tup(vec![int(1)]),
            tup(vec![]),
            dict(vec![(s("k"), tup(vec![int(1), Value::Float(1.5)])), (tup(vec![int(1)]), list(vec![]))]),
            Value::BigInt(vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10]),
            Value::BigInt(vec![0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0x80]),
        ];
        let stdin: String = values
            .iter()
            .map(|v| hex(&encode(std::slice::from_ref(v)).unwrap()) + "\n")
            .collect();
        let expected: String = values.iter().map(|v| format!("{v}\n")).collect();
        let script = "import sys, pickle\n\
                      for l in sys.stdin.read().split(): print(repr(pickle.loads(bytes.fromhex(l))[0]))";
        assert_eq!(python(script, &stdin), expected);
        let exc = call("fail2ban.exceptions", "UnknownJailException", vec![s("x")]);
        assert_eq!(
            exc.to_string(),
            "fail2ban.exceptions.UnknownJailException('x')"
        );
        assert_eq!(
            Value::Bytes(b"a'\x00\xff".to_vec()).to_string(),
            r#"b"a'\x00\xff""#
        );
        assert_eq!(Value::Set(vec![]).to_string(), "set()");
    }

    // Hexdumps from notes/fail2ban.md §2.4, terminator included.
    const PONG: &str = "80 05 95 0c 00 00 00 00 00 00 00 4b 00 8c 04 70 6f 6e 67 94 86 94 2e
        3c 46 32 42 5f 45 4e 44 5f 43 4f 4d 4d 41 4e 44 3e";
    const UNKNOWN_JAIL: &str = "80 05 95 45 00 00 00 00 00 00 00 4b 01 8c 13 66
        61 69 6c 32 62 61 6e 2e 65 78 63 65 70 74 69 6f 6e 73 94 8c 14 55 6e 6b 6e 6f 77 6e 4a 61 69 6c
        45 78 63 65 70 74 69 6f 6e 94 93 94 8c 0a 6e 6f 73 75 63 68 6a 61 69 6c 94 85 94 52 94 86 94 2e
        3c 46 32 42 5f 45 4e 44 5f 43 4f 4d 4d 41 4e 44 3e";

    fn strip_end(reply: &[u8]) -> &[u8] {
        reply.strip_suffix(END).expect("sample ends with END")
    }

    #[test]
    fn decodes_captured_fail2ban_replies() {
        let pong = unhex(PONG);
        assert_eq!(decode(strip_end(&pong)), Ok(tup(vec![int(0), s("pong")])));
        let exc = unhex(UNKNOWN_JAIL);
        let jail = call(
            "fail2ban.exceptions",
            "UnknownJailException",
            vec![s("nosuchjail")],
        );
        assert_eq!(decode(strip_end(&exc)), Ok(tup(vec![int(1), jail])));
        // Forgetting to strip END is reported, not silently accepted.
        assert_eq!(decode(&pong), Err(CodecError::TrailingBytes { offset: 23 }));
    }

    #[test]
    fn request_bytes_match_known_good_encoding() {
        // serde-pickle's protocol-2 request, which fail2ban 1.0.2 accepted (notes §2.4).
        let expected =
            "80 02 5d 28 58 06 00 00 00 73 74 61 74 75 73 58 04 00 00 00 73 73 68 64 65 2e";
        assert_eq!(encode(&[s("status"), s("sshd")]), Ok(unhex(expected)));
    }

    #[test]
    fn python_reads_our_requests() {
        let long = "z".repeat(100 * 1024);
        let odd = "héllo € 😀 \u{0}\n<F2B_END";
        #[rustfmt::skip]
        let requests = [
            (vec![s("ping")], json!(["ping"])),
            (vec![s("set"), s("sshd"), s("banip"), s("192.0.2.1"), s("2001:db8::1")],
             json!(["set", "sshd", "banip", "192.0.2.1", "2001:db8::1"])),
            (vec![s("set"), s("sshd"), s("maxretry"), int(3)], json!(["set", "sshd", "maxretry", 3])),
            (vec![s("echo"), Value::Bool(true), Value::None, list(vec![s("a"), int(1)]), dict(vec![(s("k"), s("v"))])],
             json!(["echo", true, null, ["a", 1], {"k": "v"}])),
            (vec![s("echo"), s(odd)], json!(["echo", odd])),
            (vec![s("echo"), int(-70000), int(i64::MIN), int(1 << 40), Value::Float(-2.5),
                  tup(vec![int(1), int(2), int(3), int(4), int(5)])],
             json!(["echo", -70000, i64::MIN, 1i64 << 40, -2.5, [1, 2, 3, 4, 5]])),
            (vec![s("echo"), s(&long)], json!(["echo", long])),
        ];
        let stdin: String = requests
            .iter()
            .map(|(args, _)| hex(&encode(args).unwrap()) + "\n")
            .collect();
        let script = "import sys, pickle, json\n\
                      for l in sys.stdin.read().split(): print(json.dumps(pickle.loads(bytes.fromhex(l))))";
        let output = python(script, &stdin);
        assert_eq!(output.lines().count(), requests.len());
        for ((args, expected), line) in requests.iter().zip(output.lines()) {
            let got: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(&got, expected, "request {}", list(args.clone()));
        }
    }

    #[test]
    fn refuses_bad_requests_and_leaves_out_unchanged() {
        let too_large = CodecError::RequestTooLarge {
            limit: MAX_REQUEST_BYTES,
        };
        let refused = |kind| CodecError::NotEncodable { kind };
        let os_system = Value::Global {
            module: "os".into(),
            name: "system".into(),
        };
        #[rustfmt::skip]
        let cases = [
            (vec![s("set"), s("sshd"), s("banip"), s("1.2.3.4<F2B_END_COMMAND>")], CodecError::ContainsTerminator),
            (vec![s("echo"), list(vec![s("x<F2B_CLOSE_COMMAND>")])], CodecError::ContainsTerminator),
            (vec![s("echo"), s(&"a".repeat(2 * 1024 * 1024))], too_large.clone()),
            (vec![list(vec![int(7); MAX_REQUEST_BYTES])], too_large),
            (vec![Value::Bytes(vec![1])], refused("bytes")),
            (vec![Value::Set(vec![])], refused("a set")),
            (vec![os_system], refused("a global")),
            (vec![call("builtins", "str", vec![s("x")])], refused("an object")),
            (vec![dict(vec![(list(vec![]), int(1))])], refused("an unhashable dict key")),
            (vec![(0..1000).fold(Value::None, |v, _| list(vec![v]))], CodecError::TooDeep { limit: MAX_DEPTH }),
        ];
        for (args, err) in cases {
            let mut out = b"previous request".to_vec();
            assert_eq!(encode_request(&args, &mut out), Err(err));
            assert_eq!(out, b"previous request");
        }
        let mut out = b"x".to_vec();
        encode_request(&[s("ping")], &mut out).unwrap();
        assert_eq!(decode(&out[1..]), Ok(list(vec![s("ping")])));
    }

    #[test]
    fn rejects_malformed_pickles() {
        let err = |b: &[u8]| decode(b).unwrap_err();
        let wrong = |opcode, offset, expected| CodecError::WrongType {
            opcode,
            offset,
            expected,
        };
        assert_eq!(err(b"\x80\x02N.x"), CodecError::TrailingBytes { offset: 4 });
        assert_eq!(err(b"\x80\x02."), CodecError::EmptyStack { offset: 2 });
        assert_eq!(err(b""), CodecError::Truncated { offset: 0 });
        assert_eq!(
            err(b"\x80\x02X\x05\x00\x00\x00ab."),
            CodecError::Truncated { offset: 7 }
        );
        assert_eq!(err(b"\x80\x02N"), CodecError::Truncated { offset: 3 });
        assert_eq!(
            err(b"\x80\x02P1\n."),
            CodecError::UnsupportedOpcode {
                opcode: b'P',
                offset: 2
            }
        );
        assert_eq!(
            err(b"\x80\x06N."),
            CodecError::UnsupportedProtocol { version: 6 }
        );
        assert_eq!(err(b"\x80\x02a."), CodecError::StackUnderflow { offset: 2 });
        assert_eq!(err(b"\x80\x02]e."), CodecError::MissingMark { offset: 3 });
        assert_eq!(
            err(b"\x80\x02]N(a."),
            CodecError::StackUnderflow { offset: 5 }
        );
        assert_eq!(err(b"K\x01K\x02a."), wrong("APPEND", 4, "a list"));
        assert_eq!(err(b"NK\x01K\x02s."), wrong("SETITEM", 5, "a dict"));
        assert_eq!(
            err(b"}(Nu."),
            wrong("SETITEMS", 3, "an even number of items")
        );
        assert_eq!(
            err(b"K\x01K\x02\x93."),
            wrong("STACK_GLOBAL", 4, "two strings")
        );
        assert_eq!(err(b"NNR."), wrong("REDUCE", 2, "a tuple of arguments"));
        assert_eq!(
            err(b"\x80\x02h\x05."),
            CodecError::MissingMemo {
                index: 5,
                offset: 2
            }
        );
        assert_eq!(
            err(b"Ix1\n."),
            CodecError::BadArgument {
                opcode: "INT",
                offset: 0
            }
        );
        assert_eq!(
            err(b"S'abc\n."),
            CodecError::BadArgument {
                opcode: "STRING",
                offset: 0
            }
        );
        assert_eq!(
            err(b"T\xff\xff\xff\xff."),
            CodecError::BadArgument {
                opcode: "BINSTRING",
                offset: 0
            }
        );
        assert!(matches!(
            err(&vec![b'N'; MAX_REPLY_BYTES + 1]),
            CodecError::InputTooLarge { .. }
        ));
        let pong = unhex(PONG);
        let pong = strip_end(&pong);
        for n in 0..pong.len() {
            assert!(decode(&pong[..n]).is_err(), "prefix {n}");
        }
    }

    #[test]
    fn deep_nesting_and_sharing_are_bounded() {
        let too_deep = Err(CodecError::TooDeep { limit: MAX_DEPTH });
        // 10 000 nested lists, with EMPTY_LIST/APPEND and with MARK/LIST.
        let nested = [b"]".repeat(10_000), b"a".repeat(9_999), b".".to_vec()].concat();
        assert_eq!(decode(&nested), too_deep);
        let nested = [b"(".repeat(10_000), b"l".repeat(10_000), b".".to_vec()].concat();
        assert_eq!(decode(&nested), too_deep);
        // A list that contains itself.
        assert_eq!(decode(b"\x80\x02]q\x00h\x00a."), too_deep);
        // 100 levels of [x, x]: 2^100 nodes if materialised naively.
        let mut p = b"\x80\x02]r\x00\x00\x00\x00".to_vec();
        for k in 0u32..100 {
            let get = [&b"j"[..], &k.to_le_bytes()].concat();
            p.extend([&b"]("[..], &get, &get, b"er", &(k + 1).to_le_bytes()].concat());
        }
        p.push(b'.');
        assert!(matches!(decode(&p), Err(CodecError::OutputTooLarge { .. })));
    }

    #[test]
    fn decodes_rare_opcodes() {
        let (yes, no) = (Value::Bool(true), Value::Bool(false));
        #[rustfmt::skip]
        let cases: Vec<(&[u8], Value)> = vec![
            (b"S'it\\'s\\n\\x41\\101\\\\'\n.", s("it's\nAA\\")),
            (b"S\"q\"\n.", s("q")),
            (b"T\x03\x00\x00\x00abc.", s("abc")),
            (b"U\x02hi.", s("hi")),
            (b"Vh\xe9\\u20ac\\U0001f600\\x\n.", s("hé€😀\\x")),
            (b"\x80\x04\x8d\x02\x00\x00\x00\x00\x00\x00\x00hi.", s("hi")),
            (b"\x80\x04\x8e\x01\x00\x00\x00\x00\x00\x00\x00z.", Value::Bytes(vec![b'z'])),
            (b"\x80\x04\x8b\x02\x00\x00\x00\xff\x7f.", int(32767)),
            (b"\x80\x02\x8a\x00.", int(0)),
            (b"\x80\x02\x8a\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff.", int(-1)),
            (b"L-123L\n.", int(-123)),
            (b"I01\nI00\nI-7\n\x87.", tup(vec![yes, no, int(-7)])),
            (b"F1.5\n.", Value::Float(1.5)),
            (b"(I1\nI2\nd.", dict(vec![(int(1), int(2))])),
            (b"K\x01(K\x02K\x031.", int(1)),
            (b"K\x012\x86.", tup(vec![int(1), int(1)])),
            (b"K\x01(0.", int(1)),
            (b"K\x01p7\ng7\n\x86.", tup(vec![int(1), int(1)])),
            (b"\x80\x04\x8f(K\x01\x90.", Value::Set(vec![int(1)])),
            // A sparse memo key, then MEMOIZE (which numbers by count: key 1) and both GETs.
            (b"K\x01r\xff\xff\xff\xff0K\x02\x940j\xff\xff\xff\xffh\x01\x86.", tup(vec![int(1), int(2)])),
            (b"K\x01p0\nK\x02p0\n0g0\n.", int(2)),
            (b"cfoo\nbar\n)\x81}b.", call("foo", "bar", vec![])),
            (b"c__builtin__\nunicode\nX\x01\x00\x00\x00aq\x01\x85R.", s("a")),
            (b"\x80\x03c__builtin__\nunicode\n.", Value::Global { module: "__builtin__".into(), name: "unicode".into() }),
        ];
        for (bytes, expected) in cases {
            assert_eq!(decode(bytes), Ok(expected), "{}", hex(bytes));
        }
        let nan = decode(b"\x80\x02G\x7f\xf8\x00\x00\x00\x00\x00\x00.");
        assert!(matches!(nan, Ok(Value::Float(x)) if x.is_nan()));
    }

    #[test]
    fn accessors() {
        assert_eq!(s("a").as_str(), Some("a"));
        assert_eq!(int(3).as_i64(), Some(3));
        assert_eq!(Value::Bool(true).as_i64(), None);
        assert_eq!(Value::Bool(false).as_bool(), Some(false));
        assert_eq!(tup(vec![int(1)]).as_seq(), Some(&[int(1)][..]));
        assert_eq!(Value::Set(vec![]).as_seq(), Some(&[][..]));
        assert_eq!(s("x").as_seq(), None);
        assert!(Value::None.is_none() && !int(0).is_none());
    }

    fn encodable() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::None),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::Int),
            (-300i64..70_000).prop_map(Value::Int),
            any::<i128>()
                .prop_filter("beyond i64", |i| i64::try_from(*i).is_err())
                .prop_map(|i| Value::BigInt(trim_sign_extension(&i.to_le_bytes()).to_vec())),
            any::<f64>()
                .prop_filter("not NaN", |x| !x.is_nan())
                .prop_map(Value::Float),
            ".{0,20}".prop_map(Value::Str),
        ];
        let key = prop_oneof![
            ".{0,8}".prop_map(Value::Str),
            any::<i64>().prop_map(Value::Int)
        ];
        leaf.prop_recursive(4, 64, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::List),
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Tuple),
                prop::collection::vec((key.clone(), inner), 0..4).prop_map(Value::Dict),
            ]
        })
    }

    /// Mostly valid opcodes, so that random input gets past the first byte.
    fn opcode_soup() -> impl Strategy<Value = Vec<u8>> {
        let ops: Vec<u8> = b"(.012FIJKLMNRSTUVXabcde}ghjl]pqrst)uGBC"
            .iter()
            .copied()
            .chain(0x80..=0x96)
            .collect();
        prop::collection::vec(
            prop_oneof![3 => prop::sample::select(ops), 1 => any::<u8>()],
            0..200,
        )
    }

    proptest! {
        #[test]
        fn round_trip(args in prop::collection::vec(encodable(), 0..6)) {
            match encode(&args) {
                Ok(bytes) => prop_assert_eq!(decode(&bytes), Ok(Value::List(args))),
                Err(e) => prop_assert_eq!(e, CodecError::ContainsTerminator),
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300), soup in opcode_soup()) {
            let _ = decode(&bytes);
            let _ = decode(&soup);
            let _ = decode(&[&b"\x80\x05"[..], &soup].concat());
        }

        #[test]
        fn mutated_pickles_never_panic(
            args in prop::collection::vec(encodable(), 1..4),
            flips in prop::collection::vec((any::<usize>(), any::<u8>()), 0..4),
            cut in any::<usize>(),
        ) {
            let samples = [encode(&args).unwrap_or_default(), unhex(PONG), unhex(UNKNOWN_JAIL)];
            for mut sample in samples.into_iter().filter(|s| !s.is_empty()) {
                let n = sample.len();
                sample.truncate(n.saturating_sub(END.len()).max(1)); // drop END (a no-op on `args`)
                let n = sample.len();
                for &(at, x) in &flips {
                    sample[at % n] ^= x;
                }
                let _ = decode(&sample);
                sample.truncate(cut % (n + 1));
                let _ = decode(&sample);
            }
        }
    }
}
