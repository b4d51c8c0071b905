//! Maximum-weight matching in a general graph (Edmonds' blossom algorithm with the
//! primal-dual method, O(n³)), used to pair a Swiss round.
//!
//! A port of Joris van Rantwijk's public-domain `mwmatching.py`, the implementation
//! NetworkX and rustworkx also derive from, restricted to integer weights so that every
//! computation is exact (the dual variables stay integers: slacks are compared as
//! `2 × weight`). It is here rather than pulled in from `rustworkx-core` because that crate
//! brings rayon, ndarray, petgraph and a second `rand` into a Lambda function for this one
//! routine; the tests check it against brute force on small graphs.
//!
//! Not for anything but this: no I/O, no knowledge of tournaments. Vertices are
//! `0..vertex_count`; edges are `(i, j, weight)` with at most one edge per pair.

/// A vertex's partner in the matching, `None` when it is left unmatched.
pub type Mates = Vec<Option<usize>>;

/// The matching of maximum total weight among those of maximum cardinality (when
/// `max_cardinality`), or among all matchings.
pub fn max_weight_matching(
    vertex_count: usize,
    edges: &[(usize, usize, i64)],
    max_cardinality: bool,
) -> Mates {
    if edges.is_empty() || vertex_count == 0 {
        return vec![None; vertex_count];
    }
    let mut m = Matcher::new(vertex_count, edges, max_cardinality);
    m.solve();
    m.mate
        .iter()
        .map(|&p| (p != NONE).then(|| m.endpoint[p]))
        .collect()
}

/// "No vertex / edge / endpoint / blossom" in the index arrays below.
const NONE: usize = usize::MAX;

/// Vertex and blossom labels: free, outer (S), inner (T). `BREADCRUMB` marks blossoms
/// visited by `scan_blossom`.
const FREE: u8 = 0;
const OUTER: u8 = 1;
const INNER: u8 = 2;
const BREADCRUMB: u8 = 4;

struct Matcher<'a> {
    n: usize,
    edges: &'a [(usize, usize, i64)],
    max_cardinality: bool,
    /// `endpoint[p]`: the vertex at endpoint `p`; edge `k` has endpoints `2k` and `2k + 1`.
    endpoint: Vec<usize>,
    /// For each vertex, the endpoints of its edges that are remote from it.
    neighbours: Vec<Vec<usize>>,
    /// For each vertex, the remote endpoint of its matched edge.
    mate: Vec<usize>,
    /// For vertices and top-level blossoms (indices `n..2n` are blossoms).
    label: Vec<u8>,
    label_end: Vec<usize>,
    in_blossom: Vec<usize>,
    blossom_parent: Vec<usize>,
    blossom_children: Vec<Vec<usize>>,
    blossom_base: Vec<usize>,
    blossom_endpoints: Vec<Vec<usize>>,
    best_edge: Vec<usize>,
    blossom_best_edges: Vec<Option<Vec<usize>>>,
    unused_blossoms: Vec<usize>,
    dual: Vec<i64>,
    allowed: Vec<bool>,
    queue: Vec<usize>,
}

impl<'a> Matcher<'a> {
    fn new(n: usize, edges: &'a [(usize, usize, i64)], max_cardinality: bool) -> Self {
        let max_weight = edges.iter().map(|e| e.2).max().unwrap_or(0).max(0);
        let endpoint = edges.iter().flat_map(|&(i, j, _)| [i, j]).collect();
        let mut neighbours = vec![Vec::new(); n];
        for (k, &(i, j, _)) in edges.iter().enumerate() {
            neighbours[i].push(2 * k + 1);
            neighbours[j].push(2 * k);
        }
        let mut blossom_base: Vec<usize> = (0..n).collect();
        blossom_base.resize(2 * n, NONE);
        let mut dual = vec![max_weight; n];
        dual.resize(2 * n, 0);
        Self {
            n,
            edges,
            max_cardinality,
            endpoint,
            neighbours,
            mate: vec![NONE; n],
            label: vec![FREE; 2 * n],
            label_end: vec![NONE; 2 * n],
            in_blossom: (0..n).collect(),
            blossom_parent: vec![NONE; 2 * n],
            blossom_children: vec![Vec::new(); 2 * n],
            blossom_base,
            blossom_endpoints: vec![Vec::new(); 2 * n],
            best_edge: vec![NONE; 2 * n],
            blossom_best_edges: vec![None; 2 * n],
            unused_blossoms: (n..2 * n).collect(),
            dual,
            allowed: vec![false; edges.len()],
            queue: Vec::new(),
        }
    }

