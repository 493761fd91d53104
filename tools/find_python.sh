#!/usr/bin/env bash
# Print the path of a Python that Rasa 3.6 supports (3.8 to 3.10, 3.10 preferred):
# first on PATH, then under pyenv. Exit 1 with advice when there is none.
set -u

supported() {  # prints the interpreter's path if its version is 3.8-3.10
  "$1" -c 'import sys; sys.exit(0 if (3, 8) <= sys.version_info[:2] <= (3, 10) else 1)' \
    >/dev/null 2>&1 && "$1" -c 'import sys; print(sys.executable)'
}

for minor in 10 9 8; do
  if command -v "python3.$minor" >/dev/null 2>&1; then
    supported "$(command -v "python3.$minor")" && exit 0
  fi
done
command -v python3 >/dev/null 2>&1 && supported "$(command -v python3)" && exit 0

pyenv_root="${PYENV_ROOT:-}"
[ -z "$pyenv_root" ] && command -v pyenv >/dev/null 2>&1 && pyenv_root="$(pyenv root 2>/dev/null)"
[ -z "$pyenv_root" ] && pyenv_root="$HOME/.pyenv"
for minor in 10 9 8; do
  for candidate in $(ls -d "$pyenv_root"/versions/3."$minor".* 2>/dev/null | sort -rV); do
    [ -x "$candidate/bin/python" ] && supported "$candidate/bin/python" && exit 0
  done
done

cat >&2 <<'MSG'
error: no Python 3.8-3.10 found (Rasa 3.6 does not run on 3.11 or newer).
Install Python 3.10 and run the command again, for example:
  pyenv install 3.10.13                    (with pyenv), or
  sudo apt-get install python3.10-venv     (Debian/Ubuntu with python3.10 available), or
  download 3.10 from https://www.python.org/downloads/
MSG
exit 1
