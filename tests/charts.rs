//! Charts from real (small) runs: every file is written, PNGs decode to 1600×900 images that
//! are not blank, SVGs carry their titles, and a run without shortfall says so instead of
//! drawing empty axes.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use shortfall::compile;
use shortfall::{finish, Summary};
use shortfall::{load, load_str};
use shortfall::{run, RunConfig};
use shortfall::{write_charts, ChartMeta};

fn simulate(loaded: &shortfall::LoadedScenario, paths: u64, seed: u64) -> Summary {
    let m = compile(loaded).unwrap_or_else(|e| panic!("{e}"));
    let cfg = RunConfig {
        seed,
        paths,
        threads: 2,
        target_se: None,
        max_paths: paths,
    };
    let out = run(&m, &cfg, &AtomicBool::new(false), |_, _| {}).unwrap();
    finish(&out.plan.layout, &out.acc)
}

fn meta(scenario: &str, paths: u64, seed: u64) -> ChartMeta {
    ChartMeta {
        scenario: scenario.into(),
        paths,
        seed,
        data: Some("USGS Mineral Commodity Summaries 2026 (Feb 2026)".into()),
    }
}

fn stem(p: &Path) -> String {
    p.file_stem().unwrap().to_string_lossy().into_owned()
}

/// A world where nothing goes wrong: one material, two suppliers, no disruptions.
const CALM: &str = r#"Scenario(
    version: 1,
    horizon: (start: "2026-01", months: 24),
    materials: { "x": (stages: { "processing": () },
                       price: (base_usd_per_t: 1000, demand_elasticity: 0, scarcity_sensitivity: 2)) },
    countries: {
        "A": (capacity: { "x": { "processing": (tonnes_per_year: 720, utilisation: 1.0) } }),
        "B": (capacity: { "x": { "processing": (tonnes_per_year: 480, utilisation: 1.0) } }),
    },
    blocs: {
        "EU": (demand: { "x": (tonnes_per_year: 1200) },
               sourcing: { "x": { "processing": { "A": 0.6, "B": 0.4 } } }),
    },
    disruptions: [],
)"#;

#[test]
fn every_chart_of_a_real_run_is_a_readable_png_and_svg() {
    let loaded = load("builtin:eu-2030").unwrap_or_else(|e| panic!("{e}"));
    let summary = simulate(&loaded, 400, 11);
    let dir = tempfile::tempdir().unwrap();
    let files = write_charts(&summary, &meta("eu-2030", 400, 11), dir.path()).unwrap();

    // Every chart comes as a PNG/SVG pair, in charts/, and nothing else is left there.
    assert!(files.len() >= 10, "{files:?}");
    assert_eq!(files.len() % 2, 0, "{files:?}");
    for pair in files.chunks(2) {
        assert_eq!(pair[0].extension().unwrap(), "png", "{pair:?}");
        assert_eq!(pair[1].extension().unwrap(), "svg", "{pair:?}");
        assert_eq!(stem(&pair[0]), stem(&pair[1]));
    }
    let charts = dir.path().join("charts");
    let mut on_disk: Vec<PathBuf> = std::fs::read_dir(&charts)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    on_disk.sort();
    let mut returned = files.clone();
    returned.sort();
    assert_eq!(on_disk, returned, "no temporary or unlisted files");

    // The headline bloc comes first; each kind of chart is there.
    let stems: Vec<String> = files.iter().map(|f| stem(f)).collect();
    assert_eq!(stems[0], "p-over-10pct-eu");
    assert_eq!(
        stems[2], "import-gap-vs-shortfall-eu",
        "right after the headline bars"
    );
    for wanted in [
        "exceedance-eu",
        "fan-shortfall-eu",
        "distribution-eu",
        "distribution-eu-rare-earths",
        "fan-price-ratio",
        "p-over-10pct-us",
        "exceedance-rest-of-world",
    ] {
        assert!(
            stems.iter().any(|s| s == wanted),
            "{wanted} missing: {stems:?}"
        );
    }

    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        match f.extension().unwrap().to_str().unwrap() {
            "png" => {
                let img = png::decode(&bytes).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
                assert_eq!((img.width, img.height), (1600, 900), "{}", f.display());
                let colours = img.distinct_colours(64);
                assert!(colours > 8, "{}: only {colours} colours", f.display());
                // The title (dark text) sits in the top band; the source line in the bottom one.
                assert!(img.dark_pixels(0..80) > 500, "{}: no title", f.display());
                assert!(
                    img.dark_pixels(834..860) > 100 && img.dark_pixels(860..900) > 100,
                    "{}: no source line",
                    f.display()
                );
            }
            "svg" => {
                let text = String::from_utf8(bytes).unwrap();
                assert!(text.contains("<svg"), "{}", f.display());
                // Source (what the figure is and rests on), then what replays the run.
                assert!(
                    text.contains("Source: shortfall model output, not a forecast · scenario eu-2030 · data: USGS Mineral Commodity Summaries 2026 (Feb 2026)"),
                    "{}: no source line",
                    f.display()
                );
                assert!(text.contains("· 400 paths · seed 11"), "{}", f.display());
            }
            other => panic!("unexpected file type {other}"),
        }
    }

    let svg = |name: &str| std::fs::read_to_string(charts.join(name)).unwrap();
    assert!(svg("p-over-10pct-eu.svg").contains("EU: P(worst-year consumption shortfall"));
    assert!(svg("exceedance-eu.svg")
        .contains("EU: how likely is a worst-year consumption shortfall above x?"));
    assert!(svg("fan-shortfall-eu.svg").contains("EU: monthly consumption shortfall over time"));
    // Both quantities, each named, in one chart.
    let gap = svg("import-gap-vs-shortfall-eu.svg");
    assert!(gap.contains("EU: import gap vs consumption shortfall, worst year"));
    assert!(gap.contains("import gap (before buffers)"));
    assert!(gap.contains("consumption shortfall (after buffers)"));
    assert!(svg("distribution-eu-rare-earths.svg")
        .contains("EU · rare earths: how bad is the worst year?"));
    // Month ticks are YYYY-MM; percent ticks carry a % sign.
    assert!(svg("fan-shortfall-eu.svg").contains("2027-01"));
    assert!(svg("exceedance-eu.svg").contains("10%"));
}

