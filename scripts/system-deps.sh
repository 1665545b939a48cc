#!/usr/bin/env bash
# System packages saidao needs beyond PyPI: LibreOffice (reads .doc/.wps/.rtf)
# and CJK fonts (LibreOffice renders the PDF fixtures with them; scan set 2 draws with them); Chromium drives
# the web interface's browser tests.
# Idempotent; does nothing when they are already there.
set -euo pipefail
need=()
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-writer-nogui)
fc-list 2>/dev/null | grep -qi "wenquanyi" || need+=(fonts-wqy-microhei fonts-wqy-zenhei)
# AR PL UMing / UKai: the Ming and Kai faces of scan set 2 (tests/fixtures/scan_set2/make.py)
[ -f /usr/share/fonts/truetype/arphic/uming.ttc ] || need+=(fonts-arphic-uming)
[ -f /usr/share/fonts/truetype/arphic/ukai.ttc ] || need+=(fonts-arphic-ukai)
[ -x /usr/bin/chromium ] || need+=(chromium)  # browser tests of the web interface (Playwright)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != "0" ]; then SUDO=sudo; else SUDO=; fi
echo "安装系统依赖 / installing system packages: ${need[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
