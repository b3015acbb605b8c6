# Sourced by bin/run and bin/test: make .venv with Python 3.11+ and install
# the given requirements file into it, once per change of that file.
set -euo pipefail
requirements_file=$1
python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "venue_portal needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "Creating the virtual environment in .venv ..."
  "$python" -m venv .venv
fi
stamp=.venv/.installed-$(basename "$requirements_file")
if [ ! -f "$stamp" ] || ! cmp -s "$stamp" <(cat requirements*.txt); then
  echo "Installing packages from $requirements_file ..."
  .venv/bin/python -m pip install -qq --disable-pip-version-check -r "$requirements_file"
  cat requirements*.txt > "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
