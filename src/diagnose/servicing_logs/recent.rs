//! The open sessions and operations of one TrustedInstaller lifetime: found by name in constant
//! time, kept in the order they began, at most `cap` of them (the oldest goes first). A log with
//! tens of thousands of sessions in one lifetime reads in linear time and bounded memory.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

pub struct Recent<T, const CAP: usize> {
    /// One copy of each name, shared by both maps.
    by_name: HashMap<Rc<str>, u64>,
    items: BTreeMap<u64, (Rc<str>, T)>,
    next: u64,
    /// The item asked for last: the lines of a session come together, so most lookups are
    /// a comparison, not a hash.
    last: Option<(Rc<str>, u64)>,
}

impl<T, const CAP: usize> Default for Recent<T, CAP> {
    fn default() -> Self {
        Recent {
            by_name: HashMap::new(),
            items: BTreeMap::new(),
            next: 0,
            last: None,
        }
    }
}

impl<T, const CAP: usize> Recent<T, CAP> {
    fn find(&self, name: &str) -> Option<u64> {
        match &self.last {
            Some((last, at)) if **last == *name && self.items.contains_key(at) => Some(*at),
            _ => self.by_name.get(name).copied(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&T> {
        let at = self.find(name)?;
        self.items.get(&at).map(|(_, v)| v)
    }

    /// The item named `name`, begun with `make` when there is none; with the oldest item let
    /// go to make room, if one was.
    pub fn get_or_insert(&mut self, name: &str, make: impl FnOnce() -> T) -> (&mut T, Option<T>) {
        let mut evicted = None;
        let at = match self.find(name) {
            Some(at) => at,
            None => {
                if self.items.len() >= CAP {
                    if let Some((_, (old, value))) = self.items.pop_first() {
                        self.by_name.remove(&old);
                        evicted = Some(value);
                    }
                }
                let at = self.next;
                self.next += 1;
                let name: Rc<str> = Rc::from(name);
                self.by_name.insert(Rc::clone(&name), at);
                self.items.insert(at, (name, make()));
                at
            }
        };
        let (name, item) = self.items.get_mut(&at).expect("indexed");
        self.last = Some((Rc::clone(name), at));
        (item, evicted)
    }

    pub fn remove(&mut self, name: &str) -> Option<T> {
        let at = self.by_name.remove(name)?;
        self.last = None;
        self.items.remove(&at).map(|(_, v)| v)
    }

    /// In the order they began.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.items.values().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut T> {
        self.items.values_mut().map(|(_, v)| v)
    }

    /// Every item, in the order they began; none is left.
    pub fn take(&mut self) -> Vec<T> {
        self.by_name.clear();
        self.last = None;
        std::mem::take(&mut self.items)
            .into_values()
            .map(|(_, v)| v)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_keep_their_order_and_the_oldest_goes_first_when_full() {
        let mut r: Recent<i32, 2> = Recent::default();
        assert!(r.get_or_insert("a", || 1).1.is_none());
        assert!(r.get_or_insert("b", || 2).1.is_none());
        *r.get_or_insert("a", || 0).0 += 10;
        assert_eq!(r.get_or_insert("c", || 3).1, Some(11), "a began first");
        assert_eq!(r.values().copied().collect::<Vec<_>>(), [2, 3]);
        assert_eq!(r.remove("b"), Some(2));
        assert!(r.get("b").is_none());
        assert_eq!(r.take(), [3]);
        assert!(r.get("c").is_none(), "the last one asked for is gone too");
        // The last asked for, then let go of to make room: not found by the shortcut.
        r.get_or_insert("x", || 1);
        r.get_or_insert("y", || 2);
        r.get_or_insert("x", || 0);
        r.get_or_insert("z", || 3);
        assert!(r.get("x").is_none());
        assert_eq!(r.get("y"), Some(&2));
    }
}
