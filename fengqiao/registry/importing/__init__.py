"""Bulk import of registry records from the stations' spreadsheets (CSV or XLSX), on the machinery
every import shares (``fengqiao.core.importing``: readers, header matching, rejected rows, the
error file, the summary and the audit entry).

``columns`` (each kind's columns and templates), ``base`` (the import's context, look-ups and
writes), one module per kind of record, and ``runner`` (chunks, checkpoints, resume, the batch).
The rules are the registry's own (``fengqiao.registry.rules``, the validators). Entry point:
``runner.run_import``.
"""
