//! Where the promotion graph's boxes and edge labels go, as a flow document draws it: layered left to
//! right by the edges, so an environment stands one column right of the furthest environment it is
//! promoted from. The coordinates are data ([`Layout`]), apart from the SVG that draws them, so that a test
//! can check what a reader would see: no two boxes overlap, and no edge label overlaps a box or another
//! label ([`Layout::overlaps`]).
//!
//! The method is the layered drawing of Sugiyama, Tagawa and Toda, kept small: columns by longest path;
//! an edge that spans columns gets a slot in each column it crosses, so it runs between boxes rather than
//! through them; rows ordered by the barycenter of their neighbours, a few sweeps each way, ties broken by
//! definition order; then each box as high as its neighbours allow. Each edge's label sits in the gap
//! before its target, where the edge crosses it; the gap is as wide as its widest label, and labels in one
//! gap are pushed apart vertically. Integer pixels only, so the same graph always gives the same bytes.

use std::collections::BTreeMap;

/// The gap between two boxes of a column, and between a label and the next.
const ROW_GAP: i32 = 28;
/// Space either side of the labels in a gap between columns.
const GAP_MARGIN: i32 = 24;
/// The narrowest gap between columns.
const MIN_GAP: i32 = 64;
/// The margin around the whole drawing.
pub const MARGIN: i32 = 16;
/// The height of the slot an edge takes in a column it crosses.
const PASS_HEIGHT: i32 = 12;

/// A box to place: its id and size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSpec {
    /// The environment's name.
    pub id: String,
    /// Width, in pixels.
    pub width: i32,
    /// Height, in pixels.
    pub height: i32,
}

/// An edge to route, with the size of its label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EdgeSpec {
    /// The source's id.
    pub from: String,
    /// The target's id.
    pub to: String,
    /// The label's width, in pixels.
    pub label_width: i32,
    /// The label's height, in pixels.
    pub label_height: i32,
}

/// A rectangle: top-left corner and size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    /// Left.
    pub x: i32,
    /// Top.
    pub y: i32,
    /// Width.
    pub w: i32,
    /// Height.
    pub h: i32,
}

impl Rect {
    /// Whether the two share any area (touching edges do not count).
    pub fn overlaps(&self, other: &Rect) -> bool {
        self.x < other.x + other.w
            && other.x < self.x + self.w
            && self.y < other.y + other.h
            && other.y < self.y + self.h
    }
}

/// A placed box.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    /// The environment's name.
    pub id: String,
    /// The column it is in, from 0 at the left.
    pub column: usize,
    /// Where it is.
    pub rect: Rect,
}

/// A routed edge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Routed {
    /// The source's id.
    pub from: String,
    /// The target's id.
    pub to: String,
    /// The polyline from the source's right side to the target's left side.
    pub points: Vec<(i32, i32)>,
    /// Where its label is.
    pub label: Rect,
}

/// The whole drawing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Its width, in pixels.
    pub width: i32,
    /// Its height, in pixels.
    pub height: i32,
    /// The boxes, in the order given.
    pub boxes: Vec<Placed>,
    /// The edges, in the order given.
    pub edges: Vec<Routed>,
}

impl Layout {
    /// What a reader would see as a collision, one line each: two boxes that overlap, a label over a box,
    /// two labels over each other, anything outside the drawing. Empty when the drawing is clean.
    pub fn overlaps(&self) -> Vec<String> {
        let mut out = Vec::new();
        let bounds = Rect { x: 0, y: 0, w: self.width, h: self.height };
        let inside = |r: &Rect| r.x >= 0 && r.y >= 0 && r.x + r.w <= bounds.w && r.y + r.h <= bounds.h;
        for (i, a) in self.boxes.iter().enumerate() {
            if !inside(&a.rect) {
                out.push(format!("box `{}` is outside the drawing", a.id));
            }
            for b in &self.boxes[i + 1..] {
                if a.rect.overlaps(&b.rect) {
                    out.push(format!("boxes `{}` and `{}` overlap", a.id, b.id));
                }
            }
        }
        for (i, e) in self.edges.iter().enumerate() {
            if !inside(&e.label) {
                out.push(format!("the label of {} -> {} is outside the drawing", e.from, e.to));
            }
            for b in &self.boxes {
                if e.label.overlaps(&b.rect) {
                    out.push(format!("the label of {} -> {} overlaps box `{}`", e.from, e.to, b.id));
                }
            }
            for f in &self.edges[i + 1..] {
                if e.label.overlaps(&f.label) {
                    out.push(format!("the labels of {} -> {} and {} -> {} overlap", e.from, e.to, f.from, f.to));
                }
            }
        }
        out
    }
}