    fn slack(&self, k: usize) -> i64 {
        let (i, j, w) = self.edges[k];
        self.dual[i] + self.dual[j] - 2 * w
    }

    /// The vertices inside blossom (or vertex) `b`.
    fn leaves(&self, b: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut stack = vec![b];
        while let Some(t) = stack.pop() {
            if t < self.n {
                out.push(t);
            } else {
                stack.extend(self.blossom_children[t].iter().rev().copied());
            }
        }
        out
    }

    /// Labels vertex `w` (and its top-level blossom) `t`, reached through endpoint `p`.
    fn assign_label(&mut self, w: usize, t: u8, p: usize) {
        let mut stack = vec![(w, t, p)];
        while let Some((w, t, p)) = stack.pop() {
            let b = self.in_blossom[w];
            self.label[w] = t;
            self.label[b] = t;
            self.label_end[w] = p;
            self.label_end[b] = p;
            self.best_edge[w] = NONE;
            self.best_edge[b] = NONE;
            if t == OUTER {
                let leaves = self.leaves(b);
                self.queue.extend(leaves);
            } else {
                // An inner blossom's base is matched: its mate becomes outer.
                let base = self.blossom_base[b];
                let m = self.mate[base];
                stack.push((self.endpoint[m], OUTER, m ^ 1));
            }
        }
    }

    /// Traces back from `v` and `w` to find a new blossom's base, or `NONE` when the two
    /// paths reach different roots (an augmenting path).
    fn scan_blossom(&mut self, mut v: usize, mut w: usize) -> usize {
        let mut path = Vec::new();
        let mut base = NONE;
        while v != NONE || w != NONE {
            let mut b = self.in_blossom[v];
            if self.label[b] & BREADCRUMB != 0 {
                base = self.blossom_base[b];
                break;
            }
            path.push(b);
            self.label[b] = OUTER | BREADCRUMB;
            if self.label_end[b] == NONE {
                v = NONE; // reached a root
            } else {
                v = self.endpoint[self.label_end[b]];
                b = self.in_blossom[v];
                v = self.endpoint[self.label_end[b]];
            }
            if w != NONE {
                std::mem::swap(&mut v, &mut w);
            }
        }
        for b in path {
            self.label[b] = OUTER;
        }
        base
    }

