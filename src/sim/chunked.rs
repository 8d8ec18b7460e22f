//! An append-only list in fixed-size chunks: a run that keeps millions of records never copies
//! them into a buffer twice as large, as a `Vec`'s growth would at the run's peak memory.

/// Items are addressed by `chunk * CHUNK + offset`; `push_together` keeps a group in one chunk
/// (so it can be read back as a slice), leaving the rest of the previous chunk unused.
#[derive(Debug)]
pub struct Chunked<T> {
    chunks: Vec<Vec<T>>,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked { chunks: Vec::new() }
    }
}

impl<T> Chunked<T> {
    pub const CHUNK: usize = 1 << 16;

    /// Room for `n` more items in the last chunk, starting a new one if needed (the first starts
    /// small: most runs keep little).
    fn room(&mut self, n: usize) -> &mut Vec<T> {
        let fits = self.chunks.last().is_some_and(|l| l.len() + n <= Self::CHUNK);
        if !fits {
            let cap = if self.chunks.is_empty() { 64 } else { Self::CHUNK };
            self.chunks.push(Vec::with_capacity(cap.max(n)));
        }
        self.chunks.last_mut().expect("a chunk was just made")
    }

    fn address(&self) -> u32 {
        let last = self.chunks.len() - 1;
        (last * Self::CHUNK + self.chunks[last].len()) as u32
    }

    /// Append one item; its address.
    pub fn push(&mut self, x: T) -> u32 {
        self.room(1).push(x);
        self.address() - 1
    }

    /// Append a group of `n` items (at most `CHUNK`) in one chunk; the address of its first.
    pub fn push_together(&mut self, n: usize, items: impl IntoIterator<Item = T>) -> u32 {
        assert!(n <= Self::CHUNK, "a group of {n} items does not fit in one chunk");
        let chunk = self.room(n);
        let before = chunk.len();
        chunk.extend(items);
        assert_eq!(chunk.len() - before, n, "the group is not of the size given");
        self.address() - n as u32
    }

    pub fn get(&self, at: u32) -> &T {
        &self.chunks[at as usize / Self::CHUNK][at as usize % Self::CHUNK]
    }

    /// `n` items from `at`, pushed together.
    pub fn slice(&self, at: u32, n: usize) -> &[T] {
        if n == 0 {
            // An empty group's address may lie just past a full chunk.
            return &[];
        }
        let off = at as usize % Self::CHUNK;
        &self.chunks[at as usize / Self::CHUNK][off..off + n]
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }

    pub fn len(&self) -> usize {
        self.chunks.iter().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.iter().all(Vec::is_empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_stay_in_one_chunk_and_are_read_back_by_address() {
        let mut c: Chunked<u32> = Chunked::default();
        let a = c.push(7);
        let filler = c.push_together(Chunked::<u32>::CHUNK - 3, 0..(Chunked::<u32>::CHUNK as u32 - 3));
        // Two slots are left in the first chunk: a group of three starts the next one.
        let g = c.push_together(3, [1, 2, 3]);
        assert_eq!((a, filler, g), (0, 1, Chunked::<u32>::CHUNK as u32));
        assert_eq!(c.slice(g, 3), &[1, 2, 3]);
        assert_eq!(*c.get(a), 7);
        let b = c.push(9);
        assert_eq!(*c.get(b), 9);
        assert_eq!(c.len(), Chunked::<u32>::CHUNK - 2 + 4);
        assert_eq!(c.iter().nth(1), Some(&0));
    }

    #[test]
    fn an_empty_group_after_a_full_chunk_reads_back_empty() {
        let mut c: Chunked<u32> = Chunked::default();
        c.push_together(Chunked::<u32>::CHUNK, 0..Chunked::<u32>::CHUNK as u32);
        let at = c.push_together(0, []);
        assert!(c.slice(at, 0).is_empty());
    }
}
