#!/bin/sh
# Stands in for dmesg (the kernel log the agent reads NVRM Xid lines from), replaying a
# scenario directory's dmesg.txt; a scenario without one has a kernel log without XIDs.
dir=$1
if [ -f "$dir/dmesg.txt" ]; then cat "$dir/dmesg.txt"; else echo "[    0.000000] Linux version 6.1.0-28-amd64"; fi
