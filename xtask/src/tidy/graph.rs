//! Cycles in a directed graph, for both the crate and the module dependency checks.
//!
//! A cycle is reported as a strongly connected component (every node in it reaches every
//! other): that is stable under edits that add a second path through the same nodes, so an
//! allowlist entry keeps matching until the nodes are actually untangled. One concrete cycle
//! through the component is given alongside, to show where to cut.

use std::collections::VecDeque;

/// A directed graph over nodes `0..n`; self-edges are ignored.
#[derive(Debug)]
pub struct Graph {
    edges: Vec<Vec<usize>>,
}

impl Graph {
    pub fn new(nodes: usize) -> Graph {
        Graph {
            edges: vec![Vec::new(); nodes],
        }
    }

    pub fn add_edge(&mut self, from: usize, to: usize) {
        if from != to && !self.edges[from].contains(&to) {
            self.edges[from].push(to);
        }
    }

    /// The strongly connected components with more than one node, each sorted, in order of
    /// their smallest node (Tarjan's algorithm; the graphs here have at most a few hundred
    /// nodes, so recursion depth is no concern).
    pub fn cycles(&self) -> Vec<Vec<usize>> {
        let mut state = Tarjan {
            graph: self,
            index: vec![None; self.edges.len()],
            low: vec![0; self.edges.len()],
            on_stack: vec![false; self.edges.len()],
            stack: Vec::new(),
            next: 0,
            components: Vec::new(),
        };
        for node in 0..self.edges.len() {
            if state.index[node].is_none() {
                state.visit(node);
            }
        }
        let mut components: Vec<Vec<usize>> = state
            .components
            .into_iter()
            .filter(|c| c.len() > 1)
            .map(|mut c| {
                c.sort_unstable();
                c
            })
            .collect();
        components.sort();
        components
    }

    /// A shortest cycle from the component's first node back to it, staying inside the
    /// component: `[a, b, …, a]`.
    pub fn cycle_in(&self, component: &[usize]) -> Vec<usize> {
        let Some(&start) = component.first() else {
            return Vec::new();
        };
        let mut came_from = vec![None; self.edges.len()];
        let mut queue = VecDeque::from([start]);
        while let Some(node) = queue.pop_front() {
            for &next in &self.edges[node] {
                if !component.contains(&next) {
                    continue;
                }
                if next == start {
                    let mut path = vec![start, node];
                    let mut at = node;
                    while let Some(previous) = came_from[at] {
                        path.push(previous);
                        at = previous;
                    }
                    path.reverse();
                    return path;
                }
                if came_from[next].is_none() {
                    came_from[next] = Some(node);
                    queue.push_back(next);
                }
            }
        }
        Vec::new()
    }
}

struct Tarjan<'g> {
    graph: &'g Graph,
    index: Vec<Option<usize>>,
    low: Vec<usize>,
    on_stack: Vec<bool>,
    stack: Vec<usize>,
    next: usize,
    components: Vec<Vec<usize>>,
}

impl Tarjan<'_> {
    fn visit(&mut self, node: usize) {
        self.index[node] = Some(self.next);
        self.low[node] = self.next;
        self.next += 1;
        self.stack.push(node);
        self.on_stack[node] = true;
        for &next in &self.graph.edges[node] {
            match self.index[next] {
                None => {
                    self.visit(next);
                    self.low[node] = self.low[node].min(self.low[next]);
                }
                Some(index) if self.on_stack[next] => self.low[node] = self.low[node].min(index),
                Some(_) => {}
            }
        }
        if Some(self.low[node]) == self.index[node] {
            let mut component = Vec::new();
            while let Some(member) = self.stack.pop() {
                self.on_stack[member] = false;
                component.push(member);
                if member == node {
                    break;
                }
            }
            self.components.push(component);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(n: usize, edges: &[(usize, usize)]) -> Graph {
        let mut g = Graph::new(n);
        for &(a, b) in edges {
            g.add_edge(a, b);
        }
        g
    }

    #[test]
    fn acyclic_graph_has_no_cycles() {
        let g = graph(4, &[(0, 1), (1, 2), (0, 2), (2, 3), (3, 3)]);
        assert!(g.cycles().is_empty());
    }

    #[test]
    fn cycles_are_components_with_a_concrete_cycle() {
        // 1 -> 2 -> 3 -> 1, plus 3 -> 2 (a second loop in the same component); 4 <-> 5.
        let g = graph(6, &[(0, 1), (1, 2), (2, 3), (3, 1), (3, 2), (4, 5), (5, 4)]);
        assert_eq!(g.cycles(), [vec![1, 2, 3], vec![4, 5]]);
        assert_eq!(g.cycle_in(&[1, 2, 3]), [1, 2, 3, 1]);
        assert_eq!(g.cycle_in(&[4, 5]), [4, 5, 4]);
    }
}
