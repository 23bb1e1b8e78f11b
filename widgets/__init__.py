"""The Qt layer: the window and its panels, subscribed to the Qt-free core in studio/."""
