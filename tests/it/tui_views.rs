//! Snapshots of every wizard view over TestBackend at 100x30, 80x24 and 60x20, style checks on
//! key cells (colour is not in the text snapshot), and the SVG screenshots' determinism.

use crate::tui_fixtures::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kwif::engine::{Check, StepError, StepId};
use kwif::profile::Profile;
use kwif::tui::screenshot::{render_buffer, render_svg, write_screenshots};
use kwif::tui::{
    Action, ApplyItemState, ApplyProgress, SetupDefaults, SetupScreen, State, WizardConfig, update,
};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

fn snapshot_all_sizes(name: &str, state: &State) {
    for (width, height) in SIZES {
        let terminal = draw(state, width, height);
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), terminal.backend());
    }
}

/// The drifted rerun with the plans of the steps that need one.
fn drifted_with_plans() -> State {
    drifted()
        .with_plan(hosting_plan())
        .with_plan(federation_plan())
        .with_plan(workload_plan())
        .with_plan_error(
            StepId::Verify,
            StepError::new("verify has nothing to apply", "fix the steps above"),
        )
}

#[test]
fn view_startup_shows_every_step_checking() {
    let mut state = State::new(TITLE, &StepId::ALL).with_profile(Profile::example());
    for step in StepId::ALL {
        state = state.with_checking(step, 3);
    }
    snapshot_all_sizes("startup_checking", &state);
}

#[test]
fn view_rerun_with_drift_selects_the_first_step_to_fix() {
    let state = drifted().with_plan(hosting_plan());
    assert_eq!(state.selected_step(), Some(StepId::Hosting));
    snapshot_all_sizes("rerun_drifted", &state);
}

#[test]
fn view_of_each_step_opened() {
    for step in StepId::ALL {
        let state = drifted_with_plans().with_selected(step).with_detail_focus();
        snapshot_all_sizes(&format!("step_{step}"), &state);
    }
}

#[test]
fn view_broken_hosting_diagnosis_names_the_path_typo_and_the_content_type() {
    let state = broken_hosting();
    assert_eq!(state.selected_step(), Some(StepId::Hosting));
    snapshot_all_sizes("broken_hosting", &state);
    let text = draw(&state, 100, 30).backend().to_string();
    assert!(
        text.contains("DISCOVERY_HTTP_STATUS") && text.contains("oidc-configuration"),
        "{text}"
    );
}

#[test]
fn view_everything_ok() {
    let checks = StepId::ALL
        .into_iter()
        .map(|step| (step, Check::ok()))
        .collect();
    let state = State::from_checks(TITLE, checks)
        .with_profile(Profile::example())
        .with_log_done("applied workload: 1 change");
    snapshot_all_sizes("all_ok", &state);
}

#[test]
fn view_help_overlay() {
    snapshot_all_sizes("help", &drifted().with_help());
}

#[test]
fn view_apply_confirmation_shows_the_diff() {
    let state = drifted_with_plans().with_apply_confirmation(StepId::Workload);
    snapshot_all_sizes("confirm_apply", &state);
    let text = draw(&state, 100, 30).backend().to_string();
    assert!(
        text.contains("+            - name: AZURE_FEDERATED_TOKEN_FILE"),
        "{text}"
    );
}

#[test]
fn view_apply_confirmation_while_planning() {
    snapshot_all_sizes(
        "confirm_apply_planning",
        &drifted().with_apply_confirmation(StepId::Federation),
    );
}

#[test]
fn view_apply_all_confirmation_lists_steps_and_change_counts() {
    let state = drifted_with_plans().with_apply_all_confirmation();
    snapshot_all_sizes("confirm_apply_all", &state);
}

#[test]
fn view_apply_progress() {
    let mut progress = ApplyProgress::new(
        [StepId::Hosting, StepId::Federation, StepId::Workload],
        Vec::new(),
    );
    progress.set(StepId::Hosting, ApplyItemState::Applied { changes: 1 });
    progress.set(StepId::Federation, ApplyItemState::Applying);
    let state = drifted_with_plans().with_apply_progress(progress);
    snapshot_all_sizes("applying", &state);
}

#[test]
fn view_edit_form() {
    let state = drifted()
        .with_selected(StepId::Workload)
        .with_edit_form(StepId::Workload);
    snapshot_all_sizes("edit_workload", &state);
}

#[test]
fn view_edit_form_with_a_second_workload_added_by_ctrl_n() {
    let mut state = drifted()
        .with_selected(StepId::Workload)
        .with_edit_form(StepId::Workload);
    let press = |state: &mut State, code: KeyCode, modifiers: KeyModifiers| {
        update(state, Action::Key(KeyEvent::new(code, modifiers)));
    };
    let type_text = |state: &mut State, text: &str| {
        for c in text.chars() {
            press(state, KeyCode::Char(c), KeyModifiers::NONE);
        }
    };
    press(&mut state, KeyCode::Char('n'), KeyModifiers::CONTROL);
    type_text(&mut state, "application2");
    press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    type_text(&mut state, "worker-sa");
    press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    type_text(&mut state, "s");
    press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    type_text(&mut state, "worker");
    snapshot_all_sizes("edit_two_workloads", &state);
}