    /// Makes a new blossom with base `base` through edge `k` between two outer vertices.
    fn add_blossom(&mut self, base: usize, k: usize) {
        let (mut v, mut w, _) = self.edges[k];
        let bb = self.in_blossom[base];
        let mut bv = self.in_blossom[v];
        let mut bw = self.in_blossom[w];
        let Some(b) = self.unused_blossoms.pop() else {
            return; // at most n/2 blossoms exist at once: unreachable
        };
        self.blossom_base[b] = base;
        self.blossom_parent[b] = NONE;
        self.blossom_parent[bb] = b;
        let mut path = Vec::new();
        let mut endps = Vec::new();
        while bv != bb {
            self.blossom_parent[bv] = b;
            path.push(bv);
            endps.push(self.label_end[bv]);
            v = self.endpoint[self.label_end[bv]];
            bv = self.in_blossom[v];
        }
        path.push(bb);
        path.reverse();
        endps.reverse();
        endps.push(2 * k);
        while bw != bb {
            self.blossom_parent[bw] = b;
            path.push(bw);
            endps.push(self.label_end[bw] ^ 1);
            w = self.endpoint[self.label_end[bw]];
            bw = self.in_blossom[w];
        }
        self.label[b] = OUTER;
        self.label_end[b] = self.label_end[bb];
        self.dual[b] = 0;
        for v in self.leaves_of_path(&path) {
            if self.label[self.in_blossom[v]] == INNER {
                // Inner vertices become outer inside the new blossom.
                self.queue.push(v);
            }
            self.in_blossom[v] = b;
        }
        // The least-slack edge from the new blossom to each neighbouring outer blossom.
        let mut best_to = vec![NONE; 2 * self.n];
        for &bv in &path {
            let lists: Vec<Vec<usize>> = match self.blossom_best_edges[bv].take() {
                Some(list) => vec![list],
                None => self
                    .leaves(bv)
                    .into_iter()
                    .map(|v| self.neighbours[v].iter().map(|p| p / 2).collect())
                    .collect(),
            };
            for list in lists {
                for k in list {
                    // The endpoint outside the new blossom.
                    let (i, j, _) = self.edges[k];
                    let j = if self.in_blossom[j] == b { i } else { j };
                    let bj = self.in_blossom[j];
                    if bj != b
                        && self.label[bj] == OUTER
                        && (best_to[bj] == NONE || self.slack(k) < self.slack(best_to[bj]))
                    {
                        best_to[bj] = k;
                    }
                }
            }
            self.best_edge[bv] = NONE;
        }
        let best: Vec<usize> = best_to.into_iter().filter(|&k| k != NONE).collect();
        self.best_edge[b] = NONE;
        for &k in &best {
            if self.best_edge[b] == NONE || self.slack(k) < self.slack(self.best_edge[b]) {
                self.best_edge[b] = k;
            }
        }
        self.blossom_best_edges[b] = Some(best);
        self.blossom_children[b] = path;
        self.blossom_endpoints[b] = endps;
    }

    fn leaves_of_path(&self, path: &[usize]) -> Vec<usize> {
        path.iter().flat_map(|&t| self.leaves(t)).collect()
    }

    /// `children[j]` with Python's negative indexing.
    fn at(list: &[usize], j: isize) -> usize {
        let len = list.len() as isize;
        list[(((j % len) + len) % len) as usize]
    }

    /// Expands blossom `b` into its children: at the end of a stage (every zero-dual
    /// blossom, recursively) or in the middle of one (an inner blossom whose dual reached 0).
    fn expand_blossom(&mut self, b: usize, end_of_stage: bool) {
        let children = self.blossom_children[b].clone();
        for &s in &children {
            self.blossom_parent[s] = NONE;
            if s < self.n {
                self.in_blossom[s] = s;
            } else if end_of_stage && self.dual[s] == 0 {
                self.expand_blossom(s, end_of_stage);
            } else {
                for v in self.leaves(s) {
                    self.in_blossom[v] = s;
                }
            }
        }
        if !end_of_stage && self.label[b] == INNER {
            // Relabel the children on the even-length path from the entry child to the
            // base as alternately inner and outer.
            let endps = self.blossom_endpoints[b].clone();
            let entry = self.in_blossom[self.endpoint[self.label_end[b] ^ 1]];
            let mut j = children.iter().position(|&c| c == entry).unwrap_or(0) as isize;
            let (step, trick): (isize, usize) = if j & 1 == 1 {
                j -= children.len() as isize;
                (1, 0)
            } else {
                (-1, 1)
            };
            let mut p = self.label_end[b];
            while j != 0 {
                let q = p ^ 1;
                self.label[self.endpoint[q]] = FREE;
                let e = Self::at(&endps, j - trick as isize);
                self.label[self.endpoint[e ^ trick ^ 1]] = FREE;
                self.assign_label(self.endpoint[q], INNER, p);
                self.allowed[e / 2] = true;
                j += step;
                p = Self::at(&endps, j - trick as isize) ^ trick;
                self.allowed[p / 2] = true;
                j += step;
            }
            let bv = Self::at(&children, j);
            let v = self.endpoint[p ^ 1];
            self.label[v] = INNER;
            self.label[bv] = INNER;
            self.label_end[v] = p;
            self.label_end[bv] = p;
            self.best_edge[bv] = NONE;
            j += step;
            while Self::at(&children, j) != entry {
                let bv = Self::at(&children, j);
                if self.label[bv] == OUTER {
                    j += step;
                    continue;
                }
                if let Some(v) = self.leaves(bv).into_iter().find(|&v| self.label[v] != FREE) {
                    self.label[v] = FREE;
                    let base_mate = self.mate[self.blossom_base[bv]];
                    self.label[self.endpoint[base_mate]] = FREE;
                    self.assign_label(v, INNER, self.label_end[v]);
                }
                j += step;
            }
        }
        self.label[b] = FREE;
        self.label_end[b] = NONE;
        self.blossom_children[b] = Vec::new();
        self.blossom_endpoints[b] = Vec::new();
        self.blossom_base[b] = NONE;
        self.blossom_best_edges[b] = None;
        self.best_edge[b] = NONE;
        self.unused_blossoms.push(b);
    }

