//! An ordered, nested name → value tree: the runtime shape of Rockpool's nested dicts.
//!
//! The same [`Tree`] type carries parameter views (`Tree<Attr>`), states and records
//! (`Tree<DynTensor>`) and values to set (`Tree<Value>`). Paths are dotted names
//! (`"1_Rate.tau"`), the keys used in `.npz` parameter files.

/// One entry of a [`Tree`]: a leaf value or a nested subtree (a submodule).
#[derive(Clone, Debug)]
pub enum Node<L> {
    /// A value.
    Leaf(L),
    /// A nested tree, for a submodule.
    Branch(Tree<L>),
}

/// An ordered map from names to leaves or subtrees. Insertion order is kept, as Rockpool's
/// dicts keep attribute order.
#[derive(Clone, Debug)]
pub struct Tree<L> {
    entries: Vec<(String, Node<L>)>,
}

impl<L> Default for Tree<L> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
        }
    }
}

impl<L> Tree<L> {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Inserts (or replaces) a leaf.
    pub fn insert(&mut self, name: impl Into<String>, leaf: L) -> &mut Self {
        self.insert_node(name.into(), Node::Leaf(leaf));
        self
    }

    /// Inserts (or replaces) a subtree.
    pub fn insert_branch(&mut self, name: impl Into<String>, tree: Tree<L>) -> &mut Self {
        self.insert_node(name.into(), Node::Branch(tree));
        self
    }

    fn insert_node(&mut self, name: String, node: Node<L>) {
        match self.entries.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = node,
            None => self.entries.push((name, node)),
        }
    }

    /// Builder form of [`Tree::insert`].
    pub fn with(mut self, name: impl Into<String>, leaf: L) -> Self {
        self.insert(name, leaf);
        self
    }

    /// Builder form of [`Tree::insert_branch`].
    pub fn with_branch(mut self, name: impl Into<String>, tree: Tree<L>) -> Self {
        self.insert_branch(name, tree);
        self
    }

    /// Number of direct entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Direct entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node<L>)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// Direct entry names in order.
    pub fn names(&self) -> Vec<&str> {
        self.entries.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// The entry named `name` (one level, no dots).
    pub fn get_node(&self, name: &str) -> Option<&Node<L>> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Removes and returns the entry named `name`.
    pub fn remove(&mut self, name: &str) -> Option<Node<L>> {
        let i = self.entries.iter().position(|(n, _)| n == name)?;
        Some(self.entries.remove(i).1)
    }

    /// The leaf at a dotted path (`"1_Rate.tau"`).
    pub fn get(&self, path: &str) -> Option<&L> {
        match self.get_path(path)? {
            Node::Leaf(l) => Some(l),
            Node::Branch(_) => None,
        }
    }

    /// The subtree at a dotted path.
    pub fn subtree(&self, path: &str) -> Option<&Tree<L>> {
        match self.get_path(path)? {
            Node::Branch(t) => Some(t),
            Node::Leaf(_) => None,
        }
    }

    fn get_path(&self, path: &str) -> Option<&Node<L>> {
        let mut node: Option<&Node<L>> = None;
        let mut tree = self;
        for part in path.split('.') {
            let n = tree.get_node(part)?;
            node = Some(n);
            if let Node::Branch(t) = n {
                tree = t;
            }
        }
        node
    }

    /// Inserts a leaf at a dotted path, creating intermediate branches.
    pub fn insert_path(&mut self, path: &str, leaf: L) {
        match path.split_once('.') {
            None => {
                self.insert(path, leaf);
            }
            Some((head, rest)) => {
                if !matches!(self.get_node(head), Some(Node::Branch(_))) {
                    self.insert_branch(head, Tree::new());
                }
                if let Some((_, Node::Branch(t))) = self.entries.iter_mut().find(|(n, _)| n == head)
                {
                    t.insert_path(rest, leaf);
                }
            }
        }
    }

    /// All leaves with their dotted paths, depth first in order.
    pub fn leaves(&self) -> Vec<(String, &L)> {
        let mut out = Vec::new();
        self.collect_leaves("", &mut out);
        out
    }

    fn collect_leaves<'a>(&'a self, prefix: &str, out: &mut Vec<(String, &'a L)>) {
        for (name, node) in &self.entries {
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            match node {
                Node::Leaf(l) => out.push((path, l)),
                Node::Branch(t) => t.collect_leaves(&path, out),
            }
        }
    }

    /// Maps every leaf, keeping the structure.
    pub fn map<M>(&self, f: &mut impl FnMut(&L) -> M) -> Tree<M> {
        Tree {
            entries: self
                .entries
                .iter()
                .map(|(n, node)| {
                    let node = match node {
                        Node::Leaf(l) => Node::Leaf(f(l)),
                        Node::Branch(t) => Node::Branch(t.map(f)),
                    };
                    (n.clone(), node)
                })
                .collect(),
        }
    }

    /// Maps every leaf with a function that may drop it (`None`); branches left empty by
    /// the filter are dropped too, as Rockpool omits submodules with no match.
    pub fn filter_map<M>(&self, f: &mut impl FnMut(&L) -> Option<M>) -> Tree<M> {
        let mut out = Tree::new();
        for (n, node) in &self.entries {
            match node {
                Node::Leaf(l) => {
                    if let Some(m) = f(l) {
                        out.insert(n.clone(), m);
                    }
                }
                Node::Branch(t) => {
                    let sub = t.filter_map(f);
                    if !sub.is_empty() {
                        out.insert_branch(n.clone(), sub);
                    }
                }
            }
        }
        out
    }

    /// Consumes the tree, mapping every leaf by value.
    pub fn into_map<M>(self, f: &mut impl FnMut(L) -> M) -> Tree<M> {
        Tree {
            entries: self
                .entries
                .into_iter()
                .map(|(n, node)| {
                    let node = match node {
                        Node::Leaf(l) => Node::Leaf(f(l)),
                        Node::Branch(t) => Node::Branch(t.into_map(f)),
                    };
                    (n, node)
                })
                .collect(),
        }
    }

    /// Removes the subtree `name` and returns it, or an empty tree if there is none (a
    /// stateless submodule may be absent from a state tree).
    pub fn take_branch(&mut self, name: &str) -> Tree<L> {
        match self.remove(name) {
            Some(Node::Branch(t)) => t,
            Some(leaf) => {
                // Not a branch: put it back untouched.
                self.insert_node(name.to_string(), leaf);
                Tree::new()
            }
            None => Tree::new(),
        }
    }

    /// Consumes the tree into its direct entries.
    pub fn into_entries(self) -> Vec<(String, Node<L>)> {
        self.entries
    }
}

