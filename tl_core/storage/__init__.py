"""What is kept: workspaces (samples, runs, models, corrections) in SQLite, zip export and import, curves and
model cards as files, auto-fill from the renderer, and the `workspace` command.

`workspace` is the way in (`WorkspaceStore`; it also gathers the public names of `contents`, `database`,
`names` and `errors`); `exchange` exports and imports the zip that `archive` describes and checks.

Imports `data` and the root modules only.
"""
