"""The template's own Python: code that runs outside copier (copier never needs ``--trust``).

Tests, docs and benchmarks share these helpers: the answer schema, the answer-space matrix,
interpreter discovery and the generated Jinja data files.
"""
