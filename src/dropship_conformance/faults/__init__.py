"""Deliberately broken servers: the harness's own evidence that it catches faults.

A fault wraps the reference sandbox in an ASGI middleware that rewrites one kind of request or
response so that exactly one documented requirement no longer holds. Running the harness
against each fault (``dropship-conformance faults``) must fail the run with that requirement's id;
running it against no fault must pass.
"""
