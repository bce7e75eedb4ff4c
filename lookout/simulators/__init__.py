"""Demo targets: small aiohttp apps that behave like the systems Lookout watches.

Each simulator is a state model (defaults green), endpoint handlers that only read that
model, and faults switched on and off through the shared control API (`/_sim/faults`)
and CLI in `lookout.simulators.common`. docs/simulators.md shows how to add one.
"""
