#!/bin/sh
# Stands in for nvidia-smi on a machine without a GPU, replaying what a scenario directory
# (the first argument) says the driver prints:
#   query-gpu.csv   --query-gpu: a header (field [unit]) and one row per GPU, without units;
#                   the requested fields are picked by name, and a field missing from the
#                   header is refused the way a driver that does not know it refuses it
#   version.txt     --version (absent: refused, as drivers before it existed do)
#   list.txt        -L
#   table.txt       no arguments: the summary table
#   query-error.txt printed after the --query-gpu rows, exiting with query-exit-code (a GPU
#                   nvidia-smi cannot reach while it still answers for the others)
#   error.txt       printed for every command, with the status in exit-code (driver not loaded)
# Each call is appended to $FAKE_NVIDIA_SMI_LOG when that is set.
dir=$1
shift
[ -n "$FAKE_NVIDIA_SMI_LOG" ] && echo "$*" >>"$FAKE_NVIDIA_SMI_LOG"
if [ -f "$dir/error.txt" ]; then
    cat "$dir/error.txt"
    exit "$(cat "$dir/exit-code" 2>/dev/null || echo 9)"
fi
case "$1" in
--query-gpu=*)
    fields=${1#--query-gpu=}
    format=${2:-}
    awk -F', ' -v fields="$fields" -v format="$format" '
        NR == 1 {
            for (i = 1; i <= NF; i++) { name = $i; sub(/ \[.*\]$/, "", name); column[name] = i }
            count = split(fields, wanted, ",")
            for (j = 1; j <= count; j++) {
                if (!(wanted[j] in column)) { printf "Field \"%s\" is not a valid field to query.\n\n", wanted[j]; refused = 1; exit 2 }
            }
            if (format !~ /noheader/) {
                line = ""
                for (j = 1; j <= count; j++) line = line (j > 1 ? ", " : "") $(column[wanted[j]])
                print line
            }
            next
        }
        NF > 0 {
            line = ""
            for (j = 1; j <= count; j++) line = line (j > 1 ? ", " : "") $(column[wanted[j]])
            print line
        }
    ' "$dir/query-gpu.csv" || exit $?
    if [ -f "$dir/query-error.txt" ]; then
        cat "$dir/query-error.txt"
        exit "$(cat "$dir/query-exit-code" 2>/dev/null || echo 15)"
    fi
    ;;
--version)
    if [ -f "$dir/version.txt" ]; then cat "$dir/version.txt"; else
        echo "Invalid combination of input arguments. Please run 'nvidia-smi -h' for help."
        exit 2
    fi
    ;;
-L) cat "$dir/list.txt" ;;
"") cat "$dir/table.txt" ;;
*)
    echo "Invalid combination of input arguments. Please run 'nvidia-smi -h' for help."
    exit 2
    ;;
esac
