//! The words of CBS.log lines as the CBS reader takes them apart: a package's identity, a KB
//! number, the first word after a marker, a quoted name; and a detail cut to a readable length.

/// A detail's words are cut here (an installer's name can be kilobytes long).
const MAX_DETAIL_CHARS: usize = 160;

pub const ROLLED_BACK: &str = "the update was rolled back";

/// A detail cut to [`MAX_DETAIL_CHARS`] characters.
pub fn cut(mut detail: String) -> String {
    if let Some((at, _)) = detail.char_indices().nth(MAX_DETAIL_CHARS) {
        detail.truncate(at);
        detail.push('…');
    }
    detail
}

/// `Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.867.1.8` → (`Package_for_RollupFix`,
/// `19041.867.1.8`): the name is what a later success of the same package supersedes.
pub fn package_name(identity: &str) -> (&str, &str) {
    let mut parts = identity.split('~');
    let name = parts.next().unwrap_or(identity);
    (name, parts.next_back().unwrap_or(""))
}

pub use crate::known_issues::kb_in;

/// The first word of `text`, without a trailing comma or period.
pub fn token(text: &str) -> &str {
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let start = text.bytes().take_while(blank).count();
    let text = &text[start..];
    let end = text.bytes().position(|b| blank(&b)).unwrap_or(text.len());
    text[..end].trim_end_matches([',', '.', ';'])
}

/// The first quoted name: `[l:10]'opencl.dll'` or `[l:20{10}]"opencl.dll"`.
pub fn quoted(text: &str) -> Option<String> {
    let start = text.find(['\'', '"'])?;
    let quote = text[start..].chars().next()?;
    let rest = &text[start + 1..];
    Some(rest[..rest.find(quote)?].to_string())
}
