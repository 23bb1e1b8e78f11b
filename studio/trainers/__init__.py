"""Trainers: plain objects driven one step at a time by studio.runner."""