/// One slot of a column: a box, or an edge passing through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Slot {
    Node(usize),
    /// Edge `.0` crossing this column.
    Pass(usize),
}

/// Lays out `nodes` (in definition order) and the `edges` between them; edges naming an unknown node
/// are left out, and a cycle (which `check` refuses) is cut where it closes.
pub fn layout(nodes: &[NodeSpec], edges: &[EdgeSpec]) -> Layout {
    let index: BTreeMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
    let known: Vec<(usize, usize, usize)> = edges
        .iter()
        .enumerate()
        .filter_map(|(k, e)| Some((k, *index.get(e.from.as_str())?, *index.get(e.to.as_str())?)))
        .filter(|(_, a, b)| a != b)
        .collect();
    let column = columns(nodes.len(), &known);
    // What closes a cycle runs backwards: it is left out.
    let known: Vec<(usize, usize, usize)> = known.into_iter().filter(|(_, a, b)| column[*b] > column[*a]).collect();
    let width_of = column.iter().copied().max().map_or(0, |m| m + 1);
    // Slots per column: the boxes, then an edge's passes through the columns strictly between its ends.
    let mut slots: Vec<Vec<Slot>> = vec![Vec::new(); width_of];
    for (i, c) in column.iter().enumerate() {
        slots[*c].push(Slot::Node(i));
    }
    for &(k, a, b) in &known {
        for slot in slots.iter_mut().take(column[b]).skip(column[a] + 1) {
            slot.push(Slot::Pass(k));
        }
    }
    order(&mut slots, &known, &column);
    // Column x positions: each gap as wide as the widest label of the edges ending in the next column.
    let col_width: Vec<i32> = slots
        .iter()
        .map(|s| s.iter().map(|slot| if let Slot::Node(i) = slot { nodes[*i].width } else { 0 }).max().unwrap_or(0))
        .collect();
    let mut gap_before = vec![0; width_of];
    for &(k, _, b) in &known {
        gap_before[column[b]] = gap_before[column[b]].max(edges[k].label_width + 2 * GAP_MARGIN);
    }
    let mut col_x = Vec::with_capacity(width_of);
    let mut x = MARGIN;
    for c in 0..width_of {
        if c > 0 {
            x += gap_before[c].max(MIN_GAP);
        }
        col_x.push(x);
        x += col_width[c];
    }
    let width = x + MARGIN;
    // Rows: each slot as near the mean height of its left neighbours as the slots above it allow.
    let mut center: BTreeMap<Slot, i32> = BTreeMap::new();
    let height_of = |slot: &Slot| match slot {
        Slot::Node(i) => nodes[*i].height,
        Slot::Pass(_) => PASS_HEIGHT,
    };
    for c in 0..width_of {
        let mut top = MARGIN;
        for slot in &slots[c] {
            let h = height_of(slot);
            let wanted = left_neighbours(*slot, c, &slots, &known, &column)
                .iter()
                .filter_map(|s| center.get(s))
                .copied()
                .collect::<Vec<i32>>();
            let want_top =
                if wanted.is_empty() { top } else { wanted.iter().sum::<i32>() / wanted.len() as i32 - h / 2 };
            let y = want_top.max(top);
            center.insert(*slot, y + h / 2);
            top = y + h + ROW_GAP;
        }
    }
    let boxes: Vec<Placed> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let c = column[i];
            let cy = center[&Slot::Node(i)];
            Placed {
                id: n.id.clone(),
                column: c,
                rect: Rect { x: col_x[c], y: cy - n.height / 2, w: n.width, h: n.height },
            }
        })
        .collect();
    let mut routed: Vec<Routed> = Vec::new();
    for &(k, a, b) in &known {
        let (ra, rb) = (boxes[a].rect, boxes[b].rect);
        let mut points = vec![(ra.x + ra.w, ra.y + ra.h / 2)];
        for c in column[a] + 1..column[b] {
            let y = center[&Slot::Pass(k)];
            points.push((col_x[c], y));
            points.push((col_x[c] + col_width[c], y));
        }
        points.push((rb.x, rb.y + rb.h / 2));
        // The label: centred in the gap before the target, where the last segment crosses its middle.
        let spec = &edges[k];
        let gap_left = col_x[column[b] - 1] + col_width[column[b] - 1];
        let mid_x = (gap_left + rb.x) / 2;
        let (p, q) = (points[points.len() - 2], points[points.len() - 1]);
        let mid_y = if q.0 == p.0 { q.1 } else { p.1 + (q.1 - p.1) * (mid_x - p.0) / (q.0 - p.0) };
        let label = Rect {
            x: mid_x - spec.label_width / 2,
            y: mid_y - spec.label_height / 2,
            w: spec.label_width,
            h: spec.label_height,
        };
        routed.push(Routed { from: spec.from.clone(), to: spec.to.clone(), points, label });
    }
    separate_labels(&mut routed, &known, &column);
    let bottom = boxes
        .iter()
        .map(|b| b.rect.y + b.rect.h)
        .chain(routed.iter().map(|e| e.label.y + e.label.h))
        .chain(center.values().map(|c| c + PASS_HEIGHT))
        .max()
        .unwrap_or(0);
    Layout { width: width.max(2 * MARGIN), height: bottom + MARGIN, boxes, edges: routed }
}

