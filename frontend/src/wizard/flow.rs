//! The wizard's step order and navigation rules, as plain data the view renders.

/// The steps of the Azure AD Synchronization wizard (DESIGN §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Organization,
    SignIn,
    SelectObjects,
    Preview,
    DeletedObjects,
    Synchronize,
    Results,
}

impl Step {
    pub fn title(self) -> &'static str {
        match self {
            Step::Organization => "Organization",
            Step::SignIn => "Sign-in",
            Step::SelectObjects => "Select objects",
            Step::Preview => "Preview",
            Step::DeletedObjects => "Deleted objects",
            Step::Synchronize => "Synchronize",
            Step::Results => "Results",
        }
    }
}

/// Position in the wizard plus the options that change which steps exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    current: Step,
    /// "Check deleted objects" adds the Deleted objects step after Preview.
    check_deleted: bool,
    /// A stored organization signed in silently: Back from Select objects returns to
    /// Organization, not to a sign-in that never showed.
    silent_sign_in: bool,
}

impl Default for Flow {
    fn default() -> Self {
        Self {
            current: Step::Organization,
            check_deleted: false,
            silent_sign_in: false,
        }
    }
}

impl Flow {
    pub fn current(&self) -> Step {
        self.current
    }

    pub fn check_deleted(&self) -> bool {
        self.check_deleted
    }

    pub fn set_check_deleted(&mut self, on: bool) {
        self.check_deleted = on;
    }

    /// The steps in order, as the step list shows them.
    pub fn steps(&self) -> Vec<Step> {
        use Step::*;
        let mut steps = vec![Organization, SignIn, SelectObjects, Preview];
        if self.check_deleted {
            steps.push(DeletedObjects);
        }
        steps.extend([Synchronize, Results]);
        steps
    }

    fn index(&self) -> usize {
        self.steps()
            .iter()
            .position(|s| *s == self.current)
            .unwrap_or(0)
    }

    /// Back is possible until the directory is being written: a started sync cannot be unasked.
    pub fn can_go_back(&self) -> bool {
        self.index() > 0 && !matches!(self.current, Step::Synchronize | Step::Results)
    }

    /// Moves forward; `false` at the last step.
    pub fn next(&mut self) -> bool {
        let steps = self.steps();
        match steps.get(self.index() + 1) {
            Some(step) => {
                self.current = *step;
                true
            }
            None => false,
        }
    }

    /// The primary button's word: it says Synchronize where pressing it starts the write.
    pub fn next_label(&self) -> &'static str {
        match self.steps().get(self.index() + 1) {
            Some(Step::Synchronize) => "Synchronize",
            _ => "Next >",
        }
    }

    /// Back to the Preview from Synchronize, whose write was refused because the database
    /// changed since the preview: the Preview plans again when it is shown.
    pub fn replan(&mut self) {
        if self.current == Step::Synchronize {
            self.current = Step::Preview;
        }
    }

    pub fn back(&mut self) -> bool {
        if !self.can_go_back() {
            return false;
        }
        let steps = self.steps();
        self.current = steps[self.index() - 1];
        if self.current == Step::SignIn && self.silent_sign_in {
            self.current = Step::Organization;
        }
        if self.current == Step::Organization {
            self.silent_sign_in = false;
        }
        true
    }

    /// Step 1 → step 2: an interactive sign-in is needed.
    pub fn show_sign_in(&mut self) {
        self.current = Step::SignIn;
        self.silent_sign_in = false;
    }

    /// Step 1 → step 3: the stored organization signed in silently.
    pub fn skip_sign_in(&mut self) {
        self.current = Step::SelectObjects;
        self.silent_sign_in = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_silent_sign_in_is_skipped_both_ways() {
        let mut flow = Flow::default();
        flow.skip_sign_in();
        assert_eq!(flow.current(), Step::SelectObjects);
        assert!(flow.back());
        assert_eq!(flow.current(), Step::Organization);
        flow.show_sign_in();
        assert!(flow.next());
        assert!(flow.back());
        assert_eq!(
            flow.current(),
            Step::SignIn,
            "an interactive sign-in is a real step"
        );
    }

    #[test]
    fn deleted_objects_step_only_with_the_option() {
        let mut flow = Flow::default();
        assert!(!flow.steps().contains(&Step::DeletedObjects));
        flow.set_check_deleted(true);
        assert_eq!(flow.steps()[4], Step::DeletedObjects);
    }

    #[test]
    fn walks_forward_and_stops_going_back_once_synchronizing() {
        use Step::*;
        // The product's order, written out: with Check deleted objects, step 5 comes in between.
        let cases = [
            (
                false,
                vec![
                    Organization,
                    SignIn,
                    SelectObjects,
                    Preview,
                    Synchronize,
                    Results,
                ],
            ),
            (
                true,
                vec![
                    Organization,
                    SignIn,
                    SelectObjects,
                    Preview,
                    DeletedObjects,
                    Synchronize,
                    Results,
                ],
            ),
        ];
        for (check_deleted, expected) in cases {
            let mut flow = Flow::default();
            flow.set_check_deleted(check_deleted);
            assert!(!flow.can_go_back());
            let mut visited = vec![flow.current()];
            while flow.next() {
                visited.push(flow.current());
            }
            assert_eq!(visited, expected, "check deleted: {check_deleted}");
            assert_eq!(flow.steps(), expected);
            assert!(!flow.back(), "no way back from the results");
        }
    }

    #[test]
    fn a_refused_write_returns_to_the_preview_and_nothing_else_does() {
        let mut flow = Flow::default();
        let mut seen = Vec::new();
        loop {
            let before = flow.current();
            flow.replan();
            seen.push((before, flow.current()));
            flow = Flow {
                current: before,
                ..flow
            };
            if !flow.next() {
                break;
            }
        }
        for (before, after) in seen {
            let expected = if before == Step::Synchronize {
                Step::Preview
            } else {
                before
            };
            assert_eq!(after, expected, "replan from {before:?}");
        }
    }

    #[test]
    fn back_returns_to_the_previous_step() {
        let mut flow = Flow::default();
        flow.set_check_deleted(true);
        for _ in 0..4 {
            flow.next();
        }
        assert_eq!(flow.current(), Step::DeletedObjects);
        assert!(flow.back());
        assert_eq!(flow.current(), Step::Preview);
    }

    #[test]
    fn the_button_that_starts_the_write_says_synchronize() {
        for check_deleted in [false, true] {
            let mut flow = Flow::default();
            flow.set_check_deleted(check_deleted);
            flow.skip_sign_in();
            let mut labels = vec![(flow.current(), flow.next_label())];
            while flow.next() {
                labels.push((flow.current(), flow.next_label()));
            }
            let synchronize: Vec<Step> = labels
                .iter()
                .filter(|(_, label)| *label == "Synchronize")
                .map(|(step, _)| *step)
                .collect();
            let last_before_write = if check_deleted {
                Step::DeletedObjects
            } else {
                Step::Preview
            };
            assert_eq!(
                synchronize,
                [last_before_write],
                "check deleted: {check_deleted}"
            );
        }
    }
}
