//! A stable counting sort of values by a small integer id: how the fold batches
//! (`monthly_batch`, `scalar_batch`) gather the pending values of each histogram so that it is
//! recorded in one pass, its values still in the order they came (path order), which keeps
//! every floating-point sum over a group in the order a value-by-value fold adds it.

/// Values grouped by id, ascending. Reused: its buffers keep their capacity, so sorting a warm
/// batch again does not allocate.
#[derive(Debug, Default)]
pub struct ById {
    /// `ends[id]`: where group `id` ends in `sorted` (it starts where group `id - 1` ends).
    ends: Vec<u32>,
    sorted: Vec<f64>,
}

impl ById {
    /// Group `values` by `ids` (each below `total`; one id per value), stably.
    pub fn sort(&mut self, ids: &[u32], values: &[f64], total: usize) {
        debug_assert_eq!(ids.len(), values.len());
        // Counts, shifted by one, then their prefix sums: `ends[id]` is group id's start.
        self.ends.clear();
        self.ends.resize(total + 1, 0);
        for &id in ids {
            self.ends[id as usize + 1] += 1;
        }
        for i in 0..total {
            self.ends[i + 1] += self.ends[i];
        }
        self.sorted.clear();
        self.sorted.resize(values.len(), 0.0);
        // `ends[id]` is the cursor of group id; after the scatter it sits at the group's end.
        for (&id, &v) in ids.iter().zip(values) {
            let at = &mut self.ends[id as usize];
            self.sorted[*at as usize] = v;
            *at += 1;
        }
    }

    /// The values of group `id` of the last `sort`, in the order they were given.
    #[inline]
    pub fn group(&self, id: usize) -> &[f64] {
        let start = if id == 0 { 0 } else { self.ends[id - 1] };
        &self.sorted[start as usize..self.ends[id] as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::ById;

    #[test]
    fn groups_by_id_keeping_the_order_within_each_group() {
        let ids = [2, 0, 2, 3, 0, 2];
        let values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let mut g = ById::default();
        g.sort(&ids, &values, 5);
        assert_eq!(g.group(0), &[2.0, 5.0]);
        assert_eq!(g.group(1), &[] as &[f64]);
        assert_eq!(g.group(2), &[1.0, 3.0, 6.0]);
        assert_eq!(g.group(3), &[4.0]);
        assert_eq!(g.group(4), &[] as &[f64]);
        g.sort(&[1], &[7.0], 2);
        assert_eq!((g.group(0), g.group(1)), (&[] as &[f64], &[7.0][..]));
    }
}
