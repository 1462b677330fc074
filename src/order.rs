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
    permute(v, &keys.par_iter().map(|&(_, i)| i).collect::<Vec<u32>>());
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
    permute(v, &keys.par_iter().map(|&k| k as u32).collect::<Vec<u32>>());
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

/// Reorders `v` so that its `j`-th record is the one that was at
/// `order[j]`, `order` being a permutation of `0..v.len()`.
fn permute<T: Send + Sync>(v: &mut Vec<T>, order: &[u32]) {
    let n = v.len();
    assert_eq!(order.len(), n, "a permutation of the records");
    let mut taken = vec![false; n];
    for &i in order {
        assert!(!std::mem::replace(&mut taken[i as usize], true), "record {i} placed twice");
    }
    // Each record is read from its place and written in order: the writes
    // run ahead in a stream, and the reads, announced a few records ahead,
    // wait on memory side by side. Writing each record to its random place
    // instead (reading in order) made sorting the shuffled 1M month's four
    // lists 5 % slower (365 against 347 ms, medians of 10 runs each).
    let mut out: Vec<T> = Vec::with_capacity(n);
    let src = v.as_ptr() as usize;
    const CHUNK: usize = 1 << 14;
    const AHEAD: usize = 8;
    let slots = &mut out.spare_capacity_mut()[..n];
    slots.par_chunks_mut(CHUNK).zip(order.par_chunks(CHUNK)).for_each(|(slots, from)| {
        for (k, (slot, &i)) in slots.iter_mut().zip(from).enumerate() {
            if let Some(&next) = from.get(k + AHEAD) {
                prefetch((src as *const T).wrapping_add(next as usize));
            }
            // SAFETY: `order` is a permutation of 0..n (checked above), so
            // every record of `v` is read exactly once, into a distinct
            // slot of `out`, both within their allocations.
            unsafe { std::ptr::copy_nonoverlapping((src as *const T).add(i as usize), slot.as_mut_ptr(), 1) };
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

/// Asks for the cache lines of `*p` ahead of reading it (a hint: no
/// memory is read, whatever `p` is).
fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let (first, last) = (p as usize & !63, (p as usize + std::mem::size_of::<T>().max(1) - 1) & !63);
        for line in (first..=last).step_by(64) {
            // SAFETY: a prefetch is only a hint; it never faults.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(line as *const i8) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
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

    /// The records are moved out by raw reads: an order naming a record
    /// twice would drop it twice (and leak another), so it is refused
    /// before anything is moved.
    #[test]
    #[should_panic(expected = "record 1 placed twice")]
    fn an_order_naming_a_record_twice_is_refused() {
        let mut v: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        permute(&mut v, &[1, 0, 1]);
    }

    /// An order of the wrong length is refused too.
    #[test]
    #[should_panic(expected = "a permutation of the records")]
    fn an_order_of_another_length_is_refused() {
        let mut v: Vec<String> = ["a", "b"].iter().map(|s| s.to_string()).collect();
        permute(&mut v, &[0]);
    }
}
