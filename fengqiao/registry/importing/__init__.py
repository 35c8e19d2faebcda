"""Bulk import of registry records from the stations' spreadsheets (CSV or XLSX).

``readers`` (encodings, formats), ``columns`` (headers and templates), ``values`` (the
spreadsheets' words), ``base`` (rows, look-ups, bulk writes), one module per kind of record,
``errors`` (the rejected rows and the error file) and ``runner`` (chunks, checkpoints, resume,
the summary and its audit entry). Entry point: ``runner.run_import``.
"""
