use super::*;
use crate::sys::registry::{REG_DWORD, REG_SZ};

/// A hive written the simple way Windows writes one: a base block, one bin, cells in order.
/// (Independent of the reader: `tests/offline_registry.rs` also reads hives hivex wrote.)
pub(crate) struct Builder {
    cells: Vec<u8>,
}

pub(crate) struct Node {
    pub name: &'static str,
    pub values: Vec<(&'static str, RegValue)>,
    pub children: Vec<Node>,
}

impl Builder {
    fn alloc(&mut self, body: &[u8]) -> u32 {
        let offset = 0x20 + self.cells.len() as u32;
        let size = (body.len() + 4).next_multiple_of(8);
        self.cells
            .extend_from_slice(&(-(size as i32)).to_le_bytes());
        self.cells.extend_from_slice(body);
        self.cells
            .resize(self.cells.len() + size - 4 - body.len(), 0);
        offset
    }

    fn data(&mut self, bytes: &[u8]) -> u32 {
        if bytes.len() <= SEGMENT {
            return self.alloc(bytes);
        }
        let segments: Vec<u32> = bytes.chunks(SEGMENT).map(|c| self.alloc(c)).collect();
        let list: Vec<u8> = segments.iter().flat_map(|o| o.to_le_bytes()).collect();
        let list = self.alloc(&list);
        let mut db = b"db".to_vec();
        db.extend_from_slice(&(segments.len() as u16).to_le_bytes());
        db.extend_from_slice(&list.to_le_bytes());
        self.alloc(&db)
    }

    fn value(&mut self, name: &str, value: &RegValue) -> u32 {
        let len = value.data.len() as u32;
        let (size, at) = if len <= 4 {
            let mut inline = [0u8; 4];
            inline[..value.data.len()].copy_from_slice(&value.data);
            (len | 0x8000_0000, u32::from_le_bytes(inline))
        } else {
            (len, self.data(&value.data))
        };
        let mut vk = b"vk".to_vec();
        vk.extend_from_slice(&(name.len() as u16).to_le_bytes());
        vk.extend_from_slice(&size.to_le_bytes());
        vk.extend_from_slice(&at.to_le_bytes());
        vk.extend_from_slice(&value.kind.to_le_bytes());
        vk.extend_from_slice(&1u16.to_le_bytes()); // ASCII name
        vk.extend_from_slice(&0u16.to_le_bytes());
        vk.extend_from_slice(name.as_bytes());
        self.alloc(&vk)
    }

    fn node(&mut self, node: &Node) -> u32 {
        let children: Vec<u32> = node.children.iter().map(|c| self.node(c)).collect();
        let values: Vec<u32> = node.values.iter().map(|(n, v)| self.value(n, v)).collect();
        let subkeys = if children.is_empty() {
            u32::MAX
        } else {
            let mut lf = b"lf".to_vec();
            lf.extend_from_slice(&(children.len() as u16).to_le_bytes());
            for c in &children {
                lf.extend_from_slice(&c.to_le_bytes());
                lf.extend_from_slice(&[0; 4]);
            }
            self.alloc(&lf)
        };
        let value_list = if values.is_empty() {
            u32::MAX
        } else {
            let list: Vec<u8> = values.iter().flat_map(|o| o.to_le_bytes()).collect();
            self.alloc(&list)
        };
        let mut nk = vec![0u8; 0x4C];
        nk[..2].copy_from_slice(b"nk");
        nk[2..4].copy_from_slice(&0x20u16.to_le_bytes());
        nk[0x14..0x18].copy_from_slice(&(children.len() as u32).to_le_bytes());
        nk[0x1C..0x20].copy_from_slice(&subkeys.to_le_bytes());
        nk[0x24..0x28].copy_from_slice(&(values.len() as u32).to_le_bytes());
        nk[0x28..0x2C].copy_from_slice(&value_list.to_le_bytes());
        nk[0x48..0x4A].copy_from_slice(&(node.name.len() as u16).to_le_bytes());
        nk.extend_from_slice(node.name.as_bytes());
        self.alloc(&nk)
    }