    /// Swaps matched and unmatched edges along the path through blossom `b` from vertex
    /// `v` to the base, so that `v` becomes the base.
    fn augment_blossom(&mut self, b: usize, v: usize) {
        let mut t = v;
        while self.blossom_parent[t] != b {
            t = self.blossom_parent[t];
        }
        if t >= self.n {
            self.augment_blossom(t, v);
        }
        let children = self.blossom_children[b].clone();
        let endps = self.blossom_endpoints[b].clone();
        let i = children.iter().position(|&c| c == t).unwrap_or(0);
        let mut j = i as isize;
        let (step, trick): (isize, usize) = if i & 1 == 1 {
            j -= children.len() as isize;
            (1, 0)
        } else {
            (-1, 1)
        };
        while j != 0 {
            j += step;
            let t = Self::at(&children, j);
            let p = Self::at(&endps, j - trick as isize) ^ trick;
            if t >= self.n {
                self.augment_blossom(t, self.endpoint[p]);
            }
            j += step;
            let t = Self::at(&children, j);
            if t >= self.n {
                self.augment_blossom(t, self.endpoint[p ^ 1]);
            }
            self.mate[self.endpoint[p]] = p ^ 1;
            self.mate[self.endpoint[p ^ 1]] = p;
        }
        let mut children = children;
        let mut endps = endps;
        children.rotate_left(i);
        endps.rotate_left(i);
        self.blossom_base[b] = self.blossom_base[children[0]];
        self.blossom_children[b] = children;
        self.blossom_endpoints[b] = endps;
    }

    /// Augments the matching along the path through edge `k` between two outer vertices
    /// of different trees.
    fn augment_matching(&mut self, k: usize) {
        let (v, w, _) = self.edges[k];
        for (mut s, mut p) in [(v, 2 * k + 1), (w, 2 * k)] {
            loop {
                let bs = self.in_blossom[s];
                if bs >= self.n {
                    self.augment_blossom(bs, s);
                }
                self.mate[s] = p;
                if self.label_end[bs] == NONE {
                    break; // reached a root
                }
                let t = self.endpoint[self.label_end[bs]];
                let bt = self.in_blossom[t];
                s = self.endpoint[self.label_end[bt]];
                let j = self.endpoint[self.label_end[bt] ^ 1];
                if bt >= self.n {
                    self.augment_blossom(bt, j);
                }
                self.mate[j] = self.label_end[bt];
                p = self.label_end[bt] ^ 1;
            }
        }
    }

