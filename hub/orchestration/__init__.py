"""Running the hub on Apache Airflow: environment, task entry points, DAG runs.

The DAG files in ``dags/`` stay thin: they declare schedules, assets, retries and
timeouts, and call :mod:`hub.orchestration.tasks`, which calls the same functions as
the ``pilhub`` command line.
"""
