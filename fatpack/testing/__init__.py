"""`fatpack test`: the project's own tests run against every (target, Python) cell an artifact carries,
each on a real interpreter of that platform, from Linux.

- `cells`: what an artifact carries, as cells to run (`Cell`), and which interpreter version each takes;
- `command`: the project's test command, said for one interpreter;
- `environments`: the `Environment` protocol (a fresh place to install into and run in) and what a
  cell's run came to (`CellResult`);
- `linux`: a venv of a CPython found on this machine (`interpreters.find_interpreter`);
- `wine`: python.org's embeddable CPython for Windows, provisioned into the user cache, under Wine;
- `session`: the orchestrating function, `run_cells`, and the report (table, JSON).
"""
