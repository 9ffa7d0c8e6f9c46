#!/usr/bin/env bash
# copy RUN/last.pt to RUN/step1000.pt once the evaluation at step 1000 is logged
for r in "$@"; do
  ( until grep -q '"step": 1000, "val_loss"' $r/metrics.jsonl 2>/dev/null; do sleep 10; done
    cp $r/last.pt $r/step1000.pt; echo "$r copied" ) &
done
wait
