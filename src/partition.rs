//! Which part of a run a seeker belongs to: the stable partition function
//! behind `--shard I/N` and `indus merge` (and the one Python and Spark call),
//! and the ranges of seeker ids a `--memory-limit` run is split into.
//!
//! A seeker's records, previous findings, notice and decisions all go to
//! the partition of its `seeker_id`; every output row is a seeker's, so the
//! partitions' outputs merged in seeker order are the whole run's. The
//! function is XXH64 of the id's UTF-8 bytes with seed 42, taken modulo N
//! (non-negative): Spark's `pmod(xxhash64(seeker_id), N)`, so a cluster
//! buckets seekers exactly as indus does, on any machine, in any version.

use std::fmt;
use std::str::FromStr;

use xxhash_rust::xxh64::xxh64;

use crate::order::prefix_key;

/// Spark's seed for `xxhash64`.
const SEED: u64 = 42;

/// The partition (0 … n − 1) of a seeker among `n`.
pub fn partition_of(seeker_id: &str, n: u32) -> u32 {
    assert!(n > 0, "a run has at least one partition");
    (xxh64(seeker_id.as_bytes(), SEED) as i64).rem_euclid(i64::from(n)) as u32
}

/// The partition of a record by its `seeker_id`: a record whose seeker
/// cannot be read (an empty id) is partition 0's, so that it is rejected
/// exactly once.
pub fn partition_of_record(seeker_id: &str, n: u32) -> u32 {
    if seeker_id.is_empty() {
        0
    } else {
        partition_of(seeker_id, n)
    }
}

/// One shard of a run (`--shard I/N`): the seekers whose partition among N is I.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Whether the seeker is this shard's ([`partition_of_record`]).
    pub fn holds(&self, seeker_id: &str) -> bool {
        partition_of_record(seeker_id, self.count) == self.index
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("`{s}` is not a shard: write I/N, e.g. 0/4 for the first of four");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(format!("shard `{s}`: I must be one of 0 … N − 1, and N at least 1"));
        }
        Ok(Shard { index, count })
    }
}

/// A `--memory-limit` run's partitions: consecutive ranges of seeker ids,
/// in the order outputs are sorted in (byte order of the id), so that each
/// partition's rows follow the last one's and are written as they come.
/// The bounds only balance the partitions (they come from a sample of the
/// inputs); which seeker lands where never changes an output byte.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Ranges {
    /// Partition k holds the ids from `bounds[k - 1]` (included) to
    /// `bounds[k]` (excluded); sorted, maybe with repeats (then empty partitions).
    bounds: Vec<String>,
    /// Each bound's first 16 bytes as an integer ([`crate::order::prefix_key`]):
    /// every record is placed, and comparing strings was 8 % of the scatter.
    keys: Vec<u128>,
}

impl Ranges {
    /// `n` ranges holding about equal shares of `sample`: seeker ids, each
    /// standing for a weight (bytes of input).
    pub(crate) fn balanced(mut sample: Vec<(String, f64)>, n: u32) -> Ranges {
        sample.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let total: f64 = sample.iter().map(|s| s.1).sum();
        let mut bounds = Vec::with_capacity(n.saturating_sub(1) as usize);
        let mut seen = 0.0;
        let mut it = sample.iter().peekable();
        for k in 1..n {
            let share = total * f64::from(k) / f64::from(n);
            while let Some((_, w)) = it.peek() {
                if seen + w > share {
                    break;
                }
                seen += w;
                it.next();
            }
            // The first id past this share opens the next range.
            match it.peek().or(sample.last().as_ref()) {
                Some((id, _)) => bounds.push(id.clone()),
                None => bounds.push(String::new()),
            }
        }
        Ranges::new(bounds)
    }

    fn new(bounds: Vec<String>) -> Ranges {
        let keys = bounds.iter().map(|b| prefix_key(b)).collect();
        Ranges { bounds, keys }
    }

    /// How many partitions.
    pub(crate) fn count(&self) -> u32 {
        self.bounds.len() as u32 + 1
    }

