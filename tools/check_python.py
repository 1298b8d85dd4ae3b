"""Say clearly what is missing before `make` tries to build a virtual environment."""

import importlib.util
import sys

if sys.version_info < (3, 11):
    sys.exit(
        f"Descent needs Python 3.11 or newer; `{sys.executable}` is {sys.version.split()[0]}.\n"
        "Install a newer Python, or point make at one: make book PYTHON=python3.12"
    )
if importlib.util.find_spec("ensurepip") is None:
    sys.exit(
        f"`{sys.executable} -m venv` cannot install pip here (ensurepip is missing).\n"
        "On Debian or Ubuntu: sudo apt install python3-venv"
    )
