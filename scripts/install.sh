#!/usr/bin/env bash
# Installs a built tracemark command (make install): the binary in PREFIX/bin, the templates in
# PREFIX/share/tracemark/Templates (where the installed command finds them), the udev rules and the
# systemd unit (its paths pointed at PREFIX) under DESTDIR/etc. Run as root for the default prefix.
# Usage: scripts/install.sh BINARY [PREFIX] (DESTDIR from the environment, as make passes it)
set -euo pipefail
binary=${1:?usage: install.sh BINARY [PREFIX]}
prefix=${2:-/usr/local}
destdir=${DESTDIR:-}
here=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$binary" ] || { echo "install.sh: $binary is not a built tracemark command" >&2; exit 1; }
install -D -m 755 "$binary" "$destdir$prefix/bin/tracemark"
rm -rf "$destdir$prefix/share/tracemark/Templates"
mkdir -p "$destdir$prefix/share/tracemark"
cp -R "$here/Templates" "$destdir$prefix/share/tracemark/Templates"
install -D -m 644 "$here/README.md" "$destdir$prefix/share/doc/tracemark/README.md"
install -D -m 644 "$here/udev/70-tracemark.rules" "$destdir/etc/udev/rules.d/70-tracemark.rules"
mkdir -p "$destdir/etc/systemd/system"
sed -e "s|/opt/tracemark/bin/|$prefix/bin/|g" \
    -e "s|/opt/tracemark/Templates|$prefix/share/tracemark/Templates|g" \
    -e "s|file:///opt/tracemark/README.md|file://$prefix/share/doc/tracemark/README.md|g" \
    "$here/systemd/tracemark.service" > "$destdir/etc/systemd/system/tracemark.service"
echo "installed $prefix/bin/tracemark (templates in $prefix/share/tracemark/Templates, udev rules and systemd unit under ${destdir:-}/etc)"