    /// The partition of a record by its (trimmed) `seeker_id`: one whose
    /// seeker cannot be read (empty) is partition 0's, so that it is
    /// rejected exactly once.
    pub(crate) fn of_record(&self, seeker_id: &str) -> u32 {
        if seeker_id.is_empty() {
            return 0;
        }
        let key = prefix_key(seeker_id);
        // Keys in order, ties (ids alike in their first 16 bytes) by the whole id.
        let at = self.keys.partition_point(|&k| k < key);
        let ties = self.keys[at..].partition_point(|&k| k == key);
        (at + self.bounds[at..at + ties].partition_point(|b| b.as_str() <= seeker_id)) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ranges follow the ids' byte order (so partitions are written one
    /// after the other), share a weighted sample evenly, and put an
    /// unreadable seeker in partition 0.
    #[test]
    fn ranges_follow_the_output_order_and_share_the_sample() {
        let sample: Vec<(String, f64)> = (0..1000).rev().map(|i| (format!("S{i:04}"), 1.0)).collect();
        let r = Ranges::balanced(sample, 4);
        assert_eq!(r.bounds, ["S0250", "S0500", "S0750"]);
        assert_eq!(r.count(), 4);
        assert_eq!(r.of_record(""), 0);
        assert_eq!(r.of_record("S0249"), 0);
        assert_eq!(r.of_record("S0250"), 1);
        assert_eq!(r.of_record("S0999"), 3);
        // Ids not in the sample fall between in byte order ("S1" > "S0999", "A" < "S").
        assert_eq!(r.of_record("S1"), 3);
        assert_eq!(r.of_record("A"), 0);
        assert_eq!(r.of_record("S05"), 1);
        // Ids alike in their first 16 bytes are told apart by the rest.
        let long = |i: u32| format!("SEEKER-0000000000-{i:03}");
        let r = Ranges::balanced((0..100).map(|i| (long(i), 1.0)).collect(), 4);
        assert_eq!(r.bounds, [long(25), long(50), long(75)]);
        let placed: Vec<u32> = (0..100).map(|i| r.of_record(&long(i))).collect();
        let by_strings: Vec<u32> =
            (0..100).map(|i| r.bounds.partition_point(|b| b.as_str() <= long(i).as_str()) as u32).collect();
        assert_eq!(placed, by_strings);
        assert_eq!((r.of_record("SEEKER-0000000000"), r.of_record("SEEKER-0000000001")), (0, 3));
        // Weights, not counts: the heavy first id is a partition of its own.
        let mut w: Vec<(String, f64)> = vec![("A".into(), 30.0)];
        w.extend((0..30).map(|i| (format!("B{i:02}"), 1.0)));
        let r = Ranges::balanced(w, 2);
        assert_eq!(r.bounds, ["B00"]);
        // A sample of one id: empty partitions around it, every record placed.
        let r = Ranges::balanced(vec![("S1".into(), 1.0)], 3);
        assert_eq!(r.count(), 3);
        assert_eq!(r.of_record("S0"), 0);
        assert_eq!(r.of_record("S1"), 2);
        // No sample at all (empty inputs): still n partitions, all but the last empty.
        let r = Ranges::balanced(Vec::new(), 3);
        assert_eq!((r.count(), r.of_record("S1"), r.of_record("")), (3, 2, 0));
    }

    #[test]
    fn the_partition_is_pmod_of_xxhash64_with_seed_42() {
        // XXH64 reference vector: the empty input with seed 0.
        assert_eq!(xxh64(b"", 0), 0xEF46DB3751D8E999);
        // Worked out with Python's `xxhash` package (an independent
        // implementation): xxh64_intdigest(id, seed=42) as a signed 64-bit
        // integer, then Python's `%`, which is Spark's pmod.
        for (id, hash, of_4, of_7) in [
            ("S1", 0x0c5d91cb12eb7b44u64, 0, 2),
            ("S000001", 0x9fbc51e46d646362, 2, 4),
            ("SEEKER-42", 0x5cf1cd6ab880568c, 0, 1),
            ("é", 0x1ca8e0154f1c6bb4, 0, 1),
        ] {
            assert_eq!(xxh64(id.as_bytes(), SEED), hash, "{id}");
            assert_eq!(partition_of(id, 4), of_4, "{id} among 4");
            assert_eq!(partition_of(id, 7), of_7, "{id} among 7");
        }
    }

    #[test]
    fn shards_parse_and_refuse_what_is_not_one() {
        assert_eq!("1/4".parse::<Shard>(), Ok(Shard { index: 1, count: 4 }));
        assert!("4/4".parse::<Shard>().is_err());
        assert!("0/0".parse::<Shard>().is_err());
        assert!("a/4".parse::<Shard>().is_err());
        assert!("3".parse::<Shard>().is_err());
        assert!(Shard { index: 0, count: 4 }.holds(""));
        assert!(!Shard { index: 1, count: 4 }.holds(""));
    }
}
