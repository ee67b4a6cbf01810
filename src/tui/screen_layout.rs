//! Where each pane goes for a terminal size: side by side from 70 columns, stacked below that
//! (steps in two columns); the log shrinks and then disappears on short terminals. Shared by render and mouse hit tests.

use ratatui::layout::{Constraint, Layout, Rect};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScreenLayout {
    pub title: Rect,
    pub steps: Rect,
    pub detail: Rect,
    pub log: Rect,
    pub hints: Rect,
    /// 2 when stacked on a terminal wide enough: three rows of two steps save the detail pane room.
    pub step_columns: u16,
}

impl ScreenLayout {
    /// Below this width the step list sits above the detail pane.
    pub const SIDE_BY_SIDE: u16 = 70;
    /// The width one step row needs: marker, id and the longest status.
    pub const STEP_COLUMN: u16 = 25;

    pub fn new(area: Rect) -> ScreenLayout {
        let side_by_side = area.width >= Self::SIDE_BY_SIDE;
        let log_height = match (area.height, side_by_side) {
            (28.., true) => 5,
            (20.., _) => 4,
            (16.., _) => 3,
            _ => 0,
        };
        let [title, main, log, hints] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(log_height),
            Constraint::Length(1),
        ])
        .areas(area);
        let step_columns = if side_by_side || area.width < 2 * Self::STEP_COLUMN {
            1
        } else {
            2
        };
        let [steps, detail] = if side_by_side {
            let width = if area.width >= 100 { 30 } else { 28 };
            Layout::horizontal([Constraint::Length(width), Constraint::Fill(1)]).areas(main)
        } else {
            // The six steps in `step_columns` columns, plus two borders; the detail gets the rest.
            let rows = 6_u16.div_ceil(step_columns) + 2;
            Layout::vertical([Constraint::Length(rows), Constraint::Fill(1)]).areas(main)
        };
        ScreenLayout {
            title,
            steps,
            detail,
            log,
            hints,
            step_columns,
        }
    }

    /// Rows each step takes: two (its status, then its most important finding) when the list
    /// stands beside the detail pane with room for both and the selected step's title.
    pub fn rows_per_step(&self, count: usize) -> u16 {
        let inner = self.steps_inner();
        if self.step_columns == 1 && usize::from(inner.height) >= 2 * count + 2 {
            2
        } else {
            1
        }
    }

    /// Where the `index`th of the steps goes inside the steps pane (its rows).
    pub fn step_row(&self, index: usize, count: usize) -> Rect {
        let inner = self.steps_inner();
        let rows = self.rows_per_step(count);
        let per_column = count.div_ceil(self.step_columns as usize).max(1);
        let column = (index / per_column) as u16;
        let row = (index % per_column) as u16 * rows;
        let width = inner.width / self.step_columns;
        Rect::new(inner.x + column * width, inner.y + row, width, rows).intersection(inner)
    }

    /// Inner size (without borders) of the detail pane.
    pub fn detail_inner(&self) -> Rect {
        inner(self.detail)
    }

    pub fn steps_inner(&self) -> Rect {
        inner(self.steps)
    }
}

fn inner(area: Rect) -> Rect {
    Rect::new(
        area.x.saturating_add(1),
        area.y.saturating_add(1),
        area.width.saturating_sub(2),
        area.height.saturating_sub(2),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_by_side_from_70_columns_and_stacked_in_two_columns_below() {
        let wide = ScreenLayout::new(Rect::new(0, 0, 80, 24));
        assert_eq!(
            (wide.steps.width, wide.step_columns, wide.detail.x),
            (28, 1, 28)
        );
        let narrow = ScreenLayout::new(Rect::new(0, 0, 60, 20));
        assert_eq!((narrow.steps.height, narrow.step_columns), (5, 2));
        assert_eq!(narrow.step_row(3, 6), Rect::new(30, 2, 29, 1));
    }

    #[test]
    fn tiny_terminals_keep_every_row_inside_the_screen() {
        for (width, height) in [(20, 5), (1, 1), (0, 0), (49, 10)] {
            let area = Rect::new(0, 0, width, height);
            let layout = ScreenLayout::new(area);
            for index in 0..6 {
                let row = layout.step_row(index, 6);
                assert!(
                    row.is_empty() || area.contains(row.as_position()),
                    "{width}x{height} {row:?}"
                );
            }
        }
    }
}
