//! Just enough of the ZIP format to read inspect_ai's `.eval` logs: the central directory
//! (ZIP64 included), and members stored, deflated (older logs) or compressed with Zstandard
//! (method 93, what inspect writes since 2025). The `zip` crate reads Zstandard members only
//! through the C libzstd; this reader uses the pure-Rust `ruzstd` decoder and `flate2` instead.

use std::io::Read;

/// One member of an archive.
#[derive(Clone, Debug)]
pub struct Member {
    pub name: String,
    method: u16,
    compressed: u64,
    size: u64,
    /// Offset of the member's local header.
    offset: u64,
}

/// A ZIP archive held in memory.
pub struct Archive {
    bytes: Vec<u8>,
    pub members: Vec<Member>,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

impl Archive {
    /// Reads the central directory of `bytes`; the message says what is wrong when it is not a
    /// ZIP archive this reader understands.
    pub fn new(bytes: Vec<u8>) -> Result<Archive, String> {
        let truncated = || "truncated or not a ZIP archive".to_string();
        // The end of central directory record: 22 bytes and a comment of up to 64 KiB.
        let from = bytes.len().saturating_sub(22 + 65_535);
        let eocd = (from..bytes.len().saturating_sub(21))
            .rev()
            .find(|&i| u32_at(&bytes, i) == Some(0x0605_4b50))
            .ok_or_else(truncated)?;
        let mut count = u16_at(&bytes, eocd + 10).ok_or_else(truncated)? as u64;
        let mut dir = u32_at(&bytes, eocd + 16).ok_or_else(truncated)? as u64;
        // ZIP64: a locator just before the record points at the ZIP64 end record.
        if eocd >= 20 && u32_at(&bytes, eocd - 20) == Some(0x0706_4b50) {
            let end64 = u64_at(&bytes, eocd - 20 + 8).ok_or_else(truncated)? as usize;
            if u32_at(&bytes, end64) != Some(0x0606_4b50) {
                return Err("bad ZIP64 end of central directory".into());
            }
            count = u64_at(&bytes, end64 + 32).ok_or_else(truncated)?;
            dir = u64_at(&bytes, end64 + 48).ok_or_else(truncated)?;
        }
        let mut members = Vec::new();
        let mut at = usize::try_from(dir).map_err(|_| truncated())?;
        for _ in 0..count {
            if u32_at(&bytes, at) != Some(0x0201_4b50) {
                return Err(format!("bad central directory entry at byte {at}"));
            }
            let field = |k: usize| u32_at(&bytes, at + k).ok_or_else(truncated);
            let method = u16_at(&bytes, at + 10).ok_or_else(truncated)?;
            let mut compressed = field(20)? as u64;
            let mut size = field(24)? as u64;
            let name_len = u16_at(&bytes, at + 28).ok_or_else(truncated)? as usize;
            let extra_len = u16_at(&bytes, at + 30).ok_or_else(truncated)? as usize;
            let comment_len = u16_at(&bytes, at + 32).ok_or_else(truncated)? as usize;
            let mut offset = field(42)? as u64;
            let name_bytes = bytes
                .get(at + 46..at + 46 + name_len)
                .ok_or_else(truncated)?;
            let name = String::from_utf8_lossy(name_bytes).into_owned();
            // ZIP64 extra field: the 64-bit values of those fields that read 0xFFFFFFFF, in order.
            let extra = bytes
                .get(at + 46 + name_len..at + 46 + name_len + extra_len)
                .ok_or_else(truncated)?;
            let mut e = 0;
            while e + 4 <= extra.len() {
                let (tag, len) = (
                    u16_at(extra, e).unwrap_or(0),
                    u16_at(extra, e + 2).unwrap_or(0) as usize,
                );
                if tag == 1 {
                    let mut k = e + 4;
                    for value in [&mut size, &mut compressed, &mut offset] {
                        if *value == 0xFFFF_FFFF {
                            *value = u64_at(extra, k).ok_or_else(truncated)?;
                            k += 8;
                        }
                    }
                }
                e += 4 + len;
            }
            members.push(Member {
                name,
                method,
                compressed,
                size,
                offset,
            });
            at += 46 + name_len + extra_len + comment_len;
        }
        Ok(Archive { bytes, members })
    }