#[test]
fn a_run_without_shortfall_says_so_instead_of_drawing_empty_axes() {
    let loaded = load_str("calm.ron", CALM).unwrap_or_else(|e| panic!("{e}"));
    let summary = simulate(&loaded, 300, 3);
    assert_eq!(summary.cells[0].probability_any_shortfall.p, 0.0);
    let dir = tempfile::tempdir().unwrap();
    let files = write_charts(&summary, &meta("calm", 300, 3), dir.path()).unwrap();
    let svgs: Vec<&PathBuf> = files
        .iter()
        .filter(|f| f.extension().unwrap() == "svg")
        .collect();
    assert!(svgs.len() >= 4, "{files:?}");
    for f in &svgs {
        let text = std::fs::read_to_string(f).unwrap();
        if stem(f) != "fan-price-ratio" {
            assert!(
                text.contains("No consumption shortfall")
                    || text.contains("No import gap and no consumption shortfall")
                    || text.contains("No price moved"),
                "{} draws no note",
                f.display()
            );
        }
    }
    for f in files.iter().filter(|f| f.extension().unwrap() == "png") {
        let img = png::decode(&std::fs::read(f).unwrap()).unwrap();
        assert_eq!((img.width, img.height), (1600, 900));
        // The note box is drawn in the middle of the chart.
        assert!(
            img.dark_pixels(380..560) > 500,
            "{}: empty middle",
            f.display()
        );
    }
}

/// A minimal PNG reader (8-bit RGB/RGBA, not interlaced, as plotters writes them) so the test
/// can look at pixels without another dependency: zlib inflate (RFC 1950/1951) and the five
/// scanline filters (PNG spec §9).
mod png {
    pub struct Image {
        pub width: usize,
        pub height: usize,
        channels: usize,
        pixels: Vec<u8>,
    }

    impl Image {
        fn px(&self, x: usize, y: usize) -> [u8; 3] {
            let i = (y * self.width + x) * self.channels;
            [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]]
        }

        /// Distinct colours seen, counting up to `cap`.
        pub fn distinct_colours(&self, cap: usize) -> usize {
            let mut seen = std::collections::HashSet::new();
            for y in 0..self.height {
                for x in 0..self.width {
                    seen.insert(self.px(x, y));
                    if seen.len() >= cap {
                        return cap;
                    }
                }
            }
            seen.len()
        }