    pub(crate) fn build(root: &Node, dirty: bool) -> Vec<u8> {
        let mut b = Builder { cells: Vec::new() };
        let root_at = b.node(root);
        let bin_size = (0x20 + b.cells.len()).next_multiple_of(0x1000);
        let mut out = vec![0u8; BASE];
        out[..4].copy_from_slice(b"regf");
        out[4..8].copy_from_slice(&7u32.to_le_bytes());
        out[8..12].copy_from_slice(&(if dirty { 6u32 } else { 7 }).to_le_bytes());
        out[0x14..0x18].copy_from_slice(&1u32.to_le_bytes());
        out[0x18..0x1C].copy_from_slice(&5u32.to_le_bytes());
        out[0x24..0x28].copy_from_slice(&root_at.to_le_bytes());
        out[0x28..0x2C].copy_from_slice(&(bin_size as u32).to_le_bytes());
        let mut sum = 0u32;
        for at in (0..508).step_by(4) {
            sum ^= u32::from_le_bytes(out[at..at + 4].try_into().unwrap());
        }
        out[508..512].copy_from_slice(&sum.to_le_bytes());
        let mut bin = vec![0u8; 0x20];
        bin[..4].copy_from_slice(b"hbin");
        bin[8..12].copy_from_slice(&(bin_size as u32).to_le_bytes());
        out.extend_from_slice(&bin);
        out.extend_from_slice(&b.cells);
        out.resize(BASE + bin_size, 0);
        out
    }
}

pub(crate) fn sample() -> Node {
    let big = "x".repeat(20_000);
    Node {
        name: "ROOT",
        values: vec![],
        children: vec![Node {
            name: "Microsoft",
            values: vec![],
            children: vec![Node {
                name: "Windows NT",
                values: vec![],
                children: vec![Node {
                    name: "CurrentVersion",
                    values: vec![
                        ("CurrentBuild", RegValue::string("19045")),
                        ("UBR", RegValue::dword(5131)),
                        ("Big", RegValue::string(Box::leak(big.into_boxed_str()))),
                        ("", RegValue::new(REG_SZ, vec![])),
                    ],
                    children: vec![],
                }],
            }],
        }],
    }
}

#[test]
fn keys_and_values_read_back_as_written_ignoring_case() {
    let hive = Hive::parse(Builder::build(&sample(), false)).unwrap();
    assert!(!hive.dirty);
    let key = hive
        .open(r"microsoft\WINDOWS NT\CurrentVersion")
        .unwrap()
        .unwrap();
    let values = hive.values(key).unwrap();
    let get = |n: &str| {
        values
            .iter()
            .find(|(name, _)| name == n)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        get("CurrentBuild").unwrap().as_text().as_deref(),
        Some("19045")
    );
    assert_eq!(get("UBR").unwrap().as_dword(), Some(5131));
    assert_eq!(get("UBR").unwrap().kind, REG_DWORD);
    // Data beyond 16,344 bytes comes in segments.
    assert_eq!(get("Big").unwrap().as_text().unwrap().len(), 20_000);
    assert_eq!(get("").unwrap().data, Vec::<u8>::new());
    assert_eq!(hive.open(r"Microsoft\Nothing").unwrap(), None);
    let names: Vec<String> = hive
        .subkeys(hive.root())
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["Microsoft"]);
}

#[test]
fn a_dirty_a_damaged_and_a_foreign_file_are_each_said() {
    let dirty = Hive::parse(Builder::build(&sample(), true)).unwrap();
    assert!(dirty.dirty);
    let mut bad_sum = Builder::build(&sample(), false);
    bad_sum[0x30] ^= 1;
    assert!(matches!(Hive::parse(bad_sum), Err(HiveError::Damaged(w)) if w.contains("checksum")));
    assert!(matches!(
        Hive::parse(b"MZ not a hive".to_vec()),
        Err(HiveError::NotAHive(_))
    ));
    // Truncated: the root's cell is gone.
    let whole = Builder::build(&sample(), false);
    let cut = whole[..BASE + 0x40].to_vec();
    assert!(Hive::parse(cut).is_err());
}

proptest::proptest! {
    /// Arbitrary damage anywhere after the base block: an error or a value, never a panic.
    #[test]
    fn damage_never_panics(flips in proptest::collection::vec((0usize..8192, proptest::prelude::any::<u8>()), 1..40)) {
        let mut bytes = Builder::build(&sample(), false);
        for (at, byte) in flips {
            let at = BASE + at % (bytes.len() - BASE);
            bytes[at] = byte;
        }
        if let Ok(hive) = Hive::parse(bytes) {
            if let Ok(Some(key)) = hive.open(r"Microsoft\Windows NT\CurrentVersion") {
                let _ = hive.values(key);
            }
            let _ = hive.subkeys(hive.root());
        }
    }
}
