"""The session file: one HDF5 file per run holding config, every metric point, snapshots and checkpoints."""
