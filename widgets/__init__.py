"""The Qt layer: the window and its panels, subscribed to the Qt-free core in studio/."""
import pyqtgraph as _pg

# Once for every view: (H, W) arrays as images are stored, light theme, fast non-antialiased lines.
_pg.setConfigOptions(imageAxisOrder="row-major", antialias=False, background="w", foreground="k")
