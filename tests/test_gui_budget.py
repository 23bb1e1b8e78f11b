"""Runs that end (issue 13): a step budget stops the run by itself, saves it, says why in the banner and
the status bar, and notifies; the budget dialog refuses a bad value; a failed run notifies as an error."""
from studio.budget import Budget
from widgets.budget_dialog import BudgetDialog


def test_a_step_budget_stops_the_run_saves_and_notifies(window, qtbot):
    window.set_budget(Budget(steps=7))
    assert window.lbl_budget.text() == "next run: 7 steps"
    window.start()
    qtbot.waitUntil(lambda: window.state == "idle" and window.run is not None and not window.run.is_running(),
                    timeout=60000)
    qtbot.waitUntil(lambda: window.lbl_step.text() == "step 7", timeout=5000)  # the last status, drawn in its budget
    assert window.banner.text().startswith("Training finished: 7 steps trained (run budget). Session saved in ")
    assert window.session_path in window.banner.text()
    assert window.lbl_state.text() == "finished"
    assert window.lbl_budget.text().startswith("budget 7 steps")
    (title, text, error), = window.notifier.sent
    assert title == "Training finished" and "7 steps trained (run budget)" in text and not error
    from studio.session.reader import SessionReader
    with SessionReader(window.session_path) as r:
        assert r.last_step() == 7                        # saved, as a Stop saves


def test_a_stopped_run_does_not_notify_and_a_failed_one_does(window, qtbot, monkeypatch):
    window.start()
    qtbot.waitUntil(lambda: window.state == "running" and window.status_labels.last_status is not None, timeout=60000)
    window.stop()
    qtbot.waitUntil(lambda: window.state == "idle", timeout=60000)
    assert window.notifier.sent == [] and window.lbl_state.text() == "stopped"
    window.set_budget(Budget(metric="no_such_metric", value=1.0))
    window.start()
    qtbot.waitUntil(lambda: window.state == "idle" and bool(window.notifier.sent), timeout=60000)
    title, text, error = window.notifier.sent[-1]
    assert title == "Training failed" and error and "not a metric of this model" in text and "loss_d" in text
    assert window.lbl_state.text() == "failed"


def test_the_budget_dialog_refuses_bad_values(qtbot):
    dialog = BudgetDialog(Budget(), ["loss_d", "loss_g"])
    qtbot.addWidget(dialog)
    dialog.form.editors["minutes"].setText("-3")
    dialog._accept()
    assert "minutes" in dialog.error.text() and dialog.result() == 0
    dialog.form.editors["minutes"].setText("2")
    dialog.form.editors["metric"].setText("loss_x")
    dialog._accept()
    assert "not a metric" in dialog.error.text()
    dialog.form.editors["metric"].setText("loss_g")
    dialog.form.editors["value"].setText("0.7")
    dialog._accept()
    assert dialog.result() == 1 and dialog.budget == Budget(minutes=2.0, metric="loss_g", value=0.7)
