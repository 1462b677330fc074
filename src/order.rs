//! Putting records in seeker order without comparing strings over and over.
//!
//! A shuffled month's records are sorted by (seeker, id). Sorting the
//! records themselves compared ids through two strings each time and moved
//! 150-byte records log n times each. Here each record is reduced to an
//! integer key (the first 16 bytes of its seeker id, in an order that agrees
//! with the ids'), the keys are sorted with their record's index, ties are
//! settled by the full comparison, and each record is then moved once.

use rayon::prelude::*;

/// Sorts `v` by the ids `ids` gives (seeker first), as a comparison sort
/// would; records are moved once. Input already in order is left as it is
/// (back-office exports usually are).
pub(crate) fn sort_by_ids<T: Send + Sync>(v: &mut Vec<T>, ids: impl Fn(&T) -> (&str, &str) + Sync) {
    if v.par_windows(2).all(|w| ids(&w[0]) <= ids(&w[1])) {
        return;
    }
    let Ok(len) = u32::try_from(v.len()) else {
        // Four billion records are not held in memory; compare all the same.
        v.par_sort_unstable_by(|a, b| ids(a).cmp(&ids(b)));
        return;
    };
    if v.par_iter().all(|r| ids(r).0.len() <= SHORT_ID) {
        sort_short(v, len, ids);
        return;
    }
    let mut keys: Vec<(u128, u32)> = (v.par_iter().zip(0..len)).map(|(r, i)| (prefix_key(ids(r).0), i)).collect();
    {
        // Equal keys: one seeker's records, or ids alike in their first 16 bytes.
        let records: &[T] = v;
        keys.par_sort_unstable_by(|a, b| {
            a.0.cmp(&b.0).then_with(|| ids(&records[a.1 as usize]).cmp(&ids(&records[b.1 as usize])))
        });
    }
    permute(v, keys.iter().map(|&(_, i)| i));
}

/// The longest seeker id [`sort_short`] takes: its key's last 4 bytes are
/// then zeros, room for the record's index.
const SHORT_ID: usize = 12;

/// [`sort_by_ids`] when every seeker id has at most [`SHORT_ID`] bytes
/// (the generated months' have 9): each record's key and index in one `u128`,
/// sorted as integers (half the memory of a (key, index) pair, no closure
/// to call), then each seeker's records by their own id.
fn sort_short<T: Send + Sync>(v: &mut Vec<T>, len: u32, ids: impl Fn(&T) -> (&str, &str) + Sync) {
    let mut keys: Vec<u128> = (v.par_iter().zip(0..len)).map(|(r, i)| prefix_key(ids(r).0) | u128::from(i)).collect();
    keys.par_sort_unstable();
    // Equal keys are one seeker's records (its whole id is in the key).
    let records: &[T] = v;
    let at = |k: &u128| &records[*k as u32 as usize];
    keys.par_chunk_by_mut(|a, b| a >> 32 == b >> 32).for_each(|one_seeker| {
        if one_seeker.len() > 1 {
            one_seeker.sort_unstable_by(|a, b| ids(at(a)).cmp(&ids(at(b))));
        }
    });
    permute(v, keys.iter().map(|&k| k as u32));
}

/// The first 16 bytes of `s`, big-endian, zero-padded: `a < b` as strings
/// implies `prefix_key(a) <= prefix_key(b)`, so sorting by the key then by
/// the string is sorting by the string.
pub(crate) fn prefix_key(s: &str) -> u128 {
    let b = s.as_bytes();
    let mut buf = [0u8; 16];
    let n = b.len().min(16);
    buf[..n].copy_from_slice(&b[..n]);
    u128::from_be_bytes(buf)
}

/// Reorders `v` so that its `j`-th record is the one that was at the `j`-th
/// index of `order`, a permutation of `0..v.len()`.
fn permute<T: Send + Sync>(v: &mut Vec<T>, order: impl ExactSizeIterator<Item = u32>) {
    assert_eq!(order.len(), v.len(), "a permutation of the records");
    // Where each record goes: records are then read in their order and
    // written out of it (a write does not wait on memory; a read does).
    let mut rank = vec![u32::MAX; v.len()];
    for (j, i) in order.enumerate() {
        let slot = &mut rank[i as usize];
        assert_eq!(*slot, u32::MAX, "record {i} placed twice");
        *slot = j as u32;
    }
    let n = v.len();
    let mut out: Vec<T> = Vec::with_capacity(n);
    let (src, dst) = (v.as_ptr() as usize, out.as_mut_ptr() as usize);
    const CHUNK: usize = 1 << 14;
    rank.par_chunks(CHUNK).enumerate().for_each(|(c, ranks)| {
        for (k, &r) in ranks.iter().enumerate() {
            // SAFETY: `rank` is a permutation of 0..n (checked above), so
            // every slot of `out` is written exactly once, from a distinct
            // record of `v`, both within their allocations.
            unsafe {
                std::ptr::copy_nonoverlapping((src as *const T).add(c * CHUNK + k), (dst as *mut T).add(r as usize), 1);
            }
        }
    });
    // SAFETY: every slot of `out` now holds a record moved out of `v`,
    // whose own slots must not be dropped again.
    unsafe {
        out.set_len(n);
        v.set_len(0);
    }
    *v = out;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::rng::Rng;

    /// Records of seekers with ids long, short, alike in their first 16
    /// bytes, empty and repeated end up as a comparison sort puts them.
    #[test]
    fn records_sort_as_by_comparison() {
        let mut rng = Rng::new(11, 0, 0);
        // With long ids among them, and with short ones only (`sort_short`).
        for (n, kinds) in [(0usize, 4), (1, 4), (2, 4), (17, 4), (5_000, 4), (1, 3), (17, 3), (5_000, 3)] {
            let rows: Vec<(String, String, usize)> = (0..n)
                .map(|i| {
                    let seeker = match rng.below(kinds) {
                        3 => format!("SEEKER-WITH-A-LONG-ID-{}", rng.below(50)),
                        0 => format!("S{:08}", rng.below(300)),
                        1 => String::new(),
                        _ => format!("S{}", rng.below(40)),
                    };
                    (seeker, format!("R{}", rng.below(1_000)), i)
                })
                .collect();
            let mut expected = rows.clone();
            expected.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
            let mut got = rows;
            sort_by_ids(&mut got, |r| (&r.0, &r.1));
            let key = |v: &[(String, String, usize)]| v.iter().map(|r| (r.0.clone(), r.1.clone())).collect::<Vec<_>>();
            assert_eq!(key(&got), key(&expected), "{n} records");
            let mut seen: Vec<usize> = got.iter().map(|r| r.2).collect();
            seen.sort_unstable();
            assert_eq!(seen, (0..n).collect::<Vec<_>>(), "every record once");
        }
    }
}
