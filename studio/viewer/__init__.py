"""The viewer's Qt-free model (issue 13's design step): what the window shows, owned here, and the views
subscribed to it. Plan and progress: docs/design/viewer-state-plan.md."""