/// Each node's column: 0 for a node nothing is promoted into, else one more than the furthest of its
/// sources (a longest path). A cycle stops growing after as many rounds as there are nodes.
fn columns(n: usize, edges: &[(usize, usize, usize)]) -> Vec<usize> {
    let mut column = vec![0usize; n];
    for _ in 0..n {
        let mut changed = false;
        for &(_, a, b) in edges {
            if column[b] < column[a] + 1 && column[a] + 1 < n.max(1) {
                column[b] = column[a] + 1;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    column
}

/// The slots of the column before `c` that `slot` is joined to.
fn left_neighbours(
    slot: Slot,
    c: usize,
    slots: &[Vec<Slot>],
    edges: &[(usize, usize, usize)],
    column: &[usize],
) -> Vec<Slot> {
    if c == 0 {
        return Vec::new();
    }
    match slot {
        Slot::Pass(k) => {
            let &(_, a, _) = edges.iter().find(|e| e.0 == k).expect("a pass belongs to an edge");
            vec![if column[a] + 1 == c { Slot::Node(a) } else { Slot::Pass(k) }]
        }
        Slot::Node(b) => edges
            .iter()
            .filter(|e| e.2 == b)
            .map(|&(k, a, _)| if column[a] + 1 == c { Slot::Node(a) } else { Slot::Pass(k) })
            .filter(|s| slots[c - 1].contains(s))
            .collect(),
    }
}

/// The slots of the column after `c` that `slot` is joined to.
fn right_neighbours(
    slot: Slot,
    c: usize,
    slots: &[Vec<Slot>],
    edges: &[(usize, usize, usize)],
    column: &[usize],
) -> Vec<Slot> {
    if c + 1 >= slots.len() {
        return Vec::new();
    }
    slots[c + 1].iter().copied().filter(|s| left_neighbours(*s, c + 1, slots, edges, column).contains(&slot)).collect()
}

/// Orders each column's slots by the mean position of their neighbours, sweeping right then left a few
/// times; a slot with no neighbour on that side keeps its place, and ties keep the order before.
fn order(slots: &mut [Vec<Slot>], edges: &[(usize, usize, usize)], column: &[usize]) {
    for sweep in 0..4 {
        let rightward = sweep % 2 == 0;
        let cols: Vec<usize> =
            if rightward { (1..slots.len()).collect() } else { (0..slots.len().saturating_sub(1)).rev().collect() };
        for c in cols {
            let near = if rightward { c - 1 } else { c + 1 };
            let pos: BTreeMap<Slot, usize> = slots[near].iter().enumerate().map(|(i, s)| (*s, i)).collect();
            let snapshot = slots.to_vec();
            let mut keyed: Vec<(i64, usize, Slot)> = snapshot[c]
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let neighbours = if rightward {
                        left_neighbours(*s, c, &snapshot, edges, column)
                    } else {
                        right_neighbours(*s, c, &snapshot, edges, column)
                    };
                    let ps: Vec<usize> = neighbours.iter().filter_map(|n| pos.get(n)).copied().collect();
                    // Scaled by 1000 so integer keys keep fractions; no neighbour: stay where it is.
                    let key = if ps.is_empty() {
                        (i * 1000) as i64
                    } else {
                        (ps.iter().sum::<usize>() * 1000 / ps.len()) as i64
                    };
                    (key, i, *s)
                })
                .collect();
            keyed.sort();
            slots[c] = keyed.into_iter().map(|(_, _, s)| s).collect();
        }
    }
}

/// Pushes apart the labels that share a gap (the edges ending in one column), top to bottom.
fn separate_labels(routed: &mut [Routed], edges: &[(usize, usize, usize)], column: &[usize]) {
    let mut by_gap: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, &(_, _, b)) in edges.iter().enumerate() {
        by_gap.entry(column[b]).or_default().push(i);
    }
    for members in by_gap.values_mut() {
        members.sort_by_key(|i| (routed[*i].label.y, *i));
        let mut floor = MARGIN;
        for i in members.iter() {
            let label = &mut routed[*i].label;
            label.y = label.y.max(floor);
            floor = label.y + label.h + ROW_GAP / 4;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str) -> NodeSpec {
        NodeSpec { id: id.into(), width: 200, height: 120 }
    }

    fn edge(a: &str, b: &str) -> EdgeSpec {
        EdgeSpec { from: a.into(), to: b.into(), label_width: 150, label_height: 20 }
    }

    #[test]
    fn a_line_is_one_row_left_to_right() {
        let l = layout(&[node("a"), node("b"), node("c")], &[edge("a", "b"), edge("b", "c")]);
        let cols: Vec<usize> = l.boxes.iter().map(|b| b.column).collect();
        assert_eq!(cols, [0, 1, 2]);
        assert!(l.boxes.iter().all(|b| b.rect.y == l.boxes[0].rect.y), "{l:?}");
        assert!(l.overlaps().is_empty(), "{:?}", l.overlaps());
    }

    #[test]
    fn an_edge_across_columns_passes_between_boxes_and_labels_stay_apart() {
        // a -> b -> c -> d, a -> c, b -> d: two edges skip a column.
        let l = layout(
            &[node("a"), node("b"), node("c"), node("d")],
            &[edge("a", "b"), edge("b", "c"), edge("c", "d"), edge("a", "c"), edge("b", "d")],
        );
        assert!(l.overlaps().is_empty(), "{:?}", l.overlaps());
        let skip = l.edges.iter().find(|e| e.from == "a" && e.to == "c").unwrap();
        assert_eq!(skip.points.len(), 4, "it passes through b's column: {skip:?}");
        let b = &l.boxes[1].rect;
        assert!(skip.points[1].1 < b.y || skip.points[1].1 > b.y + b.h, "it runs beside b, not through it");
    }

    #[test]
    fn the_check_sees_collisions() {
        let mut l = layout(&[node("a"), node("b")], &[edge("a", "b")]);
        assert!(l.overlaps().is_empty());
        l.boxes[1].rect = l.boxes[0].rect;
        l.edges[0].label = Rect { x: l.boxes[0].rect.x + 5, y: l.boxes[0].rect.y + 5, w: 10, h: 10 };
        let found = l.overlaps();
        assert!(found.contains(&"boxes `a` and `b` overlap".to_string()), "{found:?}");
        assert!(found.contains(&"the label of a -> b overlaps box `a`".to_string()), "{found:?}");
    }

    #[test]
    fn a_cycle_does_not_hang() {
        let l = layout(&[node("a"), node("b")], &[edge("a", "b"), edge("b", "a")]);
        assert_eq!(l.boxes.len(), 2);
    }
}