    /// The uncompressed content of `member`.
    pub fn read(&self, member: &Member) -> Result<Vec<u8>, String> {
        let truncated = || format!("{}: truncated", member.name);
        let at = usize::try_from(member.offset).map_err(|_| truncated())?;
        if u32_at(&self.bytes, at) != Some(0x0403_4b50) {
            return Err(format!("{}: bad local header", member.name));
        }
        let name_len = u16_at(&self.bytes, at + 26).ok_or_else(truncated)? as usize;
        let extra_len = u16_at(&self.bytes, at + 28).ok_or_else(truncated)? as usize;
        let start = at + 30 + name_len + extra_len;
        let end = usize::try_from(member.compressed)
            .ok()
            .and_then(|c| start.checked_add(c))
            .ok_or_else(truncated)?;
        let data = self.bytes.get(start..end).ok_or_else(truncated)?;
        let size = usize::try_from(member.size).map_err(|_| truncated())?;
        let out = match member.method {
            0 => data.to_vec(),
            8 => {
                let mut out = Vec::with_capacity(size);
                flate2::read::DeflateDecoder::new(data)
                    .read_to_end(&mut out)
                    .map_err(|e| format!("{}: {e}", member.name))?;
                out
            }
            93 => {
                let mut out = Vec::with_capacity(size);
                ruzstd::decoding::FrameDecoder::new()
                    .decode_all_to_vec(data, &mut out)
                    .map_err(|e| format!("{}: {e}", member.name))?;
                out
            }
            m => {
                return Err(format!(
                    "{}: compression method {m} (only stored, deflate and zstd are read)",
                    member.name
                ))
            }
        };
        if out.len() != size {
            return Err(format!(
                "{}: {} bytes uncompressed where the directory says {size}",
                member.name,
                out.len()
            ));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An archive built by hand as the format describes it; each member stored (method 0) or
    /// deflated (8).
    fn build(files: &[(&str, &[u8], u16)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut dir = Vec::new();
        for &(name, plain, method) in files {
            let packed = if method == 8 {
                use std::io::Write;
                let mut e =
                    flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
                e.write_all(plain).unwrap();
                e.finish().unwrap()
            } else {
                plain.to_vec()
            };
            let data = &packed;
            let method = method.to_le_bytes();
            let offset = out.len() as u32;
            let crc = 0u32; // not checked by the reader
            let mut header = Vec::new();
            header.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
            header.extend_from_slice(&[20, 0, 0, 0, method[0], method[1], 0, 0, 0, 0]);
            header.extend_from_slice(&crc.to_le_bytes());
            header.extend_from_slice(&(data.len() as u32).to_le_bytes());
            header.extend_from_slice(&(plain.len() as u32).to_le_bytes());
            header.extend_from_slice(&(name.len() as u16).to_le_bytes());
            header.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(&header);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(data);
            dir.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            dir.extend_from_slice(&[20, 0, 20, 0, 0, 0, method[0], method[1], 0, 0, 0, 0]);
            dir.extend_from_slice(&crc.to_le_bytes());
            dir.extend_from_slice(&(data.len() as u32).to_le_bytes());
            dir.extend_from_slice(&(plain.len() as u32).to_le_bytes());
            dir.extend_from_slice(&(name.len() as u16).to_le_bytes());
            dir.extend_from_slice(&[0; 12]);
            dir.extend_from_slice(&offset.to_le_bytes());
            dir.extend_from_slice(name.as_bytes());
        }
        let dir_at = out.len() as u32;
        out.extend_from_slice(&dir);
        out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(files.len() as u16).to_le_bytes());
        out.extend_from_slice(&(files.len() as u16).to_le_bytes());
        out.extend_from_slice(&(dir.len() as u32).to_le_bytes());
        out.extend_from_slice(&dir_at.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out
    }

    #[test]
    fn reads_stored_and_deflated_members_and_refuses_what_is_not_a_zip() {
        // (Zstandard members are read in tests/harness.rs, from a log inspect wrote.)
        let text = b"{\"id\": \"n2-p00000-A-B-parent\"} ".repeat(50);
        let archive = Archive::new(build(&[("a.json", b"{}", 0), ("b/c.json", &text, 8)])).unwrap();
        let names: Vec<&str> = archive.members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["a.json", "b/c.json"]);
        assert_eq!(archive.read(&archive.members[0]).unwrap(), b"{}");
        assert_eq!(archive.read(&archive.members[1]).unwrap(), text);
        assert!(archive.members[1].compressed < text.len() as u64);
        assert!(Archive::new(b"not a zip".to_vec()).is_err());
        let mut cut = build(&[("a.json", b"{}", 0)]);
        cut.truncate(cut.len() - 30);
        assert!(Archive::new(cut).is_err());
    }
}
