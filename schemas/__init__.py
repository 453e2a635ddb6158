"""pilhub's data contract: validators, record models, batch expectations and the published schemas.

Entry points (import the submodules; this package imports nothing heavy):

* :mod:`schemas.identifiers`, :mod:`schemas.values`, :mod:`schemas.text` — value validators,
  each raising :class:`schemas.errors.InvalidValue` (``code``, ``zh``, ``en``);
* :mod:`schemas.registry` — ``RECORD_KINDS``, ``get_model(kind)``, ``personal_data_fields(kind)``;
* :mod:`schemas.validation` — ``validate_records(kind, rows)`` and ``field_errors(exc)``;
* :mod:`schemas.expectations` — ``validate_batch(kind, frame, previous_row_count)`` (Great Expectations);
* :mod:`schemas.export` — ``export_schemas(out_dir)``; :mod:`schemas.compat` — ``breaking_changes``.
"""
