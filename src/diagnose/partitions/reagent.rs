//! `System32\Recovery\ReAgent.xml`: WinRE's own record of whether it is enabled and where it
//! lives, readable offline from the files. wufix reads WinRE's state from here and from the
//! partitions, never from `reagentc`'s words (they are localised).

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReAgent {
    /// `InstallState state="1"`: WinRE is enabled.
    pub enabled: bool,
    /// `WinreLocation offset`: the byte offset of WinRE's partition on its disk (0: none).
    pub offset: Option<u64>,
    /// `WinreLocation path`: `\Recovery\WindowsRE`.
    pub path: Option<String>,
}

/// The value of attribute `name` on the first `<element …>`.
fn attribute(xml: &str, element: &str, name: &str) -> Option<String> {
    let open = format!("<{element}");
    let at = xml.find(&open)? + open.len();
    let tag = &xml[at..at + xml[at..].find('>')?];
    for quote in ['"', '\''] {
        let key = format!("{name}={quote}");
        if let Some(from) = tag.find(&key) {
            let rest = &tag[from + key.len()..];
            return Some(rest[..rest.find(quote)?].to_string());
        }
    }
    None
}

pub fn parse(xml: &str) -> Option<ReAgent> {
    if !xml.contains("<WindowsRE") {
        return None;
    }
    Some(ReAgent {
        enabled: attribute(xml, "InstallState", "state").as_deref() == Some("1"),
        offset: attribute(xml, "WinreLocation", "offset")
            .and_then(|o| o.trim().parse().ok())
            .filter(|&o| o > 0),
        path: attribute(xml, "WinreLocation", "path").filter(|p| !p.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENABLED: &str = r#"<?xml version='1.0' encoding='utf-8' standalone='yes'?>
<WindowsRE version="2.0">
<WinreBCD id="{5b1a8a2c-0000-0000-0000-000000000000}"/>
<WinreLocation path="\Recovery\WindowsRE" id="0" offset="255537266688" guid="{0c8a3a2b-0000-0000-0000-000000000000}"/>
<ImageLocation path="" id="0" offset="0" guid="{00000000-0000-0000-0000-000000000000}"/>
<InstallState state="1"/>
<OsInstallAvailable state="0"/>
</WindowsRE>"#;

    #[test]
    fn enabled_and_where() {
        let r = parse(ENABLED).unwrap();
        assert!(r.enabled);
        assert_eq!(r.offset, Some(255_537_266_688));
        assert_eq!(r.path.as_deref(), Some(r"\Recovery\WindowsRE"));
        let disabled = ENABLED
            .replace(
                r#"<InstallState state="1"/>"#,
                r#"<InstallState state="0"/>"#,
            )
            .replace("offset=\"255537266688\"", "offset=\"0\"");
        let r = parse(&disabled).unwrap();
        assert!(!r.enabled);
        assert_eq!(r.offset, None);
        assert_eq!(parse("<html/>"), None);
    }
}
