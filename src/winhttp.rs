//! The machine-wide (WinHTTP) proxy setting that Windows Update's services use: the
//! `WinHttpSettings` blob under the Internet Settings `Connections` key, decoded for `diagnose`
//! and written back as "direct access" by `repair --network`.

/// The WinHTTP proxy, as `netsh winhttp show proxy` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WinHttpProxy {
    Direct,
    Proxy { server: String, bypass: String },
}

/// Decode the `WinHttpSettings` blob: u32 version, u32 counter, u32 flags (bit 1: a proxy is set),
/// then u32 length + proxy server, then u32 length + bypass list (both ANSI).
pub fn decode(blob: &[u8]) -> Option<WinHttpProxy> {
    let u32_at = |at: usize| {
        blob.get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let flags = u32_at(8)?;
    if flags & 2 == 0 {
        return Some(WinHttpProxy::Direct);
    }
    let server_len = u32_at(12)?;
    let server = blob.get(16..16 + server_len)?;
    let bypass_at = 16 + server_len;
    let bypass_len = u32_at(bypass_at).unwrap_or(0);
    let bypass = blob
        .get(bypass_at + 4..bypass_at + 4 + bypass_len)
        .unwrap_or(&[]);
    Some(WinHttpProxy::Proxy {
        server: String::from_utf8_lossy(server).into_owned(),
        bypass: String::from_utf8_lossy(bypass).into_owned(),
    })
}

/// The WinHTTP setting for direct access, keeping the blob's version and advancing its counter
/// (WinHTTP reloads a setting whose counter changed), as `netsh winhttp reset proxy` writes it.
pub fn direct_blob(before: &[u8]) -> Vec<u8> {
    let word = |at: usize| {
        before
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let version = word(0).unwrap_or(0x18);
    let counter = word(4).unwrap_or(0).wrapping_add(1);
    [version, counter, 1, 0, 0]
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(flags: u32, server: &str, bypass: &str) -> Vec<u8> {
        let mut b = Vec::new();
        for n in [0x28u32, 7, flags, server.len() as u32] {
            b.extend(n.to_le_bytes());
        }
        b.extend(server.as_bytes());
        b.extend((bypass.len() as u32).to_le_bytes());
        b.extend(bypass.as_bytes());
        b
    }

    #[test]
    fn decodes_direct_and_proxy_settings() {
        assert_eq!(decode(&blob(1, "", "")), Some(WinHttpProxy::Direct));
        assert_eq!(
            decode(&blob(3, "proxy.corp:8080", "<local>")),
            Some(WinHttpProxy::Proxy {
                server: "proxy.corp:8080".into(),
                bypass: "<local>".into()
            })
        );
        assert_eq!(decode(&[1, 2, 3]), None);
        assert_eq!(decode(&blob(3, "xyz", "")[..17]), None);
    }

    #[test]
    fn direct_access_keeps_the_version_and_advances_the_counter() {
        let before = blob(3, "proxy.corp:8080", "");
        let after = direct_blob(&before);
        assert_eq!(decode(&after), Some(WinHttpProxy::Direct));
        assert_eq!(after[..4], before[..4], "the version is kept");
        assert_eq!(after[4..8], 8u32.to_le_bytes(), "the counter advances");
    }
}
