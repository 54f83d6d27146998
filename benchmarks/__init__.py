"""Benchmarks of the Artemis registry server: open-loop load generator, raw-ASGI ceiling, runner.

Run ``python -m benchmarks.run --help``. Nothing here is imported by the server or by the test suite
(except the smoke test, which runs the runner with tiny numbers).
"""
