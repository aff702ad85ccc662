"""Shared domain helpers: identifiers, scoring, detection patterns and package registries.

Pure Python, no Django: every app, the engine (`scans.engine`) and the CLI import from here, so
each concept has one definition. Nothing here imports an app, the engine or the CLI.
"""
