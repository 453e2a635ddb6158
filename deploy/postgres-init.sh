#!/bin/bash
# The hub store lives beside Airflow's metadata in the same PostgreSQL, in its own database.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE USER pilhub WITH PASSWORD '${POSTGRES_PASSWORD}';
CREATE DATABASE pilhub OWNER pilhub;
SQL
