"""Entry point: the frame every page shares and the router (both in ui/frame.py). Run with `make run`."""

from ui.frame import run_app

run_app()
