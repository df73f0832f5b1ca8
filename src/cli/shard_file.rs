//! Shard files on disk, shared by `run --shard` (writes one) and `merge` (reads them): the
//! `--shard I/N` argument, the header line and checked body of `stats::shard`, and the errors
//! that name the file at fault.

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::common::{bad, Result};
use crate::stats::shard::{
    ExperimentBody, ShardBody, ShardHeader, EXPERIMENT_FORMAT, FORMAT, FORMAT_VERSION,
};

/// `--shard I/N`: the I-th (0-based, as `SLURM_ARRAY_TASK_ID`) of N shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardSpec {
    pub index: u64,
    pub count: u64,
}

pub fn parse_shard(s: &str) -> std::result::Result<ShardSpec, String> {
    let usage = "write I/N with 0 <= I < N, e.g. 0/4 for the first of 4 shards";
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| format!("`{s}` is not a shard; {usage}"))?;
    let (Ok(index), Ok(count)) = (i.trim().parse::<u64>(), n.trim().parse::<u64>()) else {
        return Err(format!("`{s}` is not a shard; {usage}"));
    };
    if count == 0 || index >= count {
        return Err(format!(
            "shard {s} does not exist: {usage} (shards are numbered from 0)"
        ));
    }
    Ok(ShardSpec { index, count })
}

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// SHA-256 of the running executable: shards of one run must come from one build.
pub fn program_sha256() -> String {
    std::env::current_exe()
        .and_then(std::fs::read)
        .map_or_else(|_| "unknown".into(), |b| sha256_hex(&b))
}

/// The file name of shard `index` of `count`: sorts in shard order for up to 9,999 shards.
pub fn file_name(spec: ShardSpec) -> String {
    format!("shard-{:04}-of-{:04}.json", spec.index, spec.count)
}

/// Header line, newline, body (a `ShardBody`, or an `ExperimentBody` when the header names an
/// experiment); the header records the body's length and hash.
pub fn encode(mut header: ShardHeader, body: &impl serde::Serialize) -> Result<Vec<u8>> {
    let body = serde_json::to_vec(body)?;
    header.format = if header.experiment.is_some() {
        EXPERIMENT_FORMAT
    } else {
        FORMAT
    }
    .into();
    header.format_version = FORMAT_VERSION;
    header.body_bytes = body.len() as u64;
    header.body_sha256 = sha256_hex(&body);
    let mut bytes = serde_json::to_vec(&header)?;
    bytes.push(b'\n');
    bytes.extend_from_slice(&body);
    Ok(bytes)
}

/// A shard file whose header has been read and checked for format. The file is not kept open
/// (a merge of thousands of shards would run out of file handles); `body` reopens it.
pub struct ShardFile {
    pub path: PathBuf,
    pub header: ShardHeader,
    /// Bytes of the header line, newline included: where the body starts.
    header_bytes: u64,
}

fn corrupt(path: &Path, why: impl std::fmt::Display) -> super::common::Error {
    bad(format!(
        "{}: not a usable shard file: {why}",
        path.display()
    ))
}

impl ShardFile {
    /// Open `path` and read its header line (exit 2 naming the file if it is not a shard of
    /// this format version).
    pub fn open(path: &Path) -> Result<ShardFile> {
        let file = std::fs::File::open(path)
            .map_err(|e| bad(format!("cannot read shard {}: {e}", path.display())))?;
        // A header is under a kilobyte; a file without a newline in its first megabyte is no shard.
        let mut reader = BufReader::new(file).take(1 << 20);
        let mut line = String::new();
        let header_bytes = reader.read_line(&mut line).map_err(|e| corrupt(path, e))? as u64;
        let value: serde_json::Value = serde_json::from_str(&line)
            .map_err(|e| corrupt(path, format!("the header line does not parse ({e})")))?;
        let format = value.get("format").and_then(|f| f.as_str());
        if format != Some(FORMAT) && format != Some(EXPERIMENT_FORMAT) {
            return Err(corrupt(
                path,
                "it does not start with a shortfall shard header",
            ));
        }
        if (format == Some(EXPERIMENT_FORMAT)) != value.get("experiment").is_some() {
            return Err(corrupt(path, "its header says a format it does not have"));
        }
        let version = value.get("format_version").and_then(|v| v.as_u64());
        if version != Some(FORMAT_VERSION as u64) {
            return Err(corrupt(
                path,
                format!(
                    "shard format version {} (this program reads version {FORMAT_VERSION}); re-run the shards with this program",
                    version.map_or("?".into(), |v| v.to_string())
                ),
            ));
        }
        let header = serde_json::from_value(value)
            .map_err(|e| corrupt(path, format!("the header is incomplete ({e})")))?;
        Ok(ShardFile {
            path: path.to_path_buf(),
            header,
            header_bytes,
        })
    }