        /// Pixels darker than mid-grey in the given rows.
        pub fn dark_pixels(&self, rows: std::ops::Range<usize>) -> usize {
            rows.flat_map(|y| (0..self.width).map(move |x| (x, y)))
                .filter(|&(x, y)| {
                    let [r, g, b] = self.px(x, y);
                    (r as u32 + g as u32 + b as u32) < 3 * 110
                })
                .count()
        }
    }

    pub fn decode(bytes: &[u8]) -> Result<Image, String> {
        const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        if bytes.len() < 8 || bytes[..8] != SIGNATURE {
            return Err("not a PNG signature".into());
        }
        let mut pos = 8;
        let (mut width, mut height, mut channels) = (0usize, 0usize, 0usize);
        let mut idat = Vec::new();
        while pos + 8 <= bytes.len() {
            let len = u32::from_be_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
            let kind = &bytes[pos + 4..pos + 8];
            let data = bytes.get(pos + 8..pos + 8 + len).ok_or("truncated chunk")?;
            match kind {
                b"IHDR" => {
                    width = u32::from_be_bytes(data[0..4].try_into().unwrap()) as usize;
                    height = u32::from_be_bytes(data[4..8].try_into().unwrap()) as usize;
                    let (depth, colour, interlace) = (data[8], data[9], data[12]);
                    channels = match colour {
                        2 => 3,
                        6 => 4,
                        c => return Err(format!("colour type {c} not supported")),
                    };
                    if depth != 8 || interlace != 0 {
                        return Err("only 8-bit, non-interlaced PNGs".into());
                    }
                }
                b"IDAT" => idat.extend_from_slice(data),
                b"IEND" => break,
                _ => {}
            }
            pos += 12 + len;
        }
        if width == 0 || height == 0 {
            return Err("no IHDR".into());
        }
        let raw = inflate(idat.get(2..).ok_or("empty IDAT")?)?;
        let stride = width * channels;
        if raw.len() < height * (stride + 1) {
            return Err(format!(
                "{} bytes of pixels, expected {}",
                raw.len(),
                height * (stride + 1)
            ));
        }
        let mut pixels = vec![0u8; height * stride];
        for y in 0..height {
            let filter = raw[y * (stride + 1)];
            let line = &raw[y * (stride + 1) + 1..(y + 1) * (stride + 1)];
            for i in 0..stride {
                let a = if i >= channels {
                    pixels[y * stride + i - channels] as i32
                } else {
                    0
                };
                let b = if y > 0 {
                    pixels[(y - 1) * stride + i] as i32
                } else {
                    0
                };
                let c = if y > 0 && i >= channels {
                    pixels[(y - 1) * stride + i - channels] as i32
                } else {
                    0
                };
                let predictor = match filter {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => {
                        let p = a + b - c;
                        let (pa, pb, pc) = ((p - a).abs(), (p - b).abs(), (p - c).abs());
                        if pa <= pb && pa <= pc {
                            a
                        } else if pb <= pc {
                            b
                        } else {
                            c
                        }
                    }
                    f => return Err(format!("bad filter {f}")),
                };
                pixels[y * stride + i] = (line[i] as i32 + predictor) as u8;
            }
        }
        Ok(Image {
            width,
            height,
            channels,
            pixels,
        })
    }

    struct Bits<'a> {
        data: &'a [u8],
        pos: usize,
        bit: u32,
    }

    impl Bits<'_> {
        fn get(&mut self, n: u32) -> Result<u32, String> {
            let mut v = 0;
            for i in 0..n {
                let byte = *self.data.get(self.pos).ok_or("deflate stream ends early")?;
                v |= (((byte >> self.bit) & 1) as u32) << i;
                self.bit += 1;
                if self.bit == 8 {
                    self.bit = 0;
                    self.pos += 1;
                }
            }
            Ok(v)
        }
    }

    /// Canonical Huffman code: symbol lists by code length.
    struct Huffman {
        counts: [u16; 16],
        symbols: Vec<u16>,
    }

    impl Huffman {
        fn new(lengths: &[u8]) -> Huffman {
            let mut counts = [0u16; 16];
            for &l in lengths {
                counts[l as usize] += 1;
            }
            counts[0] = 0;
            let mut offs = [0u16; 16];
            for i in 1..16 {
                offs[i] = offs[i - 1] + counts[i - 1];
            }
            let mut symbols = vec![0u16; lengths.len()];
            for (s, &l) in lengths.iter().enumerate() {
                if l != 0 {
                    symbols[offs[l as usize] as usize] = s as u16;
                    offs[l as usize] += 1;
                }
            }
            Huffman { counts, symbols }
        }

        fn decode(&self, bits: &mut Bits) -> Result<u16, String> {
            let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
            for len in 1..16 {
                code |= bits.get(1)? as i32;
                let count = self.counts[len] as i32;
                if code - count < first {
                    return Ok(self.symbols[(index + code - first) as usize]);
                }
                index += count;
                first = (first + count) << 1;
                code <<= 1;
            }
            Err("bad Huffman code".into())
        }
    }

    const LEN_BASE: [u16; 29] = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
        131, 163, 195, 227, 258,
    ];
    const LEN_EXTRA: [u8; 29] = [
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
    ];
    const DIST_BASE: [u16; 30] = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
        2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
    ];
    const DIST_EXTRA: [u8; 30] = [
        0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12,
        13, 13,
    ];

    fn inflate(data: &[u8]) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        let mut bits = Bits {
            data,
            pos: 0,
            bit: 0,
        };
        loop {
            let last = bits.get(1)?;
            match bits.get(2)? {
                0 => {
                    if bits.bit != 0 {
                        bits.bit = 0;
                        bits.pos += 1;
                    }
                    let p = bits.pos;
                    let len = u16::from_le_bytes([data[p], data[p + 1]]) as usize;
                    out.extend_from_slice(data.get(p + 4..p + 4 + len).ok_or("stored block")?);
                    bits.pos = p + 4 + len;
                }
                kind @ (1 | 2) => {
                    let (lit, dist) = if kind == 1 {
                        let mut l = [8u8; 288];
                        l[144..256].fill(9);
                        l[256..280].fill(7);
                        (Huffman::new(&l), Huffman::new(&[5u8; 30]))
                    } else {
                        dynamic_tables(&mut bits)?
                    };
                    loop {
                        let sym = lit.decode(&mut bits)? as usize;
                        if sym < 256 {
                            out.push(sym as u8);
                        } else if sym == 256 {
                            break;
                        } else {
                            let s = sym - 257;
                            let len =
                                LEN_BASE[s] as usize + bits.get(LEN_EXTRA[s] as u32)? as usize;
                            let d = dist.decode(&mut bits)? as usize;
                            let back =
                                DIST_BASE[d] as usize + bits.get(DIST_EXTRA[d] as u32)? as usize;
                            if back > out.len() {
                                return Err("distance too far back".into());
                            }
                            let start = out.len() - back;
                            for k in 0..len {
                                out.push(out[start + k]);
                            }
                        }
                    }
                }
                _ => return Err("reserved block type".into()),
            }
            if last == 1 {
                return Ok(out);
            }
        }
    }

    fn dynamic_tables(bits: &mut Bits) -> Result<(Huffman, Huffman), String> {
        const ORDER: [usize; 19] = [
            16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
        ];
        let hlit = bits.get(5)? as usize + 257;
        let hdist = bits.get(5)? as usize + 1;
        let hclen = bits.get(4)? as usize + 4;
        let mut cl = [0u8; 19];
        for &i in ORDER.iter().take(hclen) {
            cl[i] = bits.get(3)? as u8;
        }
        let code = Huffman::new(&cl);
        let mut lengths = Vec::with_capacity(hlit + hdist);
        while lengths.len() < hlit + hdist {
            match code.decode(bits)? {
                s @ 0..=15 => lengths.push(s as u8),
                16 => {
                    let prev = *lengths.last().ok_or("repeat with no previous length")?;
                    for _ in 0..3 + bits.get(2)? {
                        lengths.push(prev);
                    }
                }
                17 => lengths.extend(std::iter::repeat_n(0, 3 + bits.get(3)? as usize)),
                _ => lengths.extend(std::iter::repeat_n(0, 11 + bits.get(7)? as usize)),
            }
        }
        Ok((
            Huffman::new(&lengths[..hlit]),
            Huffman::new(&lengths[hlit..hlit + hdist]),
        ))
    }
}
