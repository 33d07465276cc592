"""Learning a new task: the tasks and their honest evaluation sets, the strategies (what is frozen when), the
training engine and what it produces (typed results), evaluation, the data-efficiency sweep, what a run costs,
and the personal digit model.

Imports `inside`, `models`, `storage`, `data` and the root modules; never `classroom`.
"""
