"""The case registry: what the procuratorate's case system exports, and its import."""
