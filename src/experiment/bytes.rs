//! Exact byte packing for records kept in memory (`reuse`): unsigned integers as LEB128 varints
//! (one byte below 128), floating-point numbers as their 8 raw bytes, so every value reads back
//! to the bit (f32 or any rounding would not).

/// Appends values to a byte buffer.
pub(crate) struct Writer(pub Vec<u8>);

impl Writer {
    pub fn var(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    pub fn f64(&mut self, v: f64) {
        self.0.extend_from_slice(&v.to_bits().to_le_bytes());
    }
}

/// Reads back what a `Writer` wrote, in the same order. The bytes are the program's own (never
/// read from outside), so running past the end is a bug and panics.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, at: 0 }
    }

    pub fn var(&mut self) -> u64 {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let b = self.bytes[self.at];
            self.at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return v;
            }
            shift += 7;
        }
    }

    pub fn u32(&mut self) -> u32 {
        self.var() as u32
    }

    pub fn f64(&mut self) -> f64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.bytes[self.at..self.at + 8]);
        self.at += 8;
        f64::from_bits(u64::from_le_bytes(b))
    }
}

#[cfg(test)]
mod tests {
    use super::{Reader, Writer};

    #[test]
    fn values_read_back_to_the_bit() {
        let ints = [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX];
        let floats = [0.0, -0.0, 1e-300, 0.1, f64::MAX, f64::NAN, -3.5];
        let mut w = Writer(Vec::new());
        for (&i, &f) in ints.iter().zip(&floats) {
            w.var(i);
            w.f64(f);
        }
        assert_eq!(w.0.len(), 1 + 1 + 1 + 2 + 2 + 5 + 10 + 7 * 8);
        let mut r = Reader::new(&w.0);
        for (&i, &f) in ints.iter().zip(&floats) {
            assert_eq!(r.var(), i);
            assert_eq!(r.f64().to_bits(), f.to_bits());
        }
    }
}
