//! Loom models of the cancel tree: a cancellation racing a child's registration and its first
//! poll on another thread, a shield switched while an outer cancellation propagates, a child
//! ending while its siblings are being cancelled, a child ending as its group is dropped, and a
//! group's node dropped out of the tree while a child links below it. In every interleaving the status
//! ends right, no wake-up is lost (a lost one parks a thread forever, which loom reports as a
//! deadlock), and no lock order deadlocks.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test -p anyio-core --lib --release tree::loom_tests`.

use std::task::{Wake, Waker};

use loom::thread;

use super::{Kind, Node, NodeRef, Sources};

/// Wakes by unparking the loom thread that waits on a node.
struct Unpark(thread::Thread);

impl Wake for Unpark {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.unpark();
    }
}

fn unpark_me() -> Waker {
    Waker::from(std::sync::Arc::new(Unpark(thread::current())))
}

/// What a task's poll loop does with its node: register, and park until the node is
/// cancelled. Returns once it has seen the cancellation.
fn wait_until_cancelled(node: &NodeRef) {
    let waker = unpark_me();
    while !node.register(&waker) {
        thread::park();
    }
}

fn node(kind: Kind) -> NodeRef {
    Node::new(kind, Sources::default())
}

/// What the owners do when they finish: take their nodes out of the tree, innermost first
/// (a node left linked keeps a reference cycle with its parent, which loom reports as a leak).
fn finish(nodes: &[&NodeRef]) {
    for node in nodes {
        node.unlink();
    }
}

#[test]
fn a_cancel_racing_a_childs_link_and_first_poll_reaches_it() {
    loom::model(|| {
        let group = node(Kind::Group);
        Node::link(&group, None);
        let canceller = {
            let group = group.clone();
            thread::spawn(move || group.cancel(None))
        };
        // Spawn: the child's node is linked, then the child is first polled on this thread.
        let child = Node::new_linked(Kind::Task, Sources::default(), &group);
        wait_until_cancelled(&child);
        canceller.join().unwrap();
        assert!(child.is_effective());
        child.exit_task();
        assert_eq!(group.child_count(), 0);
        group.unlink();
    });
}

#[test]
fn a_grandchild_linked_during_propagation_is_reached() {
    loom::model(|| {
        let root = node(Kind::Scope);
        Node::link(&root, None);
        let group = node(Kind::Group);
        Node::link(&group, Some(&root));
        let canceller = {
            let root = root.clone();
            thread::spawn(move || root.cancel(None))
        };
        let child = Node::new_linked(Kind::Task, Sources::default(), &group);
        // A scope entered in the child: the general link, as for a `CancelScope`.
        let grandchild = node(Kind::Scope);
        Node::link(&grandchild, Some(&child));
        wait_until_cancelled(&grandchild);
        canceller.join().unwrap();
        assert!(group.is_effective() && child.is_effective());
        finish(&[&grandchild]);
        child.exit_task();
        finish(&[&group]);
    });
}

#[test]
fn a_shield_switched_while_an_outer_cancel_propagates_ends_consistent() {
    loom::model(|| {
        let outer = node(Kind::Scope);
        Node::link(&outer, None);
        let middle = node(Kind::Scope);
        Node::link(&middle, Some(&outer));
        let leaf = node(Kind::Task);
        Node::link(&leaf, Some(&middle));
        let canceller = {
            let outer = outer.clone();
            thread::spawn(move || outer.cancel(None))
        };
        let shielder = {
            let middle = middle.clone();
            thread::spawn(move || {
                middle.set_shield(true);
                middle.set_shield(false);
                middle.set_shield(true);
            })
        };
        canceller.join().unwrap();
        shielder.join().unwrap();
        // Whatever the interleaving, the last shield setting holds below it.
        assert!(outer.is_effective());
        assert!(!middle.is_effective(), "the shield is on at the end");
        assert!(!leaf.is_effective());
        finish(&[&leaf, &middle]);
    });
}

#[test]
fn a_shield_switched_off_lets_the_outer_cancel_through() {
    loom::model(|| {
        let outer = node(Kind::Scope);
        Node::link(&outer, None);
        let middle = Node::new(
            Kind::Scope,
            Sources {
                shield: true,
                ..Sources::default()
            },
        );
        Node::link(&middle, Some(&outer));
        let leaf = node(Kind::Task);
        Node::link(&leaf, Some(&middle));
        let canceller = {
            let outer = outer.clone();
            thread::spawn(move || outer.cancel(None))
        };
        let unshield = {
            let middle = middle.clone();
            thread::spawn(move || middle.set_shield(false))
        };
        wait_until_cancelled(&leaf);
        canceller.join().unwrap();
        unshield.join().unwrap();
        assert!(middle.is_effective());
        finish(&[&leaf, &middle]);
    });
}

#[test]
fn a_child_ending_while_its_siblings_are_cancelled_leaves_cleanly() {
    loom::model(|| {
        let group = node(Kind::Group);
        Node::link(&group, None);
        let children: Vec<_> = (0..2)
            .map(|_| Node::new_linked(Kind::Task, Sources::default(), &group))
            .collect();
        let canceller = {
            let group = group.clone();
            thread::spawn(move || group.cancel(None))
        };
        // The first child ends while the cancellation is on its way.
        let ender = {
            let (child, group) = (children[0].clone(), group.clone());
            thread::spawn(move || child.exit_task())
        };
        wait_until_cancelled(&children[1]);
        canceller.join().unwrap();
        ender.join().unwrap();
        children[1].exit_task();
        assert_eq!(group.child_count(), 0);
        // The group ends: its ended children are swept out, which breaks their cycles.
        group.unlink();
    });
}

#[test]
fn a_child_ending_as_its_group_is_dropped_leaves_no_cycle() {
    loom::model(|| {
        let group = node(Kind::Group);
        Node::link(&group, None);
        let child = Node::new_linked(Kind::Task, Sources::default(), &group);
        let dropper = {
            let group = group.clone();
            thread::spawn(move || {
                group.cancel(None);
                group.unlink();
            })
        };
        // The child ends while its group's future is dropped: the group's end takes its
        // children out of the tree either way (loom reports a cycle left behind as a leak).
        child.exit_task();
        dropper.join().unwrap();
        assert_eq!(group.child_count(), 0);
    });
}

#[test]
fn a_group_dropped_out_of_the_tree_while_a_child_links_below_it() {
    loom::model(|| {
        let scope = node(Kind::Scope);
        Node::link(&scope, None);
        let group = node(Kind::Group);
        Node::link(&group, Some(&scope));
        // Dropping the group's future: cancel its node and take it out of the tree, while a
        // child spawned from another thread links below it.
        let dropper = {
            let group = group.clone();
            thread::spawn(move || {
                group.cancel(None);
                group.unlink();
            })
        };
        let child = Node::new_linked(Kind::Task, Sources::default(), &group);
        wait_until_cancelled(&child);
        dropper.join().unwrap();
        child.exit_task();
        assert_eq!(scope.child_count(), 0);
        assert_eq!(group.child_count(), 0);
    });
}