#[test]
fn view_first_run_form() {
    let defaults = SetupDefaults {
        context: Some("my-k0s".into()),
        ..SetupDefaults::default()
    };
    let screen = SetupScreen::new(
        &defaults,
        &WizardConfig::new("kwif — first run").with_color(true),
    );
    for (width, height) in SIZES {
        let Ok(mut terminal) = Terminal::new(TestBackend::new(width, height));
        let Ok(_) = terminal.draw(|frame| screen.render(frame));
        insta::assert_snapshot!(format!("first_run_{width}x{height}"), terminal.backend());
    }
}

// ---- styles (not in the text snapshots) -----------------------------------------------------

/// Where `text` starts in the buffer.
fn find(buffer: &Buffer, text: &str) -> (u16, u16) {
    let width = buffer.area.width;
    for y in 0..buffer.area.height {
        let row: Vec<&str> = (0..width).map(|x| buffer[(x, y)].symbol()).collect();
        let line = row.concat();
        if let Some(byte) = line.find(text) {
            let x = line[..byte].chars().count() as u16;
            return (x, y);
        }
    }
    panic!("{text:?} not on screen");
}

#[test]
fn statuses_pair_colour_with_symbol_and_word() {
    let buffer = render_buffer(&drifted(), 100, 30);
    let expected = [
        ("✓ ok", Color::Green),
        ("~ drift", Color::Yellow),
        ("✗ error", Color::Red),
    ];
    for (text, color) in expected {
        let (x, y) = find(&buffer, text);
        for offset in 0..text.chars().count() as u16 {
            let cell = &buffer[(x + offset, y)];
            assert_eq!(cell.fg, color, "{text} at {x},{y}");
            assert!(cell.modifier.contains(Modifier::BOLD), "{text}");
        }
    }
}

#[test]
fn the_selected_step_is_reversed_not_only_coloured() {
    let buffer = render_buffer(&drifted(), 100, 30);
    let (x, y) = find(&buffer, "▶ hosting");
    assert!(buffer[(x, y)].modifier.contains(Modifier::REVERSED));
    assert!(
        buffer[(x + 13, y)].modifier.contains(Modifier::REVERSED),
        "the status of the selected row too"
    );
}

#[test]
fn diff_lines_are_green_and_red() {
    let state = drifted_with_plans()
        .with_selected(StepId::Federation)
        .with_detail_focus();
    let buffer = render_buffer(&state, 100, 30);
    let (x, y) = find(
        &buffer,
        "+subject: system:serviceaccount:application1:application1-sa",
    );
    assert_eq!(buffer[(x, y)].fg, Color::Green);
    assert_eq!(buffer[(x + 10, y)].fg, Color::Green);
    let (x, y) = find(
        &buffer,
        "-subject: system:serviceaccount:application1:default",
    );
    assert_eq!(buffer[(x, y)].fg, Color::Red);
    let (x, y) = find(&buffer, "@@ ");
    assert_eq!(buffer[(x, y)].fg, Color::Cyan);
}

#[test]
fn no_color_keeps_symbols_words_bold_and_reverse() {
    let state = drifted_with_plans()
        .with_selected(StepId::Federation)
        .with_color(false);
    let buffer = render_buffer(&state, 100, 30);
    for cell in buffer.content() {
        assert_eq!(
            (cell.fg, cell.bg),
            (Color::Reset, Color::Reset),
            "no colour anywhere: {cell:?}"
        );
    }
    let (x, y) = find(&buffer, "✗ error");
    assert!(buffer[(x, y)].modifier.contains(Modifier::BOLD));
    let (x, y) = find(&buffer, "▶ federation");
    assert!(buffer[(x, y)].modifier.contains(Modifier::REVERSED));
    let coloured = draw(&state.clone().with_color(true), 100, 30)
        .backend()
        .to_string();
    assert_eq!(
        draw(&state, 100, 30).backend().to_string(),
        coloured,
        "the same text with and without colour"
    );
}

// ---- screenshots ------------------------------------------------------------------------------

#[test]
fn screenshots_are_deterministic_svg_with_the_step_names_and_colours() {
    let state = drifted_with_plans();
    let svg = render_svg(&state, 100, 30);
    assert_eq!(svg, render_svg(&state, 100, 30), "byte for byte");
    assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
    for step in StepId::ALL {
        assert!(svg.contains(step.as_str()), "{step}");
    }
    assert!(svg.contains("fill: #"), "colours are kept");
}

#[test]
fn write_screenshots_writes_one_svg_per_view() {
    let dir = tempfile::tempdir().unwrap();
    let shots = [
        ("rerun", drifted()),
        ("help", drifted().with_help()),
        ("hosting", broken_hosting()),
    ];
    let written = write_screenshots(&shots, dir.path(), 100, 30).unwrap();
    assert_eq!(written.len(), 3);
    for (path, (name, state)) in written.iter().zip(&shots) {
        assert_eq!(
            path.file_name().unwrap().to_str().unwrap(),
            format!("{name}.svg")
        );
        assert_eq!(
            std::fs::read_to_string(path).unwrap(),
            render_svg(state, 100, 30)
        );
    }
}
