//! `[stage][supplier]` month arrays held in one buffer, for the arrays reset whole after a
//! solved month (`calendar::end_month`) or in a calm one (`calendar::next_step`): one fill of
//! the buffer instead of a fill, a call to `memset`, for each stage's row. A stage's row is
//! still a slice of its own (`rows[si]`).

use std::ops::{Index, IndexMut};

/// Rows of varying lengths in one buffer: row `r` is `data[starts[r]..starts[r + 1]]`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Rows<T> {
    data: Vec<T>,
    /// Where each row starts, and where the last one ends (one more entry than rows).
    starts: Vec<usize>,
}

impl<T> Default for Rows<T> {
    fn default() -> Self {
        Rows {
            data: Vec::new(),
            starts: vec![0],
        }
    }
}

impl<T: Copy> Rows<T> {
    /// Rows of lengths `sizes`, every entry `fill`. Keeps the buffers' capacity, so reshaping
    /// to a shape no larger than one held before does not allocate.
    pub fn reshape(&mut self, sizes: impl Iterator<Item = usize>, fill: T) {
        self.starts.clear();
        self.starts.push(0);
        let mut end = 0;
        for n in sizes {
            end += n;
            self.starts.push(end);
        }
        self.data.clear();
        self.data.resize(end, fill);
    }

    /// `reshape`, skipped when the rows already have lengths `sizes`: only for arrays that hold
    /// `fill` everywhere between solved months (`calendar::end_month` resets them).
    pub fn reuse(&mut self, sizes: impl ExactSizeIterator<Item = usize> + Clone, fill: T) {
        let same_shape = self.starts.len() == sizes.len() + 1
            && self
                .starts
                .windows(2)
                .zip(sizes.clone())
                .all(|(w, n)| w[1] - w[0] == n);
        if !same_shape {
            self.reshape(sizes, fill);
        }
    }

    /// Every entry of every row `v`.
    #[inline]
    pub fn fill(&mut self, v: T) {
        self.data.fill(v);
    }
}

impl<T> Index<usize> for Rows<T> {
    type Output = [T];
    #[inline]
    fn index(&self, row: usize) -> &[T] {
        &self.data[self.starts[row]..self.starts[row + 1]]
    }
}

impl<T> IndexMut<usize> for Rows<T> {
    #[inline]
    fn index_mut(&mut self, row: usize) -> &mut [T] {
        &mut self.data[self.starts[row]..self.starts[row + 1]]
    }
}

#[cfg(test)]
mod tests {
    use super::Rows;

    #[test]
    fn rows_of_their_lengths_filled_and_reset_whole() {
        let mut rows = Rows::default();
        rows.reshape([2, 0, 3].into_iter(), 1.0);
        assert_eq!(
            (&rows[0], &rows[1], &rows[2]),
            (&[1.0; 2][..], &[][..], &[1.0; 3][..])
        );
        rows[2][1] = 5.0;
        rows[0][0] = 4.0;
        assert_eq!(
            (&rows[0], &rows[2]),
            (&[4.0, 1.0][..], &[1.0, 5.0, 1.0][..])
        );
        // The same shape is kept as it is; another is refilled.
        rows.reuse([2, 0, 3].into_iter(), 0.0);
        assert_eq!(rows[2][1], 5.0);
        rows.reuse([3, 0, 2].into_iter(), 0.0);
        assert_eq!((&rows[0], &rows[2]), (&[0.0; 3][..], &[0.0; 2][..]));
        rows[0][2] = 5.0;
        rows.reuse([2, 3].into_iter(), 0.0);
        assert_eq!((&rows[0], &rows[1]), (&[0.0; 2][..], &[0.0; 3][..]));
        rows.fill(7.0);
        assert_eq!((&rows[0], &rows[1]), (&[7.0; 2][..], &[7.0; 3][..]));
    }

    #[test]
    #[should_panic]
    fn a_row_past_the_last_is_out_of_bounds() {
        let mut rows = Rows::default();
        rows.reshape([2].into_iter(), 0u32);
        let _ = &rows[1];
    }
}