    /// The body's bytes, checked: their length and SHA-256 must be the header's (a truncated or
    /// altered file fails here).
    fn body_bytes(&self) -> Result<Vec<u8>> {
        let path = &self.path;
        let h = &self.header;
        let mut bytes = Vec::with_capacity(h.body_bytes as usize);
        std::fs::File::open(path)
            .and_then(|mut f| {
                f.seek(SeekFrom::Start(self.header_bytes))?;
                f.read_to_end(&mut bytes)
            })
            .map_err(|e| corrupt(path, e))?;
        if bytes.len() as u64 != h.body_bytes {
            return Err(corrupt(
                path,
                format!(
                    "the body has {} bytes, the header says {} (truncated?)",
                    bytes.len(),
                    h.body_bytes
                ),
            ));
        }
        if sha256_hex(&bytes) != h.body_sha256 {
            return Err(corrupt(
                path,
                "the body's SHA-256 is not the header's (altered or damaged)",
            ));
        }
        Ok(bytes)
    }

    /// Read and check a run shard's body: it must hold one accumulator per chunk of the range.
    pub fn body(self) -> Result<ShardBody> {
        let bytes = self.body_bytes()?;
        let (path, h) = (&self.path, &self.header);
        let body: ShardBody = serde_json::from_slice(&bytes)
            .map_err(|e| corrupt(path, format!("the body does not parse ({e})")))?;
        let chunks = (h.end_path - h.first_path).div_ceil(h.chunk_paths);
        let paths = body.folded.paths;
        if body.chunk_floats.len() as u64 != chunks || paths != h.end_path - h.first_path {
            return Err(corrupt(
                path,
                format!(
                    "it holds {} chunks and {paths} paths, not the {chunks} chunks of paths {}..{}",
                    body.chunk_floats.len(),
                    h.first_path,
                    h.end_path
                ),
            ));
        }
        Ok(body)
    }
}

impl ShardFile {
    /// Read and check an experiment shard's body: its parts must tile the header's range,
    /// variant by variant, with one chunk's floats and sections per chunk.
    pub fn experiment_body(self) -> Result<ExperimentBody> {
        let bytes = self.body_bytes()?;
        let (path, h) = (&self.path, &self.header);
        let body: ExperimentBody = serde_json::from_slice(&bytes)
            .map_err(|e| corrupt(path, format!("the body does not parse ({e})")))?;
        let per_variant = h.experiment.as_ref().map_or(0, |e| e.paths_per_variant);
        if per_variant == 0 || per_variant % h.chunk_paths != 0 {
            return Err(corrupt(
                path,
                "its experiment has no whole chunks per variant",
            ));
        }
        let want = crate::stats::shard::variant_pieces(
            h.first_path,
            h.end_path,
            per_variant,
            h.chunk_paths,
        );
        let have: Vec<(u64, u64, u64)> = body
            .parts
            .iter()
            .map(|p| (p.variant, p.first_chunk, p.end_chunk))
            .collect();
        let chunks_ok = body.parts.iter().all(|p| {
            let n = p.end_chunk - p.first_chunk;
            p.sections.len() as u64 == n
                && p.state.chunk_floats.len() as u64 == n
                && p.state.folded.paths == n * h.chunk_paths
        });
        if have != want || !chunks_ok {
            return Err(corrupt(
                path,
                format!(
                    "its parts {have:?} (variant, chunks) are not the chunks of paths {}..{}",
                    h.first_path, h.end_path
                ),
            ));
        }
        Ok(body)
    }
}
