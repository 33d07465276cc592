"""Many students on one server: the fair training queue (jobs), runs kept in workspaces and the work jobs do
(experiments), lessons and their links, and the warm-up done at start-up.

The top layer: may import every other part of tl_core; nothing in tl_core imports it.
"""