impl<L: std::fmt::Display> std::fmt::Display for Tree<L> {
    /// Prints the tree like a nested dict, one entry per line:
    /// `{ tau: (4,) [0.0200, …], 1_Rate: { … } }`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn go<L: std::fmt::Display>(
            t: &Tree<L>,
            level: usize,
            f: &mut std::fmt::Formatter<'_>,
        ) -> std::fmt::Result {
            if t.is_empty() {
                return f.write_str("{}");
            }
            f.write_str("{\n")?;
            let pad = "    ".repeat(level + 1);
            for (name, node) in t.iter() {
                write!(f, "{pad}{name}: ")?;
                match node {
                    Node::Leaf(l) => write!(f, "{l}")?,
                    Node::Branch(b) => go(b, level + 1, f)?,
                }
                f.write_str("\n")?;
            }
            write!(f, "{}}}", "    ".repeat(level))
        }
        go(self, 0, f)
    }
}

impl<L> FromIterator<(String, Node<L>)> for Tree<L> {
    fn from_iter<I: IntoIterator<Item = (String, Node<L>)>>(iter: I) -> Self {
        let mut t = Tree::new();
        for (n, node) in iter {
            t.insert_node(n, node);
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_insert_get_and_filter() {
        let mut t: Tree<i32> = Tree::new();
        t.insert_path("0_Linear.weight", 1);
        t.insert_path("1_Rate.tau", 2);
        t.insert_path("1_Rate.bias", 3);
        t.insert("top", 4);
        assert_eq!(t.get("1_Rate.bias"), Some(&3));
        assert_eq!(t.get("1_Rate"), None);
        assert!(t.subtree("1_Rate").is_some());
        let paths: Vec<String> = t.leaves().into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            paths,
            ["0_Linear.weight", "1_Rate.tau", "1_Rate.bias", "top"]
        );
        let odd = t.filter_map(&mut |v| (v % 2 == 1).then_some(*v));
        assert_eq!(odd.names(), ["0_Linear", "1_Rate"]);
        assert_eq!(odd.get("1_Rate.bias"), Some(&3));
        assert_eq!(odd.get("1_Rate.tau"), None);
        // replacing keeps order
        t.insert("top", 5);
        assert_eq!(t.names().last(), Some(&"top"));
        assert_eq!(t.get("top"), Some(&5));
    }
}
