//! Text that Windows writes, as lines, streamed: a servicing log or a program's output, in UTF-8
//! with or without a BOM, UTF-16 LE or BE (with a BOM, or recognised by its zero bytes), lines
//! ended by CR, LF or CRLF. Memory stays bounded whatever the file holds: one read buffer, and
//! lines cut at [`MAX_LINE`] bytes.

use std::io::{self, Read};

/// Longer lines are cut here: no servicing line worth reading is longer, and a file with no line
/// breaks at all must not be held whole.
pub const MAX_LINE: usize = 16 * 1024;
const CHUNK: usize = 1 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
}

/// Call `each` with every non-empty line of `reader`, in order.
pub fn for_each_line(mut reader: impl Read, mut each: impl FnMut(&str)) -> io::Result<()> {
    let mut buf = vec![0u8; CHUNK];
    let mut filled = 0;
    // Enough of the start to recognise the encoding.
    while filled < 4 {
        let n = read_some(&mut reader, &mut buf[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    let (encoding, bom) = sniff(&buf[..filled]);
    let mut lines = Splitter::default();
    let mut utf16 = Utf16::new(encoding == Encoding::Utf16Be);
    let mut start = bom;
    loop {
        let bytes = &buf[start..filled];
        match encoding {
            Encoding::Utf8 => lines.push(bytes, &mut each),
            _ => {
                let text = utf16.decode(bytes);
                lines.push(text, &mut each);
            }
        }
        start = 0;
        filled = read_some(&mut reader, &mut buf)?;
        if filled == 0 {
            break;
        }
    }
    if encoding != Encoding::Utf8 {
        lines.push(utf16.finish(), &mut each);
    }
    lines.finish(&mut each);
    Ok(())
}

/// A read that retries on EINTR.
fn read_some(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// The encoding and the length of its byte-order mark.
fn sniff(start: &[u8]) -> (Encoding, usize) {
    match start {
        [0xEF, 0xBB, 0xBF, ..] => (Encoding::Utf8, 3),
        [0xFF, 0xFE, ..] => (Encoding::Utf16Le, 2),
        [0xFE, 0xFF, ..] => (Encoding::Utf16Be, 2),
        // No mark, but ASCII text saved as UTF-16 has every other byte zero.
        [a, 0, b, 0, ..] if *a != 0 && *b != 0 => (Encoding::Utf16Le, 0),
        [0, a, 0, b, ..] if *a != 0 && *b != 0 => (Encoding::Utf16Be, 0),
        _ => (Encoding::Utf8, 0),
    }
}

/// UTF-16 to UTF-8 across chunk boundaries: an odd byte or a lone high surrogate at the end of
/// a chunk waits for the next one.
struct Utf16 {
    big_endian: bool,
    odd: Option<u8>,
    high: Option<u16>,
    /// UTF-8 bytes: the splitter works on bytes, and ASCII (nearly all of a log) is one byte.
    out: Vec<u8>,
}

impl Utf16 {
    fn new(big_endian: bool) -> Self {
        Utf16 {
            big_endian,
            odd: None,
            high: None,
            out: Vec::new(),
        }
    }

    fn decode(&mut self, mut bytes: &[u8]) -> &[u8] {
        self.out.clear();
        if let Some(first) = self.odd.take() {
            match bytes.split_first() {
                Some((second, rest)) => {
                    self.push(self.unit([first, *second]));
                    bytes = rest;
                }
                None => self.odd = Some(first),
            }
        }
        let pairs = bytes.chunks_exact(2);
        if let [last] = pairs.remainder() {
            self.odd = Some(*last);
        }
        self.out.reserve(bytes.len() / 2);
        for pair in pairs {
            let unit = self.unit([pair[0], pair[1]]);
            // ASCII, nearly all of a log, takes the short way.
            if unit < 0x80 && self.high.is_none() {
                self.out.push(unit as u8);
            } else {
                self.push(unit);
            }
        }
        &self.out
    }

    /// One UTF-16 unit; a high surrogate waits for its low half (possibly in the next chunk).
    fn push(&mut self, unit: u16) {
        if let Some(high) = self.high.take() {
            if (0xDC00..0xE000).contains(&unit) {
                let c = 0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(unit) - 0xDC00);
                self.char(char::from_u32(c));
                return;
            }
            self.char(None);
        }
        match unit {
            0..0x80 => self.out.push(unit as u8),
            0xD800..0xDC00 => self.high = Some(unit),
            0xDC00..0xE000 => self.char(None),
            _ => self.char(char::from_u32(u32::from(unit))),
        }
    }

    /// A char as UTF-8; `None` (a lone surrogate) as U+FFFD.
    fn char(&mut self, c: Option<char>) {
        let mut buf = [0; 4];
        let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
        self.out
            .extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }

    fn unit(&self, pair: [u8; 2]) -> u16 {
        if self.big_endian {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        }
    }

    /// What was held back at the end of the file.
    fn finish(&mut self) -> &[u8] {
        self.out.clear();
        if self.high.take().is_some() || self.odd.take().is_some() {
            self.char(None);
        }
        &self.out
    }
}

/// Bytes to lines; a line split across chunks is joined in `pending`.
#[derive(Default)]
struct Splitter {
    pending: Vec<u8>,
    /// The last chunk ended in CR: a LF starting the next one belongs to it.
    after_cr: bool,
}

impl Splitter {
    fn push(&mut self, mut bytes: &[u8], each: &mut impl FnMut(&str)) {
        if self.after_cr && bytes.first() == Some(&b'\n') {
            bytes = &bytes[1..];
        }
        self.after_cr = false;
        while let Some(end) = memchr::memchr2(b'\n', b'\r', bytes) {
            if self.pending.is_empty() {
                emit(&bytes[..end], each);
            } else {
                self.keep(&bytes[..end]);
                emit(&std::mem::take(&mut self.pending), each);
            }
            let crlf = bytes[end] == b'\r' && bytes.get(end + 1) == Some(&b'\n');
            if bytes[end] == b'\r' && end + 1 == bytes.len() {
                self.after_cr = true;
            }
            bytes = &bytes[end + if crlf { 2 } else { 1 }..];
        }
        self.keep(bytes);
    }

    fn keep(&mut self, bytes: &[u8]) {
        let room = MAX_LINE.saturating_sub(self.pending.len());
        self.pending
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn finish(&mut self, each: &mut impl FnMut(&str)) {
        emit(&std::mem::take(&mut self.pending), each);
    }
}

fn emit(line: &[u8], each: &mut impl FnMut(&str)) {
    let line = &line[..line.len().min(MAX_LINE)];
    if line.is_empty() {
        return;
    }
    match std::str::from_utf8(line) {
        Ok(text) => each(text),
        Err(_) => each(&String::from_utf8_lossy(line)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines read through a reader that hands out `step` bytes at a time, so every chunk
    /// boundary (inside a CRLF, a UTF-16 unit, a surrogate pair) is crossed.
    fn lines(bytes: &[u8], step: usize) -> Vec<String> {
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut out = Vec::new();
        for_each_line(Trickle(bytes, step), |l| out.push(l.to_string())).unwrap();
        out
    }

    fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let units = bom.then_some(0xFEFF).into_iter().chain(text.encode_utf16());
        for unit in units {
            out.extend(if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        out
    }

    const TEXT: &str = "2026-11-20 08:15:00, Info CBS one\r\nzwei 𝄞 drei\rvier\n\nfünf";
    const LINES: [&str; 4] = [
        "2026-11-20 08:15:00, Info CBS one",
        "zwei 𝄞 drei",
        "vier",
        "fünf",
    ];

    #[test]
    fn every_encoding_and_line_end_gives_the_same_lines_at_any_chunk_size() {
        let mut bom8 = vec![0xEF, 0xBB, 0xBF];
        bom8.extend_from_slice(TEXT.as_bytes());
        let inputs = [
            TEXT.as_bytes().to_vec(),
            bom8,
            utf16(TEXT, false, true),
            utf16(TEXT, true, true),
            utf16(TEXT, false, false),
            utf16(TEXT, true, false),
        ];
        for (i, input) in inputs.iter().enumerate() {
            for step in [1, 2, 3, 5, 7, 4096] {
                assert_eq!(lines(input, step), LINES, "input {i}, step {step}");
            }
        }
    }

    #[test]
    fn a_bom_never_blanks_the_first_timestamp() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice(b"2026-11-20 08:15:00, Error CBS x\n");
        assert!(lines(&bytes, 4096)[0].starts_with("2026-"));
        assert!(lines(&utf16("2026-11-20 x", false, true), 1)[0].starts_with("2026-"));
    }

    #[test]
    fn lines_are_cut_not_held_whole_and_bad_bytes_are_replaced() {
        let long = vec![b'a'; MAX_LINE * 3];
        let got = lines(&long, 5000);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].len(), MAX_LINE);
        assert_eq!(lines(b"a\xFFb\nc", 1), ["a\u{FFFD}b", "c"]);
        let mut odd = utf16("ab", false, true);
        odd.push(b'x');
        assert_eq!(lines(&odd, 3), ["ab\u{FFFD}"]);
        assert!(lines(b"", 1).is_empty());
    }
}
