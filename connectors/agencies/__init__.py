"""One declarative file per agency system; registered in :mod:`connectors.registry`."""
