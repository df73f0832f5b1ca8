//! Integer powers of a monthly growth factor, q^t, without recomputing the squarings each month.
//!
//! `f64::powi` with a run-time exponent compiles to a call of the `__powidf2` builtin, which
//! multiplies together the squarings q, q², q⁴, … selected by the bits of t, lowest bit first.
//! `Powers` keeps those squarings (computed once per path and cell, the same way) and does the
//! same multiplications in the same order, so `Powers::pow(t)` equals `q.powi(t)` to the bit;
//! the test below checks it against `powi` itself.

/// Squarings enough for every month index: t < 2^10 = 1024 > `model::compile::MAX_MONTHS`.
const BITS: usize = 10;

#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Powers {
    /// sq[b] = q^(2^b), by repeated squaring.
    sq: [f64; BITS],
}

impl Powers {
    pub fn new(q: f64) -> Self {
        let mut sq = [q; BITS];
        for b in 1..BITS {
            sq[b] = sq[b - 1] * sq[b - 1];
        }
        Powers { sq }
    }

    /// q^t for 0 <= t < 1024, equal to `q.powi(t as i32)`.
    #[inline]
    pub fn pow(&self, t: usize) -> f64 {
        debug_assert!(t < 1 << BITS);
        let mut r = 1.0;
        let (mut bits, mut b) = (t, 0);
        while bits != 0 {
            if bits & 1 != 0 {
                r *= self.sq[b];
            }
            bits >>= 1;
            b += 1;
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equals_powi_to_the_bit() {
        let mut q = 0.9;
        while q < 1.2 {
            // Monthly factors of annual growth rates, and some awkward ones.
            for base in [q, (1.0f64 + (q - 1.0)).powf(1.0 / 12.0), q * 1.000_000_1] {
                let p = Powers::new(base);
                for t in 0..1024usize {
                    assert_eq!(
                        p.pow(t).to_bits(),
                        base.powi(t as i32).to_bits(),
                        "{base}^{t}"
                    );
                }
            }
            q += 0.0137;
        }
    }
}
