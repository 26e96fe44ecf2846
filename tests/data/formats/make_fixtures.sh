#!/bin/sh
# Regenerates the LibreOffice fixtures of tests/test_formats.py from the seed articles, and copies the
# third-party PDF. Needs LibreOffice Writer (Debian: apt-get install libreoffice-writer-nogui).
# Run from the repository root: sh tests/data/formats/make_fixtures.sh
set -eu

out=tests/data/formats
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A profile of its own, so that a LibreOffice already running (or another run of this script) is not disturbed.
profile="file://$work/profile"

cp seeds/000_2b36652c92daeb7e.txt "$work/seed-000.txt"
cp seeds/001_2e5ae490be6e9ced.txt "$work/seed-001.txt"
# About 20 pages: both seed articles, ten times over.
for _ in 1 2 3 4 5 6 7 8 9 10; do
    cat seeds/000_2b36652c92daeb7e.txt seeds/001_2e5ae490be6e9ced.txt
done > "$work/long-20-pages.txt"

soffice -env:UserInstallation="$profile" --headless --convert-to pdf --outdir "$out" \
    "$work/seed-000.txt" "$work/seed-001.txt" "$work/long-20-pages.txt"
soffice -env:UserInstallation="$profile" --headless --convert-to docx --outdir "$out" \
    "$work/seed-000.txt" "$work/seed-001.txt"

cp /usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf "$out/"