    fn solve(&mut self) {
        let n = self.n;
        for _stage in 0..n {
            self.label.iter_mut().for_each(|l| *l = FREE);
            self.best_edge.iter_mut().for_each(|e| *e = NONE);
            for b in n..2 * n {
                self.blossom_best_edges[b] = None;
            }
            self.allowed.iter_mut().for_each(|a| *a = false);
            self.queue.clear();
            for v in 0..n {
                if self.mate[v] == NONE && self.label[self.in_blossom[v]] == FREE {
                    self.assign_label(v, OUTER, NONE);
                }
            }
            let augmented = self.stage();
            if !augmented {
                break;
            }
            // Blossoms whose dual is 0 do not outlive the stage.
            for b in n..2 * n {
                if self.blossom_parent[b] == NONE
                    && self.blossom_base[b] != NONE
                    && self.label[b] == OUTER
                    && self.dual[b] == 0
                {
                    self.expand_blossom(b, true);
                }
            }
        }
    }

    /// Grows alternating trees and adjusts the duals until an augmenting path is found
    /// (true) or the optimum is reached (false).
    fn stage(&mut self) -> bool {
        let n = self.n;
        loop {
            while let Some(v) = self.queue.pop() {
                let neighbours = self.neighbours[v].clone();
                for p in neighbours {
                    let k = p / 2;
                    let w = self.endpoint[p];
                    if self.in_blossom[v] == self.in_blossom[w] {
                        continue;
                    }
                    let mut k_slack = 0;
                    if !self.allowed[k] {
                        k_slack = self.slack(k);
                        if k_slack <= 0 {
                            self.allowed[k] = true;
                        }
                    }
                    let bw = self.in_blossom[w];
                    if self.allowed[k] {
                        if self.label[bw] == FREE {
                            self.assign_label(w, INNER, p ^ 1);
                        } else if self.label[bw] == OUTER {
                            let base = self.scan_blossom(v, w);
                            if base != NONE {
                                self.add_blossom(base, k);
                            } else {
                                self.augment_matching(k);
                                return true;
                            }
                        } else if self.label[w] == FREE {
                            self.label[w] = INNER;
                            self.label_end[w] = p ^ 1;
                        }
                    } else if self.label[bw] == OUTER {
                        let b = self.in_blossom[v];
                        if self.best_edge[b] == NONE || k_slack < self.slack(self.best_edge[b]) {
                            self.best_edge[b] = k;
                        }
                    } else if self.label[w] == FREE
                        && (self.best_edge[w] == NONE || k_slack < self.slack(self.best_edge[w]))
                    {
                        self.best_edge[w] = k;
                    }
                }
            }

            // No augmenting path with the tight edges: change the duals.
            enum Delta {
                /// The optimum: stop.
                Done,
                /// An edge from a free vertex to an outer one becomes tight.
                FreeEdge(usize),
                /// An edge between two outer blossoms becomes tight.
                OuterEdge(usize),
                /// An inner blossom's dual reaches 0: expand it.
                Expand(usize),
            }
            let mut best: Option<(i64, Delta)> = None;
            if !self.max_cardinality {
                let d = self.dual[..n].iter().copied().min().unwrap_or(0);
                best = Some((d, Delta::Done));
            }
            let better = |best: &Option<(i64, Delta)>, d: i64| match best {
                None => true,
                Some((current, _)) => d < *current,
            };
            for v in 0..n {
                if self.label[self.in_blossom[v]] == FREE && self.best_edge[v] != NONE {
                    let d = self.slack(self.best_edge[v]);
                    if better(&best, d) {
                        best = Some((d, Delta::FreeEdge(self.best_edge[v])));
                    }
                }
            }
            for b in 0..2 * n {
                if self.blossom_parent[b] == NONE
                    && self.label[b] == OUTER
                    && self.best_edge[b] != NONE
                {
                    let d = self.slack(self.best_edge[b]) / 2;
                    if better(&best, d) {
                        best = Some((d, Delta::OuterEdge(self.best_edge[b])));
                    }
                }
            }
            for b in n..2 * n {
                if self.blossom_base[b] != NONE
                    && self.blossom_parent[b] == NONE
                    && self.label[b] == INNER
                    && better(&best, self.dual[b])
                {
                    best = Some((self.dual[b], Delta::Expand(b)));
                }
            }
            let (delta, kind) = best.unwrap_or_else(|| {
                // Maximum cardinality and nothing left to grow: the last dual change.
                let d = self.dual[..n].iter().copied().min().unwrap_or(0).max(0);
                (d, Delta::Done)
            });
            for v in 0..n {
                match self.label[self.in_blossom[v]] {
                    OUTER => self.dual[v] -= delta,
                    INNER => self.dual[v] += delta,
                    _ => {}
                }
            }
            for b in n..2 * n {
                if self.blossom_base[b] != NONE && self.blossom_parent[b] == NONE {
                    match self.label[b] {
                        OUTER => self.dual[b] += delta,
                        INNER => self.dual[b] -= delta,
                        _ => {}
                    }
                }
            }
            match kind {
                Delta::Done => return false,
                Delta::FreeEdge(k) => {
                    self.allowed[k] = true;
                    let (i, j, _) = self.edges[k];
                    let i = if self.label[self.in_blossom[i]] == FREE {
                        j
                    } else {
                        i
                    };
                    self.queue.push(i);
                }
                Delta::OuterEdge(k) => {
                    self.allowed[k] = true;
                    self.queue.push(self.edges[k].0);
                }
                Delta::Expand(b) => self.expand_blossom(b, false),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The weight of the best matching (of maximum cardinality first, when asked) by
    /// trying every matching: (cardinality, weight).
    fn brute_force(n: usize, edges: &[(usize, usize, i64)], max_cardinality: bool) -> (usize, i64) {
        let mut w = vec![vec![None; n]; n];
        for &(i, j, x) in edges {
            w[i][j] = Some(x);
            w[j][i] = Some(x);
        }
        fn go(v: usize, used: &mut Vec<bool>, w: &[Vec<Option<i64>>], mc: bool) -> (usize, i64) {
            let n = used.len();
            let Some(v) = (v..n).find(|&v| !used[v]) else {
                return (0, 0);
            };
            used[v] = true;
            let mut best = go(v + 1, used, w, mc); // v unmatched
            for u in v + 1..n {
                if let (false, Some(x)) = (used[u], w[v][u]) {
                    used[u] = true;
                    let (c, s) = go(v + 1, used, w, mc);
                    used[u] = false;
                    let cand = (c + 1, s + x);
                    let wins = if mc { cand > best } else { cand.1 > best.1 };
                    if wins {
                        best = cand;
                    }
                }
            }
            used[v] = false;
            best
        }
        go(0, &mut vec![false; n], &w, max_cardinality)
    }

    fn measure(n: usize, edges: &[(usize, usize, i64)], mates: &Mates) -> (usize, i64) {
        let mut count = 0;
        let mut total = 0;
        for (v, m) in mates.iter().enumerate() {
            if let Some(u) = *m {
                assert_eq!(mates[u], Some(v), "the matching is symmetric");
                if v < u {
                    let e = edges
                        .iter()
                        .find(|e| (e.0 == v && e.1 == u) || (e.0 == u && e.1 == v))
                        .expect("matched along an edge");
                    count += 1;
                    total += e.2;
                }
            }
        }
        assert!(mates.len() == n);
        (count, total)
    }

    #[test]
    fn small_known_cases() {
        // The classic cases of mwmatching.py's own tests.
        assert_eq!(
            max_weight_matching(0, &[], false),
            Vec::<Option<usize>>::new()
        );
        assert_eq!(
            max_weight_matching(2, &[(0, 1, 1)], false),
            vec![Some(1), Some(0)]
        );
        assert_eq!(
            max_weight_matching(4, &[(1, 2, 10), (2, 3, 11)], false),
            vec![None, None, Some(3), Some(2)]
        );
        // Maximum cardinality beats weight.
        let e = [(1, 2, 5), (2, 3, 11), (3, 4, 5)];
        assert_eq!(
            max_weight_matching(5, &e, true),
            vec![None, Some(2), Some(1), Some(4), Some(3)]
        );
        // A blossom: S-blossom and use it for augmentation.
        let e = [(1, 2, 8), (1, 3, 9), (2, 3, 10), (3, 4, 7)];
        assert_eq!(
            max_weight_matching(5, &e, false),
            vec![None, Some(2), Some(1), Some(4), Some(3)]
        );
        // Create nested S-blossom, relabel as T, expand.
        let e = [
            (1, 2, 19),
            (1, 3, 20),
            (1, 8, 8),
            (2, 3, 25),
            (2, 4, 18),
            (3, 5, 18),
            (4, 5, 13),
            (4, 7, 7),
            (5, 6, 7),
        ];
        let expected = [
            None,
            Some(8),
            Some(3),
            Some(2),
            Some(7),
            Some(6),
            Some(5),
            Some(4),
            Some(1),
        ];
        assert_eq!(max_weight_matching(9, &e, false), expected.to_vec());
        // A T-blossom expanded with the relabelling of its children.
        let e = [
            (1, 2, 45),
            (1, 5, 45),
            (2, 3, 50),
            (3, 4, 45),
            (4, 5, 50),
            (1, 6, 30),
            (3, 9, 35),
            (4, 8, 35),
            (5, 7, 26),
            (9, 10, 5),
        ];
        let expected = [
            None,
            Some(6),
            Some(3),
            Some(2),
            Some(8),
            Some(7),
            Some(1),
            Some(5),
            Some(4),
            Some(10),
            Some(9),
        ];
        assert_eq!(max_weight_matching(11, &e, false), expected.to_vec());
    }

    fn graph(max_n: usize) -> impl Strategy<Value = (usize, Vec<(usize, usize, i64)>)> {
        (1..=max_n).prop_flat_map(|n| {
            let pairs: Vec<(usize, usize)> = (0..n)
                .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
                .collect();
            let len = pairs.len();
            (
                Just(n),
                proptest::collection::vec((any::<bool>(), -5i64..40), len).prop_map(
                    move |choices| {
                        pairs
                            .iter()
                            .zip(choices)
                            .filter(|(_, (keep, _))| *keep)
                            .map(|(&(i, j), (_, w))| (i, j, w))
                            .collect::<Vec<_>>()
                    },
                ),
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn agrees_with_brute_force((n, edges) in graph(9), max_cardinality in any::<bool>()) {
            let mates = max_weight_matching(n, &edges, max_cardinality);
            let got = measure(n, &edges, &mates);
            let best = brute_force(n, &edges, max_cardinality);
            if max_cardinality {
                prop_assert_eq!(got, best);
            } else {
                prop_assert_eq!(got.1, best.1);
            }
        }
    }

    #[test]
    fn dense_graphs_with_clustered_weights_agree_with_brute_force() {
        // Complete graphs whose weights repeat a lot: the shape of a Swiss pairing graph,
        // and where ties create many blossoms.
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as i64
        };
        for n in 2..=10 {
            for _ in 0..60 {
                let mut edges = Vec::new();
                for i in 0..n {
                    for j in i + 1..n {
                        if next() % 5 != 0 {
                            edges.push((i, j, 1000 - (next() % 4) * 100));
                        }
                    }
                }
                let mates = max_weight_matching(n, &edges, true);
                assert_eq!(
                    measure(n, &edges, &mates),
                    brute_force(n, &edges, true),
                    "{edges:?}"
                );
            }
        }
    }
}
