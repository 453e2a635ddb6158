"""The HTTP API and the supervisors' dashboard (FastAPI, served by ``pilhub serve`` under uvicorn).

Build the application with :func:`hub.api.app.create_app`.
"""
