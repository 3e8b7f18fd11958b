"""`python -m driftless_emulator`: the same as tests/emulator/run once the venv exists."""

from .server import main

main()
