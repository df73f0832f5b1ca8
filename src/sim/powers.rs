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

    /// q^t for 0 <= t < 1024, equal to `q.powi(t as i32)` (the kernel reads `table_into`).
    #[cfg(test)]
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

    /// q^t for every month t < `months` into `out` (cleared first), each equal to `pow(t)` to
    /// the bit, at one multiplication a month: `pow` multiplies the squarings of t's bits lowest
    /// first, so pow(t) = pow(t − 2^h) · q^(2^h) for the highest bit h of t, the same products
    /// in the same order (and pow(2^h) = 1 · q^(2^h) = q^(2^h) exactly). The months with highest
    /// bit h, [2^h, 2^(h+1)), are the months [0, 2^h) times q^(2^h): one block per bit, a loop
    /// the compiler vectorises.
    pub fn table_into(&self, months: usize, out: &mut Vec<f64>) {
        debug_assert!(months <= 1 << BITS);
        out.clear();
        out.resize(months, 1.0);
        let mut done = 1; // out[..done] holds q^t; out[0] = q^0 = 1.
        for &square in &self.sq {
            if done >= months {
                break;
            }
            let (lower, upper) = out.split_at_mut(done);
            let block = &mut upper[..done.min(months - done)];
            for (v, &low) in block.iter_mut().zip(lower.iter()) {
                *v = low * square;
            }
            done *= 2;
        }
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

    #[test]
    fn table_equals_powi_to_the_bit() {
        let mut table = Vec::new();
        let mut q = 0.9;
        while q < 1.2 {
            for base in [q, (1.0f64 + (q - 1.0)).powf(1.0 / 12.0), q * 1.000_000_1] {
                Powers::new(base).table_into(1024, &mut table);
                assert_eq!(table.len(), 1024);
                for (t, v) in table.iter().enumerate() {
                    assert_eq!(v.to_bits(), base.powi(t as i32).to_bits(), "{base}^{t}");
                }
            }
            q += 0.0137;
        }
    }
}
