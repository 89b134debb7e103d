//! A small MaxMind DB writer (format 2.0, IPv6 tree, 32-bit records). The agent only reads
//! geo databases; this builds the small ones the tests, the benchmark and demos use.

use std::collections::HashMap;
use std::net::IpAddr;

use ipnet::IpNet;

/// A value of the data section.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    U16(u16),
    U32(u32),
    U64(u64),
    Map(Vec<(String, Value)>),
    Array(Vec<Value>),
}

/// Builds a database in memory; [`Writer::to_bytes`] renders the file.
#[derive(Debug)]
pub struct Writer {
    database_type: String,
    build_epoch: u64,
    root: Node,
    data: Vec<u8>,
    offsets: HashMap<Vec<u8>, u32>,
}

#[derive(Debug, Clone)]
enum Node {
    Empty,
    /// Offset into the data section.
    Data(u32),
    Inner(Box<Node>, Box<Node>),
}

const METADATA_MARKER: &[u8] = b"\xAB\xCD\xEFMaxMind.com";
const RECORD_BITS: u16 = 32;

impl Writer {
    pub fn new(database_type: &str, build_epoch: u64) -> Self {
        Self {
            database_type: database_type.to_owned(),
            build_epoch,
            root: Node::Empty,
            data: Vec::new(),
            offsets: HashMap::new(),
        }
    }

    /// A country record as ip-location-db writes it: `{"country_code": "DE"}`.
    pub fn country_code(code: &str) -> Value {
        Value::Map(vec![("country_code".into(), Value::Str(code.into()))])
    }

    /// Maps `net` (IPv4 networks live at `::a.b.c.d/96+len`) to `value`; later inserts win
    /// inside their network.
    pub fn insert(&mut self, net: IpNet, value: &Value) {
        let mut encoded = Vec::new();
        encode(value, &mut encoded);
        let offset = match self.offsets.get(&encoded) {
            Some(o) => *o,
            None => {
                let o = u32::try_from(self.data.len()).unwrap_or(u32::MAX);
                self.data.extend_from_slice(&encoded);
                self.offsets.insert(encoded, o);
                o
            }
        };
        let (bits, len) = match net.addr() {
            IpAddr::V4(v4) => (u128::from(u32::from(v4)), 96 + u32::from(net.prefix_len())),
            IpAddr::V6(v6) => (u128::from(v6), u32::from(net.prefix_len())),
        };
        let mut node = &mut self.root;
        for depth in 0..len {
            if !matches!(node, Node::Inner(..)) {
                let old = std::mem::replace(node, Node::Empty);
                *node = Node::Inner(Box::new(old.clone()), Box::new(old));
            }
            let Node::Inner(left, right) = node else {
                unreachable!("made inner above")
            };
            node = if bits >> (127 - depth) & 1 == 0 {
                &mut **left
            } else {
                &mut **right
            };
        }
        *node = Node::Data(offset);
    }

    /// The database file.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Number the inner nodes breadth first; the root is node 0.
        let root = match &self.root {
            Node::Inner(..) => self.root.clone(),
            other => Node::Inner(Box::new(other.clone()), Box::new(other.clone())),
        };
        let mut order: Vec<&Node> = vec![&root];
        let mut i = 0;
        while i < order.len() {
            if let Node::Inner(l, r) = order[i] {
                for child in [l, r] {
                    if matches!(**child, Node::Inner(..)) {
                        order.push(child);
                    }
                }
            }
            i += 1;
        }
        let node_count = u32::try_from(order.len()).unwrap_or(u32::MAX);
        let mut out = Vec::with_capacity(order.len() * 8 + self.data.len() + 256);
        let mut next_inner = 1u32;
        for node in &order {
            let Node::Inner(l, r) = node else { continue };
            for child in [l, r] {
                let record = match **child {
                    Node::Empty => node_count,
                    Node::Data(offset) => node_count + 16 + offset,
                    Node::Inner(..) => {
                        next_inner += 1;
                        next_inner - 1
                    }
                };
                out.extend_from_slice(&record.to_be_bytes());
            }
        }
        out.extend_from_slice(&[0u8; 16]);
        out.extend_from_slice(&self.data);
        out.extend_from_slice(METADATA_MARKER);
        let metadata = Value::Map(vec![
            ("binary_format_major_version".into(), Value::U16(2)),
            ("binary_format_minor_version".into(), Value::U16(0)),
            ("build_epoch".into(), Value::U64(self.build_epoch)),
            (
                "database_type".into(),
                Value::Str(self.database_type.clone()),
            ),
            (
                "description".into(),
                Value::Map(vec![(
                    "en".into(),
                    Value::Str("written by bangui-agent".into()),
                )]),
            ),
            ("ip_version".into(), Value::U16(6)),
            (
                "languages".into(),
                Value::Array(vec![Value::Str("en".into())]),
            ),
            ("node_count".into(), Value::U32(node_count)),
            ("record_size".into(), Value::U16(RECORD_BITS)),
        ]);
        encode(&metadata, &mut out);
        out
    }
}

/// Appends the control byte(s) for `kind` (1..=15) and `size`.
fn control(kind: u8, size: usize, out: &mut Vec<u8>) {
    let (size_bits, extra): (u8, Vec<u8>) = match size {
        0..=28 => (size as u8, vec![]),
        29..=284 => (29, vec![(size - 29) as u8]),
        285..=65_820 => (30, ((size - 285) as u16).to_be_bytes().to_vec()),
        _ => (31, ((size - 65_821) as u32).to_be_bytes()[1..].to_vec()),
    };
    if kind <= 7 {
        out.push(kind << 5 | size_bits);
    } else {
        out.push(size_bits);
        out.push(kind - 7);
    }
    out.extend_from_slice(&extra);
}

fn uint(kind: u8, value: u64, out: &mut Vec<u8>) {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    control(kind, 8 - skip, out);
    out.extend_from_slice(&bytes[skip..]);
}

fn encode(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Str(s) => {
            control(2, s.len(), out);
            out.extend_from_slice(s.as_bytes());
        }
        Value::U16(v) => uint(5, u64::from(*v), out),
        Value::U32(v) => uint(6, u64::from(*v), out),
        Value::U64(v) => uint(9, *v, out),
        Value::Map(entries) => {
            control(7, entries.len(), out);
            for (k, v) in entries {
                encode(&Value::Str(k.clone()), out);
                encode(v, out);
            }
        }
        Value::Array(items) => {
            control(11, items.len(), out);
            for v in items {
                encode(v, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maxminddb_reads_what_we_write() {
        let mut w = Writer::new("test-country", 1_700_000_000);
        w.insert("192.0.2.0/24".parse().unwrap(), &Writer::country_code("DE"));
        w.insert(
            "192.0.2.128/25".parse().unwrap(),
            &Writer::country_code("FR"),
        );
        w.insert(
            "2001:db8::/32".parse().unwrap(),
            &Writer::country_code("JP"),
        );
        let reader = maxminddb::Reader::from_source(w.to_bytes()).unwrap();
        assert_eq!(reader.metadata().database_type, "test-country");
        let cc = |ip: &str| -> Option<String> {
            reader
                .lookup(ip.parse().unwrap())
                .unwrap()
                .decode_path(&maxminddb::path!["country_code"])
                .unwrap()
        };
        assert_eq!(cc("192.0.2.1").as_deref(), Some("DE"));
        assert_eq!(cc("192.0.2.200").as_deref(), Some("FR"));
        assert_eq!(cc("2001:db8:1::5").as_deref(), Some("JP"));
        assert_eq!(cc("198.51.100.1"), None);
    }
}
